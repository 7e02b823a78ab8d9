// An incident's timeline: what happened, when and by whom, as a list and as a stream of
// events the console follows. Every class that changes an incident appends here inside
// its own transaction. Thread: the one of its HqDatabase.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "muster/result.h"
#include "store/hq_database.h"

namespace muster::hq {

// The agent's record an entry tells of, and where it stands in HQ's time.
struct RecordStamp {
  std::string agent_id;
  std::uint64_t seq = 0;
  Millis at = 0;
};

class Timeline : OverDatabase {
 public:
  explicit Timeline(HqDatabase& database) : OverDatabase(database) {}

  // Appends one entry, stamped now, or at |from|'s time when an agent's record made it
  // (placed again if HQ learns the agent's clock offset later: domain/agent_clocks.h).
  // Call inside the transaction of the change it tells.
  Status Append(const std::string& incident_id, const std::string& kind, const std::string& actor,
                const std::string& text, const std::optional<RecordStamp>& from = std::nullopt);
  // Every entry of an incident in HQ's time, oldest first (entries made at the same
  // moment in the order they were written). not_found.
  Result<nlohmann::json> OfIncident(const std::string& incident_id);
  // Entries with id > |after| (of one incident, or all when empty), oldest first.
  Result<nlohmann::json> Events(std::int64_t after, const std::string& incident_id, int limit);
};

}  // namespace muster::hq
