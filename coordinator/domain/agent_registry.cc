#include "domain/agent_registry.h"

#include "muster/wipe_order.h"

#include <SQLiteCpp/Statement.h>

#include "muster/keys.h"
#include "muster/sqlite_store.h"

namespace muster::hq {

namespace {

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string joined;
  for (const std::string& id : ids) joined += (joined.empty() ? "" : ", ") + id;
  return joined;
}

}  // namespace

Status AgentRegistry::RefuseHeldKey(const std::string& public_key) {
  Result<std::optional<AgentRecord>> holder = directory_.FindByKey(public_key);
  if (!holder.ok()) return holder.status();
  if (*holder) {
    return Status::Error(ErrorCode::kConflict, "the key is already agent " + (*holder)->id +
                                                   "'s; make a new key pair for this agent");
  }
  return Status::Ok();
}

Result<Enrolment> AgentRegistry::Enroll(const std::string& member_id,
                                        const std::string& public_key, DeviceRule rule,
                                        const Actor& actor) {
  Enrolment enrolment;
  Status status = InTransaction(*db_, [&]() -> Status {
    SQLite::Statement member(*db_, "SELECT 1 FROM members WHERE id=?");
    member.bind(1, member_id);
    if (!member.executeStep()) {
      return Status::Error(
          ErrorCode::kNotFound,
          "no member '" + member_id + "'; add one first with: muster member add " + member_id);
    }
    MUSTER_RETURN_IF_ERROR(RefuseHeldKey(public_key));
    const std::vector<std::string> active = deliveries_.ActiveAgentsOf(member_id);
    if (!active.empty() && rule == DeviceRule::kOnly) {
      return Status::Error(ErrorCode::kConflict,
                           member_id + " already has active agent " + JoinIds(active) +
                               "; for a new laptop that replaces it, enrol with --replace (" +
                               JoinIds(active) + " is revoked and the new agent receives all of " +
                               member_id + "'s work); for a second device, with --add-device");
    }
    SQLite::Statement count(*db_, "SELECT COUNT(*) FROM agents WHERE member_id=?");
    count.bind(1, member_id);
    count.executeStep();
    enrolment.agent_id = member_id + "-" + std::to_string(count.getColumn(0).getInt() + 1);
    SQLite::Statement insert(*db_,
                             "INSERT INTO agents(id, member_id, public_key, created_at) "
                             "VALUES(?,?,?,?)");
    insert.bind(1, enrolment.agent_id);
    insert.bind(2, member_id);
    insert.bind(3, public_key);
    insert.bind(4, static_cast<std::int64_t>(clock_.Now()));
    insert.exec();
    MUSTER_RETURN_IF_ERROR(
        audit_.Record({actor,
                       "agent.enroll",
                       enrolment.agent_id,
                       {{"member", member_id},
                        {"key", KeyFingerprint(public_key)},
                        {"devices", rule == DeviceRule::kAdd ? "added" : "only"}}}));
    if (rule == DeviceRule::kReplace) {
      for (const std::string& old : active) {
        Result<AgentRecord> agent = directory_.Known(old);
        if (!agent.ok()) return agent.status();
        MUSTER_RETURN_IF_ERROR(
            MarkRevoked(*agent, "agent.supersede", {{"by", enrolment.agent_id}}, actor));
        enrolment.superseded.push_back(old);
      }
    }
    // A member already deployed gets their work on the new laptop at its first sync.
    MUSTER_RETURN_IF_ERROR(dispatch_.QueueBacklog(enrolment.agent_id, member_id));
    // The new agent's backlog holds its team views: only its teammates need its key.
    return TellTeamsOfKeys(member_id, &enrolment.notify, enrolment.agent_id);
  });
  if (!status.ok()) return status;
  return enrolment;
}

Status AgentRegistry::TellTeamsOfKeys(const std::string& member_id,
                                      std::vector<std::string>* agents_to_notify,
                                      const std::string& except_agent) {
  SQLite::Statement deployments(*db_,
                                "SELECT DISTINCT t.deployment_id FROM tasks t JOIN deployments d "
                                "ON d.id=t.deployment_id WHERE t.member_id=? AND d.status='active'");
  deployments.bind(1, member_id);
  std::vector<std::int64_t> ids;
  while (deployments.executeStep()) ids.push_back(deployments.getColumn(0).getInt64());
  for (std::int64_t id : ids) {
    MUSTER_RETURN_IF_ERROR(team_.QueueSnapshot(id, std::nullopt, agents_to_notify, except_agent));
  }
  return Status::Ok();
}

Status AgentRegistry::MarkRevoked(const AgentRecord& agent, const std::string& action,
                                  const json& details, const Actor& actor) {
  SQLite::Statement update(*db_, "UPDATE agents SET status='revoked', revoked_at=? WHERE id=?");
  update.bind(1, static_cast<std::int64_t>(clock_.Now()));
  update.bind(2, agent.id);
  update.exec();
  json audited = {{"member", agent.member_id}, {"key", KeyFingerprint(agent.public_key)}};
  audited.update(details);
  return audit_.Record({actor, action, agent.id, audited});
}

Result<json> AgentRegistry::Revoke(const std::string& agent_id, const Actor& actor,
                                   std::vector<std::string>* agents_to_notify, bool wipe) {
  json revoked;
  Status status = InTransaction(*db_, [&]() -> Status {
    Result<AgentRecord> agent = directory_.Known(agent_id);
    if (!agent.ok()) return agent.status();
    if (agent->status != "active" && !wipe) {
      return Status::Error(ErrorCode::kConflict, "agent " + agent_id + " is already revoked");
    }
    std::string order;
    if (wipe) {
      SQLite::Statement ordered(*db_, "SELECT wipe_order_id IS NOT NULL FROM agents WHERE id=?");
      ordered.bind(1, agent_id);
      if (ordered.executeStep() && ordered.getColumn(0).getInt() != 0) {
        return Status::Error(ErrorCode::kConflict,
                             "agent " + agent_id + " was already ordered wiped; see: muster agent list");
      }
      order = NewWipeOrderId();
      SQLite::Statement mark(*db_,
                             "UPDATE agents SET wipe_order_id=?, wipe_ordered_at=? WHERE id=?");
      mark.bind(1, order);
      mark.bind(2, static_cast<std::int64_t>(clock_.Now()));
      mark.bind(3, agent_id);
      mark.exec();
    }
    if (agent->status != "active") {
      MUSTER_RETURN_IF_ERROR(audit_.Record({actor, "agent.wipe", agent_id, {{"order", order}}}));
      revoked = {{"id", agent_id},   {"member", agent->member_id}, {"status", "revoked"},
                 {"wipe", "ordered"}, {"resent_to", json::array()}};
      return Status::Ok();
    }
    SQLite::Statement behind(*db_, "SELECT applied < next_delivery - 1 FROM agents WHERE id=?");
    behind.bind(1, agent_id);
    const bool missed = behind.executeStep() && behind.getColumn(0).getInt() != 0;
    MUSTER_RETURN_IF_ERROR(MarkRevoked(
        *agent, "agent.revoke", wipe ? json{{"wipe", true}, {"order", order}} : json::object(),
        actor));
    std::vector<std::string> caught_up;
    if (missed) {
      // What was sent only to the revoked agent reaches the member's laptop in use.
      for (const std::string& other : deliveries_.ActiveAgentsOf(agent->member_id)) {
        MUSTER_RETURN_IF_ERROR(dispatch_.QueueBacklog(other, agent->member_id));
        caught_up.push_back(other);
      }
    }
    revoked = {{"id", agent_id},
               {"member", agent->member_id},
               {"status", "revoked"},
               {"revoked_at", clock_.Now()},
               {"resent_to", caught_up}};
    if (wipe) revoked["wipe"] = "ordered";
    if (agents_to_notify) {
      agents_to_notify->insert(agents_to_notify->end(), caught_up.begin(), caught_up.end());
    }
    return TellTeamsOfKeys(agent->member_id, agents_to_notify);
  });
  if (!status.ok()) return status;
  return revoked;
}

Status AgentRegistry::ConfirmWipe(const AgentRecord& agent, const std::string& order_id,
                                  const std::string& peer) {
  return InTransaction(*db_, [&]() -> Status {
    SQLite::Statement mark(*db_,
                           "UPDATE agents SET wiped_at=? WHERE id=? AND wipe_order_id=? AND "
                           "wiped_at IS NULL");
    mark.bind(1, static_cast<std::int64_t>(clock_.Now()));
    mark.bind(2, agent.id);
    mark.bind(3, order_id);
    if (mark.exec() == 0) {
      return Status::Error(ErrorCode::kForbidden,
                           "no wipe order " + order_id + " is pending for agent " + agent.id);
    }
    return audit_.Record({{"agent:" + agent.id, "agent:" + agent.id + "@" + peer},
                          "agent.wiped",
                          agent.id,
                          {{"order", order_id}}});
  });
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
    MUSTER_RETURN_IF_ERROR(RefuseHeldKey(public_key));
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
    // Teammates learn the new key with their next deliveries.
    return TellTeamsOfKeys(member, nullptr);
  });
  if (!status.ok()) return status;
  return member;
}

}  // namespace muster::hq
