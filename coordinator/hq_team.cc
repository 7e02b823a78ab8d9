// Relaying a deployment's progress to its team: every member's agent keeps the latest
// "team" snapshot, so a member sees how teammates stand while offline (docs/protocol.md §4).
#include <SQLiteCpp/Statement.h>

#include <algorithm>

#include "hq_store.h"

namespace muster::hq {

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
                                  std::vector<std::string>* agents_to_notify) {
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
  const json stub = {{"deployment", deployment_id}, {"superseded", true}};
  SQLite::Statement supersede(
      *db_,
      "UPDATE outbound SET body=? WHERE agent_id=? AND kind='team' AND "
      "seq > (SELECT applied FROM agents WHERE id=?) AND "
      "json_extract(body, '$.deployment')=? AND json_extract(body, '$.superseded') IS NULL");
  for (const std::string& agent : agents) {
    supersede.bind(1, stub.dump());
    supersede.bind(2, agent);
    supersede.bind(3, agent);
    supersede.bind(4, deployment_id);
    supersede.exec();
    supersede.reset();
    MUSTER_RETURN_IF_ERROR(QueueDelivery(agent, "team", snapshot));
    if (agents_to_notify &&
        std::find(agents_to_notify->begin(), agents_to_notify->end(), agent) ==
            agents_to_notify->end()) {
      agents_to_notify->push_back(agent);
    }
  }
  return Status::Ok();
}

}  // namespace muster::hq
