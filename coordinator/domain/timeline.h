// An incident's timeline: what happened, when and by whom, as a list and as a stream of
// events the console follows. Every class that changes an incident appends here inside
// its own transaction. Thread: the one of its HqDatabase.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "muster/result.h"
#include "store/hq_database.h"

namespace muster::hq {

class Timeline : OverDatabase {
 public:
  explicit Timeline(HqDatabase& database) : OverDatabase(database) {}

  // Appends one entry, stamped now. Call inside the transaction of the change it tells.
  Status Append(const std::string& incident_id, const std::string& kind, const std::string& actor,
                const std::string& text);
  // Every entry of an incident, oldest first. not_found.
  Result<nlohmann::json> OfIncident(const std::string& incident_id);
  // Entries with id > |after| (of one incident, or all when empty), oldest first.
  Result<nlohmann::json> Events(std::int64_t after, const std::string& incident_id, int limit);
};

}  // namespace muster::hq
