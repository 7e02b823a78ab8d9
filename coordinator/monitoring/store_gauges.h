// The gauges /metrics reads from the store at each scrape: open (unacknowledged) alerts
// by severity, deliveries queued for active agents and not yet applied, and agents by
// enrolment status. Read-only. Thread: the one of its HqDatabase.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "muster/result.h"
#include "store/hq_database.h"

namespace muster::hq {

struct StoreGauges {
  std::map<std::string, std::uint64_t> alerts_open;           // by severity, real incidents
  std::map<std::string, std::uint64_t> exercise_alerts_open;  // by severity, exercises
  std::uint64_t deliveries_pending = 0;
  std::map<std::string, std::uint64_t> agents;  // by status: active, revoked
};

class StoreGaugeReader : OverDatabase {
 public:
  explicit StoreGaugeReader(HqDatabase& database) : OverDatabase(database) {}

  Result<StoreGauges> Read();
};

}  // namespace muster::hq
