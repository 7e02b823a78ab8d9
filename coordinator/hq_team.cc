// Relaying a deployment's progress to its team: every member's agent keeps the latest
// "team" snapshot, so a member sees how teammates stand while offline (docs/protocol.md §4).
#include <SQLiteCpp/Statement.h>

#include <algorithm>

#include "hq_store.h"
#include "muster/sqlite_store.h"

namespace muster::hq {
namespace {

// What team relays may write to the store and send, all deployments together.
constexpr double kTeamRelayBytesPerSecond = 1 << 20;

}  // namespace

json HqStore::TeamSnapshot(std::int64_t deployment_id) {
  SQLite::Statement deployment(*db_,
                               "SELECT incident_id, playbook_hash FROM deployments WHERE id=?");
  deployment.bind(1, deployment_id);
  if (!deployment.executeStep()) return json();
  json snapshot = {{"deployment", deployment_id},
                   {"incident", deployment.getColumn(0).getString()},
                   {"playbook", deployment.getColumn(1).getString()},
                   {"at", clock_.Now()},
                   {"members", json::object()},
                   {"tasks", json::array()}};
  // Titles are not sent: every member's agent holds the pinned playbook and looks them up.
  SQLite::Statement tasks(*db_,
                          "SELECT t.id, t.step_id, t.member_id, m.name, t.state, t.dormant "
                          "FROM tasks t JOIN members m ON m.id=t.member_id "
                          "WHERE t.deployment_id=? ORDER BY t.member_id, t.rowid");
  tasks.bind(1, deployment_id);
  while (tasks.executeStep()) {
    const std::string member = tasks.getColumn(2).getString();
    std::string state = tasks.getColumn(4).getString();
    if (state == "waiting" && tasks.getColumn(5).getInt() != 0) state = "dormant";
    snapshot["members"][member] = tasks.getColumn(3).getString();
    snapshot["tasks"].push_back({{"task", tasks.getColumn(0).getString()},
                                 {"step", tasks.getColumn(1).getString()},
                                 {"member", member},
                                 {"state", state}});
  }
  return snapshot;
}

Status HqStore::QueueTeamSnapshot(std::int64_t deployment_id,
                                  const std::optional<std::string>& only_agent,
                                  std::vector<std::string>* agents_to_notify,
                                  std::size_t* bytes_queued) {
  json snapshot = TeamSnapshot(deployment_id);
  if (snapshot.is_null()) return Status::Ok();
  std::vector<std::string> agents;
  if (only_agent) {
    agents.push_back(*only_agent);
  } else {
    SQLite::Statement members(*db_,
                              "SELECT DISTINCT member_id FROM assignments WHERE "
                              "deployment_id=? ORDER BY member_id");
    members.bind(1, deployment_id);
    while (members.executeStep()) {
      if (auto agent = ActiveAgentOf(members.getColumn(0).getString())) agents.push_back(*agent);
    }
  }
  // Coalescing: a snapshot the agent has not applied yet is outdated by this one. Its body
  // shrinks to a stub (the sequence must stay contiguous), so an agent that was offline
  // through a hundred changes downloads one full snapshot, not a hundred.
  const std::string stub = json{{"deployment", deployment_id}, {"superseded", true}}.dump();
  const std::string body = snapshot.dump();  // once for the whole team
  SQLite::Statement supersede(
      *db_,
      "UPDATE outbound SET body=? WHERE agent_id=? AND kind='team' AND "
      "seq > (SELECT applied FROM agents WHERE id=?) AND "
      "json_extract(body, '$.deployment')=? AND json_extract(body, '$.superseded') IS NULL");
  for (const std::string& agent : agents) {
    supersede.bind(1, stub);
    supersede.bind(2, agent);
    supersede.bind(3, agent);
    supersede.bind(4, deployment_id);
    supersede.exec();
    supersede.reset();
    MUSTER_RETURN_IF_ERROR(QueueDeliveryText(agent, "team", body));
    if (bytes_queued) *bytes_queued += body.size();
    if (agents_to_notify &&
        std::find(agents_to_notify->begin(), agents_to_notify->end(), agent) ==
            agents_to_notify->end()) {
      agents_to_notify->push_back(agent);
    }
  }
  return Status::Ok();
}

Result<std::vector<std::string>> HqStore::RelayTeams() {
  std::vector<std::string> notify;
  // Deployment -> still active; read before any write, so an idle tick takes no lock.
  std::vector<std::pair<std::int64_t, bool>> dirty;
  MUSTER_RETURN_IF_ERROR(Guarded([&]() -> Status {
    SQLite::Statement query(
        *db_, "SELECT id, status='active' FROM deployments WHERE team_dirty=1 ORDER BY id");
    while (query.executeStep()) {
      dirty.emplace_back(query.getColumn(0).getInt64(), query.getColumn(1).getInt() != 0);
    }
    return Status::Ok();
  }));
  if (dirty.empty()) return notify;
  Status status = InTransaction(*db_, [&]() -> Status {
    SQLite::Statement clean(*db_, "UPDATE deployments SET team_dirty=0 WHERE id=?");
    const Millis now = clock_.Now();
    for (const auto& [deployment, active] : dirty) {
      auto next = next_relay_at_.find(deployment);
      if (next != next_relay_at_.end() && now < next->second) continue;  // stays marked
      // A closed deployment's open tasks were cancelled on its agents: no team view to keep.
      if (active) {
        std::size_t bytes = 0;
        MUSTER_RETURN_IF_ERROR(QueueTeamSnapshot(deployment, std::nullopt, &notify, &bytes));
        next_relay_at_[deployment] =
            now + static_cast<Millis>(static_cast<double>(bytes) * 1000 / kTeamRelayBytesPerSecond);
      } else {
        next_relay_at_.erase(deployment);
      }
      clean.bind(1, deployment);
      clean.exec();
      clean.reset();
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return notify;
}

}  // namespace muster::hq
