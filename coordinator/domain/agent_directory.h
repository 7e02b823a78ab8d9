// Who is enrolled: each agent's id, member, CURVE public key and status. The ZAP handler
// looks keys up here at every handshake, and the router at every message; a store error
// is an error (answered internal, retry), never "no agent". Read-only.
// Thread: the one of its HqDatabase.
#pragma once

#include <optional>
#include <string>

#include "muster/result.h"
#include "store/hq_database.h"

namespace muster::hq {

struct AgentRecord {
  std::string id;
  std::string member_id;
  std::string public_key;
  std::string status;  // "active" | "revoked"
  // A revoked agent's wipe order not yet confirmed (its id); empty when there is none.
  std::string wipe_order = {};
};

class AgentDirectory : OverDatabase {
 public:
  explicit AgentDirectory(HqDatabase& database) : OverDatabase(database) {}

  // The agent holding |public_key| (or with |agent_id|); nullopt when there is none.
  Result<std::optional<AgentRecord>> FindByKey(const std::string& public_key);
  Result<std::optional<AgentRecord>> Find(const std::string& agent_id);
  // The agent |agent_id|, or not_found naming how to list them.
  Result<AgentRecord> Known(const std::string& agent_id);
  // Every agent with its contact and sync counters, for the console.
  Result<json> List();
};

}  // namespace muster::hq
