#include "domain/agent_directory.h"

#include <SQLiteCpp/Statement.h>

#include "muster/keys.h"
#include "muster/sqlite_store.h"
#include "store/columns.h"

namespace muster::hq {
namespace {

constexpr const char* kAgentColumns =
    "SELECT id, member_id, public_key, status, CASE WHEN wiped_at IS NULL THEN "
    "COALESCE(wipe_order_id, '') ELSE '' END FROM agents";

std::optional<AgentRecord> ReadAgent(SQLite::Statement& query) {
  if (!query.executeStep()) return std::nullopt;
  return AgentRecord{query.getColumn(0).getString(), query.getColumn(1).getString(),
                     query.getColumn(2).getString(), query.getColumn(3).getString(),
                     query.getColumn(4).getString()};
}

}  // namespace

Result<json> AgentDirectory::List() {
  json list = json::array();
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(
        *db_,
        "SELECT a.id, a.member_id, a.public_key, a.status, a.created_at, a.last_contact_at, "
        "a.applied, a.next_delivery - 1, "
        "(SELECT COUNT(*) FROM inbound i WHERE i.agent_id=a.id), a.wipe_ordered_at, a.wiped_at "
        "FROM agents a ORDER BY a.id");
    while (query.executeStep()) {
      list.push_back({{"id", query.getColumn(0).getString()},
                      {"member", query.getColumn(1).getString()},
                      {"key", KeyFingerprint(query.getColumn(2).getString())},
                      {"public_key", query.getColumn(2).getString()},
                      {"status", query.getColumn(3).getString()},
                      {"enrolled_at", query.getColumn(4).getInt64()},
                      {"last_contact_at", NullableInt(query.getColumn(5))},
                      {"deliveries_applied", query.getColumn(6).getInt64()},
                      {"deliveries_queued", query.getColumn(7).getInt64()},
                      {"records_received", query.getColumn(8).getInt64()},
                      {"wipe", !query.getColumn(10).isNull() ? "confirmed"
                               : !query.getColumn(9).isNull() ? "ordered"
                                                               : json()},
                      {"wiped_at", NullableInt(query.getColumn(10))}});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

Result<AgentRecord> AgentDirectory::Known(const std::string& agent_id) {
  Result<std::optional<AgentRecord>> found = Find(agent_id);
  if (!found.ok()) return found.status();
  const std::optional<AgentRecord>& agent = *found;
  if (!agent) {
    return Status::Error(ErrorCode::kNotFound, "no agent '" + agent_id +
                                                   "'; list them with: muster "
                                                   "agent list");
  }
  return *agent;
}

Result<std::optional<AgentRecord>> AgentDirectory::FindByKey(const std::string& public_key) {
  std::optional<AgentRecord> agent;
  Status status = Guarded([&]() -> Status {
    auto query =
        statements_.Get(std::string(kAgentColumns) + " WHERE public_key=?");
    query->bind(1, public_key);
    agent = ReadAgent(*query);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return agent;
}

Result<std::optional<AgentRecord>> AgentDirectory::Find(const std::string& agent_id) {
  std::optional<AgentRecord> agent;
  Status status = Guarded([&]() -> Status {
    auto query = statements_.Get(std::string(kAgentColumns) + " WHERE id=?");
    query->bind(1, agent_id);
    agent = ReadAgent(*query);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return agent;
}

}  // namespace muster::hq
