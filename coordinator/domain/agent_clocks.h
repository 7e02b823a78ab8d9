// How far each agent's laptop clock is from HQ's, and where HQ places the agent's records
// in time because of it (docs/protocol.md, Time).
//
// An agent measures the offset of HQ's clock from its own on the link (core
// clock_offset.h) and states it in HELLO, RECORDS and PING. HQ keeps the latest per agent
// and places each record at the agent's time plus that offset, never later than HQ
// received it: that corrected time orders the findings, the latest value of each field
// (and so the triggers), the timeline entries the record makes and a task's "since". A
// record that arrives before HQ knows the agent's offset is placed at its own time (never
// after its receipt) and marked provisional; when the offset becomes known, every
// provisional record of the agent is placed again. An offset beyond the configured bound
// raises one clock_skew alert per excursion.
//
// Thread: the one of its HqDatabase. Record and Place run inside the caller's transaction:
// Ingest's, for a RECORDS batch, or a batch without records for a HELLO's or PING's report.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "domain/alerts.h"
#include "muster/clock.h"
#include "muster/result.h"
#include "store/hq_database.h"

namespace muster::hq {

// What an agent said of its clock: HQ's clock minus the laptop's, and the round trip it
// was measured over (the offset is within half of it).
struct ClockReport {
  Millis offset_ms = 0;
  Millis rtt_ms = 0;
};

// The report in a HELLO, RECORDS or PING body (`clock_offset`, `clock_rtt`); none when the
// body carries none or values no clock can have (beyond ±100 years, a round trip over a day).
std::optional<ClockReport> ClockReportIn(const nlohmann::json& body);

// Where a record stands in HQ's time.
struct Placement {
  Millis at = 0;       // the agent's time corrected by its offset, at most the receipt
  bool known = false;  // false: the offset was unknown; placed again when it is known
};

class AgentClocks : OverDatabase {
 public:
  AgentClocks(HqDatabase& database, Alerts& alerts, Millis alert_bound_ms)
      : OverDatabase(database), alerts_(alerts), alert_bound_ms_(alert_bound_ms) {}

  // Keeps the agent's report (inside the caller's transaction). The first offset known
  // for an agent places its provisional records again; the deployments whose latest
  // values that moved are added to |moved|. Beyond the bound, a clock_skew alert on the
  // incident of the member's newest active deployment, once until the offset comes back
  // within half the bound.
  Status Record(const std::string& agent_id, const ClockReport& report,
                std::set<std::int64_t>* moved = nullptr);
  // Where a record the agent stamped |agent_at| and HQ received at |received_at| stands.
  Placement Place(const std::string& agent_id, Millis agent_at, Millis received_at);
  // Rebuilds a deployment's latest value per finding field from its findings, in their
  // order in HQ's time.
  Status RebuildLatestValues(std::int64_t deployment_id);

 private:
  // Places again every provisional record of the agent by |offset_ms|; returns the
  // deployments whose findings moved.
  Result<std::set<std::int64_t>> PlaceProvisional(const std::string& agent_id,
                                                  const std::string& member_id, Millis offset_ms);
  Status AlertSkew(const std::string& agent_id, const std::string& member_id,
                   const ClockReport& report);

  Alerts& alerts_;
  Millis alert_bound_ms_;
};

}  // namespace muster::hq
