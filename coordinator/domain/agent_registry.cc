#include "domain/agent_registry.h"

#include <SQLiteCpp/Statement.h>

#include "muster/keys.h"
#include "muster/sqlite_store.h"

namespace muster::hq {

Result<std::string> AgentRegistry::Enroll(const std::string& member_id,
                                          const std::string& public_key, const Actor& actor) {
  std::string agent_id;
  Status status = InTransaction(*db_, [&]() -> Status {
    SQLite::Statement member(*db_, "SELECT 1 FROM members WHERE id=?");
    member.bind(1, member_id);
    if (!member.executeStep()) {
      return Status::Error(
          ErrorCode::kNotFound,
          "no member '" + member_id + "'; add one first with: muster member add " + member_id);
    }
    SQLite::Statement count(*db_, "SELECT COUNT(*) FROM agents WHERE member_id=?");
    count.bind(1, member_id);
    count.executeStep();
    agent_id = member_id + "-" + std::to_string(count.getColumn(0).getInt() + 1);
    SQLite::Statement insert(*db_,
                             "INSERT INTO agents(id, member_id, public_key, created_at) "
                             "VALUES(?,?,?,?)");
    insert.bind(1, agent_id);
    insert.bind(2, member_id);
    insert.bind(3, public_key);
    insert.bind(4, static_cast<std::int64_t>(clock_.Now()));
    insert.exec();
    MUSTER_RETURN_IF_ERROR(
        audit_.Record({actor,
                       "agent.enroll",
                       agent_id,
                       {{"member", member_id}, {"key", KeyFingerprint(public_key)}}}));
    // A member already deployed gets their work on the new laptop at its first sync.
    return dispatch_.QueueBacklog(agent_id, member_id);
  });
  if (!status.ok()) return status;
  return agent_id;
}

Result<json> AgentRegistry::Revoke(const std::string& agent_id, const Actor& actor) {
  json revoked;
  Status status = InTransaction(*db_, [&]() -> Status {
    Result<AgentRecord> agent = directory_.Known(agent_id);
    if (!agent.ok()) return agent.status();
    if (agent->status != "active") {
      return Status::Error(ErrorCode::kConflict, "agent " + agent_id + " is already revoked");
    }
    const Millis now = clock_.Now();
    SQLite::Statement update(*db_, "UPDATE agents SET status='revoked', revoked_at=? WHERE id=?");
    update.bind(1, static_cast<std::int64_t>(now));
    update.bind(2, agent_id);
    update.exec();
    MUSTER_RETURN_IF_ERROR(audit_.Record(
        {actor,
         "agent.revoke",
         agent_id,
         {{"member", agent->member_id}, {"key", KeyFingerprint(agent->public_key)}}}));
    revoked = {
        {"id", agent_id}, {"member", agent->member_id}, {"status", "revoked"}, {"revoked_at", now}};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return revoked;
}

Result<std::string> AgentRegistry::RotateKey(const std::string& agent_id,
                                             const std::string& public_key, const Actor& actor) {
  std::string member;
  Status status = InTransaction(*db_, [&]() -> Status {
    Result<AgentRecord> agent = directory_.Known(agent_id);
    if (!agent.ok()) return agent.status();
    if (agent->status != "active") {
      return Status::Error(ErrorCode::kConflict,
                           "agent " + agent_id +
                               " is revoked and stays so; enrol a new one with: "
                               "muster agent enroll " +
                               agent->member_id + " --out BUNDLE");
    }
    SQLite::Statement update(*db_, "UPDATE agents SET public_key=? WHERE id=?");
    update.bind(1, public_key);
    update.bind(2, agent_id);
    update.exec();
    MUSTER_RETURN_IF_ERROR(audit_.Record({actor,
                                          "agent.rotate",
                                          agent_id,
                                          {{"member", agent->member_id},
                                           {"old_key", KeyFingerprint(agent->public_key)},
                                           {"new_key", KeyFingerprint(public_key)}}}));
    member = agent->member_id;
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return member;
}

}  // namespace muster::hq
