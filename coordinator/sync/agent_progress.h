// What HQ knows of each agent's progress: when it was last heard from (the member-safety
// sweep reads it) and up to which delivery it has durably applied (the sync server
// continues after it; a task whose ready snapshot is applied becomes "delivered").
//
// The router writes what it heard once a second in one transaction (Record): an idle
// agent's PINGs cost no commit of their own. Thread: the one of its HqDatabase.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "muster/clock.h"
#include "muster/result.h"
#include "store/hq_database.h"

namespace muster::hq {

class AgentProgress : OverDatabase {
 public:
  explicit AgentProgress(HqDatabase& database) : OverDatabase(database) {}

  // Records that HQ heard from |agent_id| now.
  Status Touch(const std::string& agent_id);
  // Records several agents' last contacts (agent -> when) in one transaction. A time
  // older than the one stored is ignored.
  Status RecordContacts(const std::map<std::string, Millis>& contacts);
  // The same, and the agents' applied watermarks (agent -> applied, as MarkApplied), all
  // in one transaction: the router's once-a-second write of what it heard.
  Status Record(const std::map<std::string, Millis>& contacts,
                const std::map<std::string, std::uint64_t>& applied);
  // The agent has durably applied every delivery up to |applied| (its own transaction;
  // none when nothing changes).
  Status MarkApplied(const std::string& agent_id, std::uint64_t applied);
  Result<std::uint64_t> AppliedWatermark(const std::string& agent_id);

 private:
  // Sets the agent's applied watermark (inside a transaction) and marks the ready tasks
  // whose snapshots it covers as delivered.
  Status WriteApplied(const std::string& agent_id, std::uint64_t applied);
};

}  // namespace muster::hq
