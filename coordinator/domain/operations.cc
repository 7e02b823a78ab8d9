#include "domain/operations.h"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <set>

#include "muster/sqlite_store.h"
#include "muster/text_limits.h"

namespace muster::hq {
namespace {

struct OpenTask {
  std::string id;
  std::string member;
  std::string state;
  std::string step;
  bool dormant = false;
  std::int64_t deployment = 0;
  std::string incident;
  std::string playbook_hash;
};

bool IsFinished(const std::string& state) {
  return state == "completed" || state == "cancelled" || state == "reassigned";
}

void AddUnique(std::vector<std::string>& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

// The task |task_id| if HQ may still change it: it exists, its deployment is active and
// it is not finished.
Result<OpenTask> FindOpenTask(SQLite::Database& db, const std::string& task_id) {
  SQLite::Statement query(db,
                          "SELECT t.member_id, t.state, t.step_id, t.dormant, t.deployment_id, "
                          "d.incident_id, d.playbook_hash, d.status FROM tasks t JOIN "
                          "deployments d ON d.id=t.deployment_id WHERE t.id=?");
  query.bind(1, task_id);
  if (!query.executeStep()) {
    return Status::Error(ErrorCode::kNotFound,
                         "no task '" + task_id + "'; list them with: muster task list INCIDENT");
  }
  OpenTask task{task_id,
                query.getColumn(0).getString(),
                query.getColumn(1).getString(),
                query.getColumn(2).getString(),
                query.getColumn(3).getInt() != 0,
                query.getColumn(4).getInt64(),
                query.getColumn(5).getString(),
                query.getColumn(6).getString()};
  const std::string deployment_status = query.getColumn(7).getString();
  if (deployment_status != "active") {
    return Status::Error(ErrorCode::kConflict, "deployment " + std::to_string(task.deployment) +
                                                   " is " + deployment_status +
                                                   "; its tasks no longer change");
  }
  if (IsFinished(task.state)) {
    return Status::Error(ErrorCode::kConflict, "task " + task_id + " is already " + task.state +
                                                   "; there is nothing to change");
  }
  return task;
}

// The incident and playbook of an active deployment.
Result<std::pair<std::string, std::string>> ActiveDeployment(SQLite::Database& db,
                                                             std::int64_t deployment_id) {
  SQLite::Statement query(db,
                          "SELECT incident_id, playbook_hash, status FROM deployments WHERE id=?");
  query.bind(1, deployment_id);
  if (!query.executeStep()) {
    return Status::Error(ErrorCode::kNotFound, "no deployment " + std::to_string(deployment_id) +
                                                   "; see them with: muster status INCIDENT");
  }
  if (query.getColumn(2).getString() != "active") {
    return Status::Error(ErrorCode::kConflict, "deployment " + std::to_string(deployment_id) +
                                                   " is already " + query.getColumn(2).getString());
  }
  return std::make_pair(query.getColumn(0).getString(), query.getColumn(1).getString());
}

bool MemberExists(SQLite::Database& db, const std::string& member_id) {
  SQLite::Statement query(db, "SELECT 1 FROM members WHERE id=?");
  query.bind(1, member_id);
  return query.executeStep();
}

bool HasAssignment(SQLite::Database& db, std::int64_t deployment_id, const std::string& member_id) {
  SQLite::Statement query(db, "SELECT 1 FROM assignments WHERE deployment_id=? AND member_id=?");
  query.bind(1, deployment_id);
  query.bind(2, member_id);
  return query.executeStep();
}

// The deployment's team view has news for the next relay (hq_team.cc).
void MarkTeamChanged(SQLite::Database& db, std::int64_t deployment_id) {
  SQLite::Statement dirty(db, "UPDATE deployments SET team_dirty=1 WHERE id=?");
  dirty.bind(1, deployment_id);
  dirty.exec();
}

// Creates the task, or revives the member's own earlier task of that step that HQ had
// cancelled or reassigned away. A live task of the step held by the member is a conflict.
Status PutTask(SQLite::Database& db, std::int64_t deployment_id, const std::string& step,
               const std::string& member, bool dormant, Millis now) {
  const std::string task_id = TaskIdFor(deployment_id, step, member);
  SQLite::Statement existing(db, "SELECT state FROM tasks WHERE id=?");
  existing.bind(1, task_id);
  if (existing.executeStep()) {
    const std::string state = existing.getColumn(0).getString();
    if (state != "cancelled" && state != "reassigned") {
      return Status::Error(ErrorCode::kConflict,
                           member + " already holds task " + task_id + " (" + state + ")");
    }
    SQLite::Statement revive(db,
                             "UPDATE tasks SET state='waiting', dormant=?, reason='', stood_down=0, "
                             "ready_at=NULL, due_at=NULL, updated_at=? WHERE id=?");
    revive.bind(1, dormant ? 1 : 0);
    revive.bind(2, static_cast<std::int64_t>(now));
    revive.bind(3, task_id);
    revive.exec();
    MarkTeamChanged(db, deployment_id);
    return Status::Ok();
  }
  SQLite::Statement insert(db,
                           "INSERT INTO tasks(id, deployment_id, step_id, member_id, state, "
                           "dormant, updated_at) VALUES(?,?,?,?, 'waiting', ?, ?)");
  insert.bind(1, task_id);
  insert.bind(2, deployment_id);
  insert.bind(3, step);
  insert.bind(4, member);
  insert.bind(5, dormant ? 1 : 0);
  insert.bind(6, static_cast<std::int64_t>(now));
  insert.exec();
  MarkTeamChanged(db, deployment_id);
  return Status::Ok();
}

void SetTaskState(SQLite::Database& db, const std::string& task_id, const std::string& state,
                  const std::string& reason, Millis now) {
  // An officer's decision: no longer a trigger's stand-down (ingest's conflict rules).
  SQLite::Statement update(
      db, "UPDATE tasks SET state=?, reason=?, stood_down=0, updated_at=? WHERE id=?");
  update.bind(1, state);
  update.bind(2, reason);
  update.bind(3, static_cast<std::int64_t>(now));
  update.bind(4, task_id);
  update.exec();
  // The team hears of an officer's decision at the next relay, as of a member's.
  SQLite::Statement dirty(db,
                          "UPDATE deployments SET team_dirty=1 WHERE id=(SELECT deployment_id "
                          "FROM tasks WHERE id=?)");
  dirty.bind(1, task_id);
  dirty.exec();
}

}  // namespace

Result<json> Operations::CancelTask(const std::string& task_id, const std::string& reason,
                                    const Actor& actor,
                                    std::vector<std::string>* agents_to_notify) {
  MUSTER_RETURN_IF_ERROR(limits::CheckLength("the reason", reason, limits::kLine));
  json result;
  Status status = InTransaction(*db_, [&]() -> Status {
    Result<OpenTask> task = FindOpenTask(*db_, task_id);
    if (!task.ok()) return task.status();
    auto book = playbooks_.ByHash(task->playbook_hash);
    if (!book.ok()) return book.status();
    const std::string why = reason.empty() ? "cancelled by " + actor.name : reason;
    SetTaskState(*db_, task_id, "cancelled", why, clock_.Now());
    // A step whose every task is cancelled no longer holds its dependents back.
    auto released = deployments_.RequeueAround(task->deployment, **book, task->step, {task_id},
                                               agents_to_notify);
    if (!released.ok()) return released.status();
    MUSTER_RETURN_IF_ERROR(timeline_.Append(task->incident, "task_cancelled", actor.name,
                                            task_id + " (" + task->member + "): " + why));
    result = {{"task", task_id},
              {"member", task->member},
              {"state", "cancelled"},
              {"reason", why},
              {"released", *released}};
    return audit_.Record({actor, "task.cancel", task_id, {{"reason", why}}});
  });
  if (!status.ok()) return status;
  return result;
}

Result<json> Operations::ReassignTask(const std::string& task_id, const std::string& member_id,
                                      const Actor& actor,
                                      std::vector<std::string>* agents_to_notify) {
  json result;
  Status status = InTransaction(*db_, [&]() -> Status {
    Result<OpenTask> task = FindOpenTask(*db_, task_id);
    if (!task.ok()) return task.status();
    if (member_id == task->member) {
      return Status::Error(ErrorCode::kInvalidArgument,
                           "task " + task_id + " is already held by " + member_id);
    }
    if (!MemberExists(*db_, member_id)) {
      return Status::Error(ErrorCode::kNotFound,
                           "no member '" + member_id + "'; list them with: muster member list");
    }
    const std::vector<std::string> agents = deliveries_.ActiveAgentsOf(member_id);
    if (agents.empty()) {
      return Status::Error(ErrorCode::kNoAgent,
                           "member '" + member_id +
                               "' has no enrolled agent; run: muster agent enroll " + member_id +
                               " --out BUNDLE");
    }
    auto book = playbooks_.ByHash(task->playbook_hash);
    if (!book.ok()) return book.status();
    const playbook::Step* step = (*book)->FindStep(task->step);
    const Millis now = clock_.Now();
    const bool newcomer = !HasAssignment(*db_, task->deployment, member_id);
    MUSTER_RETURN_IF_ERROR(
        PutTask(*db_, task->deployment, task->step, member_id, task->dormant, now));
    SetTaskState(*db_, task_id, "reassigned", "reassigned to " + member_id + " by " + actor.name,
                 now);
    SQLite::Statement assign(*db_,
                             "INSERT OR IGNORE INTO assignments(deployment_id, role, member_id) "
                             "VALUES(?,?,?)");
    assign.bind(1, task->deployment);
    assign.bind(2, step ? step->role : std::string());
    assign.bind(3, member_id);
    assign.exec();
    for (const std::string& agent : agents) {
      if (newcomer) {
        MUSTER_RETURN_IF_ERROR(dispatch_.QueuePlaybook(agent, **book));
        MUSTER_RETURN_IF_ERROR(dispatch_.QueueWatchlist(agent, task->deployment));
      }
      if (agents_to_notify) AddUnique(*agents_to_notify, agent);
    }
    const std::string new_id = TaskIdFor(task->deployment, task->step, member_id);
    auto released = deployments_.RequeueAround(task->deployment, **book, task->step,
                                               {task_id, new_id}, agents_to_notify);
    if (!released.ok()) return released.status();
    MUSTER_RETURN_IF_ERROR(timeline_.Append(
        task->incident, "task_reassigned", actor.name,
        task_id + ": from " + task->member + " to " + member_id + " (now " + new_id + ")"));
    result = {{"task", task_id},
              {"from", task->member},
              {"to", member_id},
              {"new_task", new_id},
              {"state", "reassigned"}};
    return audit_.Record(
        {actor, "task.reassign", task_id, {{"from", task->member}, {"to", member_id}}});
  });
  if (!status.ok()) return status;
  return result;
}

Result<json> Operations::AddMember(std::int64_t deployment_id, const std::string& role,
                                   const std::string& member_id, const Actor& actor,
                                   std::vector<std::string>* agents_to_notify) {
  json result;
  Status status = InTransaction(*db_, [&]() -> Status {
    auto deployment = ActiveDeployment(*db_, deployment_id);
    if (!deployment.ok()) return deployment.status();
    auto book = playbooks_.ByHash(deployment->second);
    if (!book.ok()) return book.status();
    if ((*book)->FindRole(role) == nullptr) {
      std::string known;
      for (const auto& r : (*book)->roles) known += (known.empty() ? "" : ", ") + r.id;
      return Status::Error(
          ErrorCode::kInvalidArgument,
          "playbook " + (*book)->id + " has no role '" + role + "'; its roles are: " + known);
    }
    if (!MemberExists(*db_, member_id)) {
      return Status::Error(
          ErrorCode::kNotFound,
          "no member '" + member_id + "'; add one with: muster member add " + member_id);
    }
    const std::vector<std::string> agents = deliveries_.ActiveAgentsOf(member_id);
    if (agents.empty()) {
      return Status::Error(ErrorCode::kNoAgent,
                           "member '" + member_id +
                               "' has no enrolled agent; run: muster agent enroll " + member_id +
                               " --out BUNDLE");
    }
    const bool newcomer = !HasAssignment(*db_, deployment_id, member_id);
    SQLite::Statement assign(*db_,
                             "INSERT OR IGNORE INTO assignments(deployment_id, role, member_id) "
                             "VALUES(?,?,?)");
    assign.bind(1, deployment_id);
    assign.bind(2, role);
    assign.bind(3, member_id);
    if (assign.exec() == 0) {
      return Status::Error(ErrorCode::kConflict, member_id + " already fills role " + role +
                                                     " in deployment " +
                                                     std::to_string(deployment_id));
    }
    const Millis now = clock_.Now();
    std::vector<std::string> created;
    std::vector<std::string> affected;
    const std::set<std::string> stood_down = deployments_.StoodDownSteps(deployment_id, **book);
    for (const playbook::Step& step : (*book)->steps) {
      // A step a trigger stood down is no work for a newcomer either.
      if (step.role != role || stood_down.count(step.id) > 0) continue;
      // An on_trigger step stays dormant unless a trigger already activated it.
      SQLite::Statement active(*db_,
                               "SELECT 1 FROM tasks WHERE deployment_id=? AND step_id=? AND "
                               "dormant=0");
      active.bind(1, deployment_id);
      active.bind(2, step.id);
      const bool dormant = step.on_trigger && !active.executeStep();
      MUSTER_RETURN_IF_ERROR(PutTask(*db_, deployment_id, step.id, member_id, dormant, now));
      created.push_back(TaskIdFor(deployment_id, step.id, member_id));
      for (const auto& id : deployments_.DependentTasks(deployment_id, **book, step.id)) {
        AddUnique(affected, id);
      }
    }
    auto released = deployments_.ReleaseReadyTasks(deployment_id);
    if (!released.ok()) return released.status();
    for (const std::string& agent : agents) {
      if (newcomer) {
        MUSTER_RETURN_IF_ERROR(dispatch_.QueuePlaybook(agent, **book));
        MUSTER_RETURN_IF_ERROR(dispatch_.QueueWatchlist(agent, deployment_id));
      }
      if (agents_to_notify) AddUnique(*agents_to_notify, agent);
    }
    std::vector<std::string> snapshots = created;
    for (const auto& id : *released) AddUnique(snapshots, id);
    for (const auto& id : affected) AddUnique(snapshots, id);
    MUSTER_RETURN_IF_ERROR(dispatch_.QueueTaskSnapshots(snapshots, agents_to_notify));
    MUSTER_RETURN_IF_ERROR(timeline_.Append(
        deployment->first, "member_added", actor.name,
        member_id + " joined deployment " + std::to_string(deployment_id) + " as " + role +
            " with " + std::to_string(created.size()) + " task(s)"));
    result = {
        {"deployment", deployment_id}, {"role", role}, {"member", member_id}, {"tasks", created}};
    return audit_.Record({actor,
                          "deployment.add_member",
                          std::to_string(deployment_id),
                          {{"member", member_id}, {"role", role}}});
  });
  if (!status.ok()) return status;
  return result;
}

Result<json> Operations::RevokePlaybook(const std::string& id, const std::string& version,
                                        const std::string& reason, const Actor& actor,
                                        std::vector<std::string>* agents_to_notify) {
  json result;
  Status status = InTransaction(*db_, [&]() -> Status {
    Result<std::string> hash = playbooks_.Revoke(id, version, reason, actor);
    if (!hash.ok()) return hash.status();
    auto revocation = playbooks_.RevocationOf(*hash);
    if (!revocation.ok()) return revocation.status();
    const wire::PlaybookStatusDelivery notice{*hash, (*revocation)->at, actor.name, reason};
    json running = json::array();
    std::set<std::string> told;
    SQLite::Statement deployments(*db_,
                                  "SELECT id, incident_id FROM deployments "
                                  "WHERE playbook_hash=? AND status='active' ORDER BY id");
    deployments.bind(1, *hash);
    while (deployments.executeStep()) {
      const std::int64_t deployment_id = deployments.getColumn(0).getInt64();
      running.push_back(deployment_id);
      SQLite::Statement members(
          *db_, "SELECT DISTINCT member_id FROM assignments WHERE deployment_id=?");
      members.bind(1, deployment_id);
      while (members.executeStep()) {
        const std::string member = members.getColumn(0).getString();
        for (const std::string& agent : deliveries_.ActiveAgentsOf(member)) {
          if (!told.insert(agent).second) continue;
          MUSTER_RETURN_IF_ERROR(deliveries_.Queue(agent, notice));
          if (agents_to_notify) agents_to_notify->push_back(agent);
        }
      }
      MUSTER_RETURN_IF_ERROR(timeline_.Append(
          deployments.getColumn(1).getString(), "playbook_revoked", actor.name,
          "deployment " + std::to_string(deployment_id) + " runs " + id + "@" + version +
              ", revoked: " + reason + "; its tasks go on and its members are told"));
    }
    result = {{"id", id},
              {"version", version},
              {"hash", *hash},
              {"reason", reason},
              {"running", std::move(running)}};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return result;
}

Result<json> Operations::Close(std::int64_t deployment_id, const std::string& outcome,
                               const Actor& actor, std::vector<std::string>* agents_to_notify) {
  if (outcome != "cancelled" && outcome != "demobilised") {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "a deployment closes as cancelled or demobilised");
  }
  json result;
  Status status = InTransaction(*db_, [&]() -> Status {
    auto deployment = ActiveDeployment(*db_, deployment_id);
    if (!deployment.ok()) return deployment.status();
    const Millis now = clock_.Now();
    json open = json::array();
    std::vector<std::string> closed;
    SQLite::Statement query(*db_,
                            "SELECT id, step_id, member_id, state, reason, dormant FROM tasks "
                            "WHERE deployment_id=? AND state NOT IN "
                            "('completed','cancelled','reassigned') ORDER BY rowid");
    query.bind(1, deployment_id);
    while (query.executeStep()) {
      closed.push_back(query.getColumn(0).getString());
      if (query.getColumn(5).getInt() != 0) continue;  // never activated: not open work
      open.push_back({{"task", query.getColumn(0).getString()},
                      {"step", query.getColumn(1).getString()},
                      {"member", query.getColumn(2).getString()},
                      {"state", query.getColumn(3).getString()},
                      {"reason", query.getColumn(4).getString()}});
    }
    query.reset();
    const std::string why =
        "deployment " + std::to_string(deployment_id) + " " + outcome + " by " + actor.name;
    for (const std::string& task_id : closed) SetTaskState(*db_, task_id, "cancelled", why, now);
    SQLite::Statement close(*db_, "UPDATE deployments SET status=?, closed_at=? WHERE id=?");
    close.bind(1, outcome);
    close.bind(2, static_cast<std::int64_t>(now));
    close.bind(3, deployment_id);
    close.exec();
    MUSTER_RETURN_IF_ERROR(dispatch_.QueueTaskSnapshots(closed, agents_to_notify));
    // Members who no longer serve in the incident drop its watchlist from their laptops.
    SQLite::Statement leaving(
        *db_,
        "SELECT DISTINCT g.id FROM assignments a JOIN agents g ON g.member_id=a.member_id AND "
        "g.status='active' WHERE a.deployment_id=?1 AND NOT EXISTS(SELECT 1 FROM assignments "
        "b JOIN deployments e ON e.id=b.deployment_id WHERE b.member_id=a.member_id AND "
        "e.incident_id=?2 AND e.status='active') ORDER BY g.id");
    leaving.bind(1, deployment_id);
    leaving.bind(2, deployment->first);
    while (leaving.executeStep()) {
      const std::string agent = leaving.getColumn(0).getString();
      MUSTER_RETURN_IF_ERROR(dispatch_.QueueWatchlist(agent, deployment_id, false));
      if (agents_to_notify) AddUnique(*agents_to_notify, agent);
    }
    std::string listed;
    for (const auto& task : open) {
      listed += (listed.empty() ? "" : ", ") + task["task"].get<std::string>() + " (" +
                task["state"].get<std::string>() + ")";
    }
    MUSTER_RETURN_IF_ERROR(timeline_.Append(
        deployment->first, "deployment_" + outcome, actor.name,
        "deployment " + std::to_string(deployment_id) + " " + outcome + "; " +
            (open.empty() ? std::string("no task was open")
                          : std::to_string(open.size()) + " task(s) still open: " + listed)));
    result = {{"id", deployment_id},
              {"incident", deployment->first},
              {"status", outcome},
              {"closed_at", now},
              {"open_tasks", open}};
    return audit_.Record({actor,
                          outcome == "cancelled" ? "deployment.cancel" : "deployment.demobilise",
                          std::to_string(deployment_id),
                          {{"open_tasks", open.size()}}});
  });
  if (!status.ok()) return status;
  return result;
}

}  // namespace muster::hq
