#include "domain/deployments.h"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <set>

#include "muster/playbook/fields.h"
#include "muster/playbook/schedule.h"
#include "muster/playbook/triggers.h"
#include "muster/exercise/script.h"
#include "muster/sqlite_store.h"
#include "store/columns.h"
#include "store/lookups.h"

namespace muster::hq {
namespace {

Candidates LoadCandidates(SQLite::Database& db) {
  Candidates candidates;
  SQLite::Statement query(
      db,
      "SELECT m.id, m.roles, m.qualifications, EXISTS(SELECT 1 FROM assignments a JOIN "
      "deployments d ON d.id=a.deployment_id WHERE a.member_id=m.id AND d.status='active'), "
      "EXISTS(SELECT 1 FROM agents g WHERE g.member_id=m.id AND g.status='active') "
      "FROM members m ORDER BY m.id");
  while (query.executeStep()) {
    Candidate candidate{query.getColumn(0).getString(),
                        {},
                        {},
                        query.getColumn(3).getInt() != 0,
                        query.getColumn(4).getInt() != 0};
    for (const auto& role : ParseJsonColumn(query.getColumn(1))) {
      if (role.is_string()) candidate.roles.insert(role.get<std::string>());
    }
    for (const auto& qualification : ParseJsonColumn(query.getColumn(2))) {
      if (qualification.is_string())
        candidate.qualifications.insert(qualification.get<std::string>());
    }
    const std::string id = candidate.id;
    candidates.emplace(id, std::move(candidate));
  }
  return candidates;
}

void AddUnique(std::vector<std::string>& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

}  // namespace

std::string TaskIdFor(std::int64_t deployment_id, const std::string& step,
                      const std::string& member) {
  return "d" + std::to_string(deployment_id) + "." + step + "." + member;
}

std::map<std::string, bool> Deployments::StepsDone(std::int64_t deployment_id,
                                                   const playbook::Playbook& book) {
  struct Tally {
    bool all_completed = true;  // every live task completed (none cancelled or reassigned)
    bool one_completed = false;
  };
  std::map<std::string, Tally> tally;
  auto states = statements_.Get(
      "SELECT step_id, state FROM tasks WHERE deployment_id=? AND occurrence=1");
  states->bind(1, deployment_id);
  while (states->executeStep()) {
    const std::string state = states->getColumn(1).getString();
    Tally& t = tally[states->getColumn(0).getString()];
    if (state == "cancelled" || state == "reassigned") continue;
    t.all_completed = t.all_completed && state == "completed";
    t.one_completed = t.one_completed || state == "completed";
  }
  states->reset();
  std::map<std::string, bool> done;
  for (const auto& [step_id, t] : tally) {
    const playbook::Step* step = book.FindStep(step_id);
    const bool any = step != nullptr && step->completion == playbook::Completion::kAny;
    done[step_id] = t.all_completed || (any && t.one_completed);
  }
  return done;
}

Status Deployments::CloseForAnyCompletion(std::int64_t deployment_id,
                                          const playbook::Playbook& book,
                                          const std::string& step_id, const std::string& member,
                                          TaskEffects& outcome) {
  const playbook::Step* step = book.FindStep(step_id);
  if (step == nullptr || step->completion != playbook::Completion::kAny) return Status::Ok();
  auto close = statements_.Get(
      "UPDATE tasks SET state='cancelled', stood_down=1, reason=?, updated_at=? WHERE "
      "deployment_id=? AND step_id=? AND occurrence=1 AND member_id<>? AND state NOT IN "
      "('completed','cancelled','reassigned') RETURNING id");
  close->bind(1, "done by " + member + " (completion: any)");
  close->bind(2, static_cast<std::int64_t>(clock_.Now()));
  close->bind(3, deployment_id);
  close->bind(4, step_id);
  close->bind(5, member);
  std::vector<std::string> closed;
  while (close->executeStep()) closed.push_back(close->getColumn(0).getString());
  close->reset();
  if (closed.empty()) return Status::Ok();
  outcome.team_changed.insert(deployment_id);
  return dispatch_.QueueTaskSnapshots(closed, &outcome.agents_to_notify);
}

Result<std::vector<std::string>> Deployments::ReleaseReadyTasks(std::int64_t deployment_id) {
  std::vector<std::string> released;
  auto hash_query = statements_.Get("SELECT playbook_hash FROM deployments WHERE id=?");
  hash_query->bind(1, deployment_id);
  if (!hash_query->executeStep()) return released;
  auto book = playbooks_.ByHash(hash_query->getColumn(0).getString());
  if (!book.ok()) return book.status();

  // A step with no task at all (its optional role left empty) blocks its dependants only
  // when the role says `when_empty: wait`.
  const std::map<std::string, bool> step_done = StepsDone(deployment_id, **book);
  // A stood-down step blocks nothing, even one that never had a task (an empty role).
  const std::set<std::string> stood_down = StoodDownSteps(deployment_id, **book);
  auto waiting = statements_.Get(
      "SELECT id, step_id FROM tasks WHERE deployment_id=? AND "
      "state='waiting' AND dormant=0");
  waiting->bind(1, deployment_id);
  std::vector<std::pair<std::string, std::string>> candidates;
  while (waiting->executeStep()) {
    candidates.emplace_back(waiting->getColumn(0).getString(), waiting->getColumn(1).getString());
  }
  const Millis now = clock_.Now();
  for (const auto& [task_id, step_id] : candidates) {
    const playbook::Step* step = (*book)->FindStep(step_id);
    if (step == nullptr) continue;
    const bool ready =
        std::all_of(step->depends_on.begin(), step->depends_on.end(), [&](const std::string& dep) {
          if (stood_down.count(dep) > 0) return true;
          auto it = step_done.find(dep);
          return it != step_done.end() ? it->second : !playbook::WaitsForEmptyRole(**book, dep);
        });
    if (!ready) continue;
    auto update = statements_.Get(
        "UPDATE tasks SET state='ready', ready_at=?, due_at=?, updated_at=? "
        "WHERE id=?");
    update->bind(1, static_cast<std::int64_t>(now));
    if (step->due_in_ms > 0) {
      update->bind(2, static_cast<std::int64_t>(now + step->due_in_ms));
    } else {
      update->bind(2);
    }
    update->bind(3, static_cast<std::int64_t>(now));
    update->bind(4, task_id);
    update->exec();
    released.push_back(task_id);
  }
  return released;
}

Result<json> Deployments::Deploy(const DeployInput& input,
                                 std::vector<std::string>* agents_to_notify) {
  Result<json> published =
      playbooks_.Publish(input.playbook_source, input.playbook_file, input.signature, input.actor);
  if (!published.ok()) return published;
  const std::string hash = (*published)["hash"];
  auto book = playbooks_.ByHash(hash);
  if (!book.ok()) return book.status();
  MUSTER_RETURN_IF_ERROR(playbooks_.CheckDeployable(**book));

  json deployment;
  Status status = InTransaction(*db_, [&]() -> Status {
    MUSTER_RETURN_IF_ERROR(RequireOpenIncident(input.incident_id));
    Result<TeamPick> pick = PickTeam(**book, LoadCandidates(*db_), input.assign);
    if (!pick.ok()) return pick.status();
    Result<NewDeployment> created = Create(input.incident_id, **book, *pick);
    if (!created.ok()) return created.status();
    MUSTER_RETURN_IF_ERROR(QueueToTeam(**book, *created, agents_to_notify));
    Result<json> recorded = Record(input, **book, *pick, *created);
    if (!recorded.ok()) return recorded.status();
    deployment = std::move(recorded).value();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return deployment;
}

Status Deployments::RequireOpenIncident(const std::string& incident_id) {
  auto incident = statements_.Get("SELECT status FROM incidents WHERE id=?");
  incident->bind(1, incident_id);
  if (!incident->executeStep()) {
    return Status::Error(ErrorCode::kNotFound,
                         "no incident '" + incident_id + "'; list them with: muster incident list");
  }
  if (incident->getColumn(0).getString() != "open") {
    return Status::Error(ErrorCode::kConflict, "incident " + incident_id + " is closed");
  }
  return Status::Ok();
}

Result<Deployments::NewDeployment> Deployments::Create(const std::string& incident_id,
                                                       const playbook::Playbook& book,
                                                       const TeamPick& pick) {
  const Millis now = clock_.Now();
  auto insert = statements_.Get(
      "INSERT INTO deployments(incident_id, playbook_hash, created_at) VALUES(?,?,?)");
  insert->bind(1, incident_id);
  insert->bind(2, book.content_hash);
  insert->bind(3, static_cast<std::int64_t>(now));
  insert->exec();
  NewDeployment created;
  created.id = db_->getLastInsertRowid();
  auto assign =
      statements_.Get("INSERT INTO assignments(deployment_id, role, member_id) VALUES(?,?,?)");
  for (const auto& [role, members] : pick.team) {
    for (const std::string& member : members) {
      assign->bind(1, created.id);
      assign->bind(2, role);
      assign->bind(3, member);
      assign->exec();
      assign->reset();
      for (std::string& agent : deliveries_.ActiveAgentsOf(member)) {
        created.agents.insert(std::move(agent));
      }
    }
  }
  auto task = statements_.Get(
      "INSERT INTO tasks(id, deployment_id, step_id, member_id, state, dormant, updated_at) "
      "VALUES(?,?,?,?, 'waiting', ?, ?)");
  for (const playbook::Step& step : book.steps) {
    auto members = pick.team.find(step.role);
    if (members == pick.team.end()) continue;
    for (const std::string& member : members->second) {
      const std::string task_id = TaskIdFor(created.id, step.id, member);
      task->bind(1, task_id);
      task->bind(2, created.id);
      task->bind(3, step.id);
      task->bind(4, member);
      task->bind(5, step.on_trigger ? 1 : 0);
      task->bind(6, static_cast<std::int64_t>(now));
      task->exec();
      task->reset();
      created.task_ids.push_back(task_id);
    }
  }
  auto released = ReleaseReadyTasks(created.id);
  if (!released.ok()) return released.status();
  return created;
}

Status Deployments::QueueToTeam(const playbook::Playbook& book, const NewDeployment& created,
                                std::vector<std::string>* agents_to_notify) {
  // Each agent gets the pinned playbook first, then its tasks. The playbook is stored
  // once for the whole team.
  const std::vector<std::string> agents(created.agents.begin(), created.agents.end());
  Result<wire::PlaybookDelivery> delivery = playbooks_.DeliveryOf(book);
  if (!delivery.ok()) return delivery.status();
  MUSTER_RETURN_IF_ERROR(
      deliveries_.QueueShared(agents, wire::DeliveryKindName(wire::DeliveryKind::kPlaybook),
                              delivery->Encode().dump()));
  if (agents_to_notify) {
    agents_to_notify->insert(agents_to_notify->end(), agents.begin(), agents.end());
  }
  MUSTER_RETURN_IF_ERROR(dispatch_.QueueTaskSnapshots(created.task_ids, nullptr));
  for (const std::string& agent : agents) {
    MUSTER_RETURN_IF_ERROR(dispatch_.QueueWatchlist(agent, created.id));
  }
  return team_.QueueSnapshot(created.id, std::nullopt, nullptr);
}

Result<json> Deployments::Record(const DeployInput& input, const playbook::Playbook& book,
                                 const TeamPick& pick, const NewDeployment& created) {
  const std::string id = std::to_string(created.id);
  MUSTER_RETURN_IF_ERROR(
      timeline_.Append(input.incident_id, "deployed", input.actor.name,
                       "deployment " + id + ": " + book.id + " " + book.version + " to " +
                           std::to_string(created.agents.size()) + " member(s), " +
                           std::to_string(created.task_ids.size()) + " task(s)"));
  if (!pick.gaps.empty()) {
    MUSTER_RETURN_IF_ERROR(timeline_.Append(input.incident_id, "qualification_gap",
                                            input.actor.name,
                                            "deployment " + id + ": " + pick.gaps));
  }
  json team_json = json::object();
  for (const auto& [role, members] : pick.team) team_json[role] = members;
  json detail = {{"incident", input.incident_id},
                 {"playbook", book.id + "@" + book.version},
                 {"team", team_json},
                 {"automatic", pick.automatic}};
  if (!pick.unqualified.empty()) detail["unqualified"] = pick.unqualified;
  MUSTER_RETURN_IF_ERROR(audit_.Record({input.actor, "deployment.create", id, detail}));
  Result<json> governance = playbooks_.Governance(book.content_hash);
  if (!governance.ok()) return governance.status();
  json pinned = {{"id", book.id}, {"version", book.version}, {"hash", book.content_hash}};
  pinned.update(*governance);
  return json{
      {"id", created.id},
      {"incident", input.incident_id},
      {"playbook", std::move(pinned)},
      {"team", team_json},
      {"automatic", pick.automatic},
      {"unqualified", pick.unqualified},
      {"tasks", created.task_ids.size()}};
}

Status Deployments::FireTrigger(std::int64_t deployment_id, const playbook::Playbook& book,
                                const std::string& trigger_id, const std::string& source,
                                TaskEffects& outcome) {
  const playbook::FiredBranch fired = playbook::FindFired(book, trigger_id);
  if (fired.trigger == nullptr) {
    return Status::Error(ErrorCode::kNotFound,
                         "playbook " + book.id + " has no trigger " + trigger_id);
  }
  // Decided once per deployment, by whichever branch came first.
  const std::set<std::string> decided = FiredIds(deployment_id);
  if (decided.count(fired.trigger->id) > 0 ||
      decided.count(playbook::ElseId(fired.trigger->id)) > 0) {
    return Status::Ok();
  }
  MarkFired(deployment_id, trigger_id, source);

  return RunActions(deployment_id, book, trigger_id, *fired.actions, source, outcome);
}

std::set<std::string> Deployments::FiredIds(std::int64_t deployment_id) {
  std::set<std::string> fired;
  auto query = statements_.Get("SELECT trigger_id FROM fired_triggers WHERE deployment_id=?");
  query->bind(1, deployment_id);
  while (query->executeStep()) fired.insert(query->getColumn(0).getString());
  query->reset();
  return fired;
}

bool Deployments::MarkFired(std::int64_t deployment_id, const std::string& fired_id,
                            const std::string& source) {
  auto mark = statements_.Get(
      "INSERT OR IGNORE INTO fired_triggers(deployment_id, trigger_id, fired_at, source) "
      "VALUES(?,?,?,?)");
  mark->bind(1, deployment_id);
  mark->bind(2, fired_id);
  mark->bind(3, static_cast<std::int64_t>(clock_.Now()));
  mark->bind(4, source);
  const bool inserted = mark->exec() > 0;
  mark->reset();
  return inserted;
}

Status Deployments::RunActions(std::int64_t deployment_id, const playbook::Playbook& book,
                               const std::string& fired_id,
                               const std::vector<playbook::TriggerAction>& actions,
                               const std::string& source, TaskEffects& outcome) {
  const bool escalation = playbook::ParseEscalationId(fired_id).has_value();
  auto incident_query = statements_.Get("SELECT incident_id FROM deployments WHERE id=?");
  incident_query->bind(1, deployment_id);
  incident_query->executeStep();
  const std::string incident = incident_query->getColumn(0).getString();
  incident_query->reset();
  for (const playbook::TriggerAction& action : actions) {
    switch (action.kind) {
      case playbook::ActionKind::kActivate: {
        auto activate = statements_.Get(
            "UPDATE tasks SET dormant=0, updated_at=? WHERE "
            "deployment_id=? AND step_id=? AND dormant=1 RETURNING id");
        activate->bind(1, static_cast<std::int64_t>(clock_.Now()));
        activate->bind(2, deployment_id);
        activate->bind(3, action.step);
        std::vector<std::string> activated;
        while (activate->executeStep()) activated.push_back(activate->getColumn(0).getString());
        activate->reset();
        outcome.team_changed.insert(deployment_id);
        auto released = ReleaseReadyTasks(deployment_id);
        if (!released.ok()) return released.status();
        for (const auto& id : *released) AddUnique(activated, id);
        MUSTER_RETURN_IF_ERROR(dispatch_.QueueTaskSnapshots(activated, &outcome.agents_to_notify));
        MUSTER_RETURN_IF_ERROR(timeline_.Append(incident, escalation ? "escalation" : "trigger",
                                                source, fired_id + " activated step " + action.step));
        break;
      }
      case playbook::ActionKind::kAlert:
        MUSTER_RETURN_IF_ERROR(alerts_.Raise(
            incident, deployment_id, escalation ? "escalation" : "trigger",
            action.severity.empty() ? "warning" : action.severity, action.message, source,
            (escalation ? "" : "trigger:" + std::to_string(deployment_id) + ":") + fired_id));
        break;
      case playbook::ActionKind::kNotify:
        MUSTER_RETURN_IF_ERROR(Notify(deployment_id, incident, fired_id, action, source, outcome));
        break;
      case playbook::ActionKind::kStandDown:
        MUSTER_RETURN_IF_ERROR(
            StandDown(deployment_id, incident, book, action, fired_id, source, outcome));
        break;
    }
  }
  return Status::Ok();
}

Status Deployments::Notify(std::int64_t deployment_id, const std::string& incident,
                           const std::string& fired_id, const playbook::TriggerAction& action,
                           const std::string& source, TaskEffects& outcome) {
  if (action.role.empty()) return timeline_.Append(incident, "notify", source, action.message);
  auto query = statements_.Get(
      "SELECT member_id FROM assignments WHERE deployment_id=? AND role=? ORDER BY member_id");
  query->bind(1, deployment_id);
  query->bind(2, action.role);
  std::vector<std::string> members;
  while (query->executeStep()) members.push_back(query->getColumn(0).getString());
  query->reset();
  std::string names;
  for (const std::string& member : members) names += (names.empty() ? "" : ", ") + member;
  MUSTER_RETURN_IF_ERROR(timeline_.Append(
      incident, "notify", source,
      "to " + action.role + " (" + (names.empty() ? "no one holds the role" : names) +
          "): " + action.message));
  // An exercise's notice says so on the laptop, like its tasks (docs/programme.md).
  const wire::NoticeDelivery notice{
      deployment_id, action.role, fired_id,
      IsExercise(*db_, incident) ? exercise::Marked(action.message) : action.message};
  for (const std::string& member : members) {
    for (const std::string& agent : deliveries_.ActiveAgentsOf(member)) {
      MUSTER_RETURN_IF_ERROR(deliveries_.Queue(agent, notice));
      AddUnique(outcome.agents_to_notify, agent);
    }
  }
  return Status::Ok();
}

std::set<std::string> Deployments::StoodDownSteps(std::int64_t deployment_id,
                                                  const playbook::Playbook& book) {
  std::set<std::string> steps;
  for (const std::string& fired_id : FiredIds(deployment_id)) {
    const playbook::FiredBranch fired = playbook::FindFired(book, fired_id);
    if (fired.actions == nullptr) continue;  // an escalation, or a trigger the book lacks
    for (const playbook::TriggerAction& action : *fired.actions) {
      if (action.kind != playbook::ActionKind::kStandDown) continue;
      for (std::string& step : playbook::StepsStoodDown(book, fired_id, action)) {
        steps.insert(std::move(step));
      }
    }
  }
  return steps;
}

Status Deployments::StandDown(std::int64_t deployment_id, const std::string& incident,
                              const playbook::Playbook& book,
                              const playbook::TriggerAction& action, const std::string& trigger_id,
                              const std::string& source, TaskEffects& outcome) {
  const std::string reason = "stood down by trigger " + trigger_id + ": " + action.message;
  auto cancel = statements_.Get(
      "UPDATE tasks SET state='cancelled', stood_down=1, reason=?, updated_at=? WHERE "
      "deployment_id=? AND step_id=? AND state NOT IN ('completed','cancelled','reassigned') "
      "RETURNING id");
  std::vector<std::string> changed;
  for (const std::string& step : playbook::StepsStoodDown(book, trigger_id, action)) {
    cancel->bind(1, reason);
    cancel->bind(2, static_cast<std::int64_t>(clock_.Now()));
    cancel->bind(3, deployment_id);
    cancel->bind(4, step);
    while (cancel->executeStep()) changed.push_back(cancel->getColumn(0).getString());
    cancel->reset();
  }
  const std::size_t stood_down = changed.size();
  // Steps that waited on the closed ones go ahead: a stood-down step blocks nothing.
  auto released = ReleaseReadyTasks(deployment_id);
  if (!released.ok()) return released.status();
  changed.insert(changed.end(), released->begin(), released->end());
  outcome.team_changed.insert(deployment_id);
  MUSTER_RETURN_IF_ERROR(dispatch_.QueueTaskSnapshots(changed, &outcome.agents_to_notify));
  const std::string scope = action.phase == playbook::kWholeDeployment
                                ? "deployment " + std::to_string(deployment_id)
                                : "phase " + action.phase;
  return timeline_.Append(incident, "stand_down", source,
                          trigger_id + " stood down " + scope + " (" +
                              std::to_string(stood_down) + " task(s)): " + action.message);
}

Status Deployments::EvaluateTriggers(std::int64_t deployment_id, const std::string& source,
                                     TaskEffects& outcome) {
  auto hash_query = statements_.Get("SELECT playbook_hash FROM deployments WHERE id=?");
  hash_query->bind(1, deployment_id);
  if (!hash_query->executeStep()) return Status::Ok();
  auto book = playbooks_.ByHash(hash_query->getColumn(0).getString());
  if (!book.ok()) return book.status();
  if ((*book)->triggers.empty()) return Status::Ok();

  playbook::FindingValues values;
  auto latest = statements_.Get("SELECT key, value FROM finding_values WHERE deployment_id=?");
  latest->bind(1, deployment_id);
  while (latest->executeStep()) {
    auto typed =
        playbook::ValueFromJson(json::parse(latest->getColumn(1).getString(), nullptr, false));
    if (typed) values[latest->getColumn(0).getString()] = *typed;
  }
  std::set<std::string> done;
  for (const auto& [step, is_done] : StepsDone(deployment_id, **book)) {
    if (is_done) done.insert(step);
  }
  for (const playbook::FiredTrigger& hit :
       playbook::EvaluateTriggers(**book, values, FiredIds(deployment_id), done)) {
    MUSTER_RETURN_IF_ERROR(FireTrigger(deployment_id, **book, hit.trigger_id, source, outcome));
  }
  return Status::Ok();
}

std::vector<std::string> Deployments::DependentTasks(std::int64_t deployment_id,
                                                     const playbook::Playbook& book,
                                                     const std::string& step) {
  std::vector<std::string> dependents;
  for (const playbook::Step& candidate : book.steps) {
    if (std::find(candidate.depends_on.begin(), candidate.depends_on.end(), step) ==
        candidate.depends_on.end()) {
      continue;
    }
    SQLite::Statement query(*db_,
                            "SELECT id FROM tasks WHERE deployment_id=? AND step_id=? AND "
                            "state NOT IN ('cancelled','reassigned')");
    query.bind(1, deployment_id);
    query.bind(2, candidate.id);
    while (query.executeStep()) dependents.push_back(query.getColumn(0).getString());
  }
  return dependents;
}

Result<std::vector<std::string>> Deployments::RequeueAround(
    std::int64_t deployment_id, const playbook::Playbook& book, const std::string& step,
    std::vector<std::string> changed, std::vector<std::string>* agents_to_notify) {
  auto released = ReleaseReadyTasks(deployment_id);
  if (!released.ok()) return released;
  for (const auto& id : *released) AddUnique(changed, id);
  for (const auto& id : DependentTasks(deployment_id, book, step)) AddUnique(changed, id);
  MUSTER_RETURN_IF_ERROR(dispatch_.QueueTaskSnapshots(changed, agents_to_notify));
  return released;
}

Result<bool> Deployments::ShareActiveDeployment(const std::string& member_a,
                                                const std::string& member_b) {
  bool shared = false;
  Status status = Guarded([&]() -> Status {
    auto query = statements_.Get(
        "SELECT 1 FROM tasks a JOIN tasks b ON b.deployment_id=a.deployment_id "
        "JOIN deployments d ON d.id=a.deployment_id "
        "WHERE a.member_id=? AND b.member_id=? AND d.status='active' LIMIT 1");
    query->bind(1, member_a);
    query->bind(2, member_b);
    shared = query->executeStep();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return shared;
}

}  // namespace muster::hq
