// The deployment engine: turning a playbook and a team into tasks, gating tasks on their
// dependencies across members, firing triggers, and queueing what each agent must learn.
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "hq_columns.h"
#include "hq_store.h"
#include "muster/playbook/fields.h"
#include "muster/playbook/triggers.h"
#include "muster/sqlite_store.h"

namespace muster::hq {
namespace {

const std::set<std::string> kFinishedStates = {"completed", "cancelled", "reassigned"};

// A member as the team picker sees them.
struct Candidate {
  std::string id;
  std::set<std::string> roles;
  std::set<std::string> qualifications;
  bool busy = false;       // on another active deployment
  bool has_agent = false;  // an active agent to deliver the tasks to
};

// The roster by member id (in id order).
using Roster = std::map<std::string, Candidate>;

Roster LoadCandidates(SQLite::Database& db) {
  Roster candidates;
  SQLite::Statement query(
      db,
      "SELECT m.id, m.roles, m.qualifications, EXISTS(SELECT 1 FROM assignments a JOIN "
      "deployments d ON d.id=a.deployment_id WHERE a.member_id=m.id AND d.status='active'), "
      "EXISTS(SELECT 1 FROM agents g WHERE g.member_id=m.id AND g.status='active') "
      "FROM members m ORDER BY m.id");
  while (query.executeStep()) {
    Candidate candidate{query.getColumn(0).getString(), {}, {}, query.getColumn(3).getInt() != 0,
                        query.getColumn(4).getInt() != 0};
    for (const auto& role : ParseJsonColumn(query.getColumn(1))) {
      if (role.is_string()) candidate.roles.insert(role.get<std::string>());
    }
    for (const auto& qualification : ParseJsonColumn(query.getColumn(2))) {
      if (qualification.is_string()) candidate.qualifications.insert(qualification.get<std::string>());
    }
    const std::string id = candidate.id;
    candidates.emplace(id, std::move(candidate));
  }
  return candidates;
}

// The qualifications |role| asks for that |candidate| does not hold.
std::vector<std::string> Missing(const playbook::Role& role, const Candidate& candidate) {
  std::vector<std::string> missing;
  for (const std::string& qualification : role.qualifications) {
    if (!candidate.qualifications.count(qualification)) missing.push_back(qualification);
  }
  return missing;
}

// Whether |candidate| may fill |role|: their roster roles name it, or they hold every
// qualification it asks for.
bool Fits(const playbook::Role& role, const Candidate& candidate) {
  const bool qualified = !role.qualifications.empty() && Missing(role, candidate).empty();
  return qualified || candidate.roles.count(role.id) > 0;
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) out += (out.empty() ? "" : ", ") + word;
  return out;
}

// Fills the roles |team| leaves empty from the roster. A member with an active agent may
// fill a role when their roster roles name it or when they hold every qualification it
// asks for. The qualified come first, then those free of other active deployments, then
// those not yet on this team, then by id. Returns the roles filled this way.
std::vector<std::string> PickTeam(const playbook::Playbook& book,
                                  const Roster& roster,
                                  std::map<std::string, std::vector<std::string>>& team) {
  std::vector<std::string> automatic;
  std::set<std::string> on_team;
  for (const auto& [role, members] : team) on_team.insert(members.begin(), members.end());
  for (const playbook::Role& role : book.roles) {
    if (team.count(role.id)) continue;
    std::vector<const Candidate*> eligible;
    for (const auto& [id, candidate] : roster) {
      if (candidate.has_agent && Fits(role, candidate)) {
        eligible.push_back(&candidate);
      }
    }
    const auto rank = [&](const Candidate* candidate) {
      return std::make_tuple(!Missing(role, *candidate).empty(), candidate->busy,
                             on_team.count(candidate->id) > 0);
    };
    std::stable_sort(eligible.begin(), eligible.end(),
                     [&](const Candidate* a, const Candidate* b) { return rank(a) < rank(b); });
    for (const Candidate* candidate : eligible) {
      if (static_cast<int>(team[role.id].size()) >= role.count) break;
      team[role.id].push_back(candidate->id);
      on_team.insert(candidate->id);
    }
    if (!team[role.id].empty()) automatic.push_back(role.id);
  }
  return automatic;
}

}  // namespace

std::string TaskIdFor(std::int64_t deployment_id, const std::string& step,
                      const std::string& member) {
  return "d" + std::to_string(deployment_id) + "." + step + "." + member;
}

std::optional<std::string> HqStore::ActiveAgentOf(const std::string& member_id) {
  auto query = statements_.Get("SELECT id FROM agents WHERE member_id=? AND status='active' "
                          "ORDER BY created_at DESC, id DESC LIMIT 1");
  query->bind(1, member_id);
  if (!query->executeStep()) return std::nullopt;
  return query->getColumn(0).getString();
}

Status HqStore::QueueBacklog(const std::string& agent_id, const std::string& member_id) {
  auto query = statements_.Get("SELECT t.id, d.playbook_hash, d.id FROM tasks t JOIN deployments d "
                          "ON d.id=t.deployment_id WHERE t.member_id=? AND d.status='active' "
                          "ORDER BY d.id, t.rowid");
  query->bind(1, member_id);
  std::vector<std::string> tasks;
  std::vector<std::string> hashes;
  std::set<std::int64_t> deployments;
  while (query->executeStep()) {
    tasks.push_back(query->getColumn(0).getString());
    deployments.insert(query->getColumn(2).getInt64());
    const std::string hash = query->getColumn(1).getString();
    if (std::find(hashes.begin(), hashes.end(), hash) == hashes.end()) hashes.push_back(hash);
  }
  query->reset();
  for (const std::string& hash : hashes) {
    auto book = PlaybookByHash(hash);
    if (!book.ok()) return book.status();
    MUSTER_RETURN_IF_ERROR(QueuePlaybook(agent_id, **book));
  }
  for (const std::string& task_id : tasks) {
    std::optional<wire::TaskDelivery> snapshot = TaskSnapshot(task_id);
    if (snapshot) MUSTER_RETURN_IF_ERROR(Queue(agent_id, *snapshot));
  }
  for (std::int64_t deployment : deployments) {
    MUSTER_RETURN_IF_ERROR(QueueTeamSnapshot(deployment, agent_id, nullptr));
  }
  return Status::Ok();
}

Status HqStore::QueueDeliveryText(const std::string& agent_id, const std::string& kind,
                                  const std::string& body) {
  std::int64_t seq = 0;
  {
    auto next = statements_.Get(
        "UPDATE agents SET next_delivery = next_delivery + 1 WHERE id=? RETURNING "
        "next_delivery - 1");
    next->bind(1, agent_id);
    if (!next->executeStep()) return Status::Error("not_found", "no agent " + agent_id);
    seq = next->getColumn(0).getInt64();
  }
  auto insert = statements_.Get(
      "INSERT INTO outbound(agent_id, seq, kind, body, created_at) VALUES(?,?,?,?,?)");
  insert->bind(1, agent_id);
  insert->bind(2, seq);
  insert->bind(3, kind);
  insert->bind(4, body);
  insert->bind(5, static_cast<std::int64_t>(clock_.Now()));
  insert->exec();
  return Status::Ok();
}

std::optional<wire::TaskDelivery> HqStore::TaskSnapshot(const std::string& task_id) {
  auto query = statements_.Get("SELECT t.deployment_id, t.step_id, t.member_id, t.state, t.dormant, t.reason, t.due_at, "
      "d.playbook_hash, d.incident_id, i.title FROM tasks t "
      "JOIN deployments d ON d.id=t.deployment_id JOIN incidents i ON i.id=d.incident_id "
      "WHERE t.id=?");
  query->bind(1, task_id);
  if (!query->executeStep()) return std::nullopt;
  wire::TaskDelivery snapshot;
  snapshot.task = task_id;
  snapshot.deployment = query->getColumn(0).getInt64();
  snapshot.step = query->getColumn(1).getString();
  snapshot.member = query->getColumn(2).getString();
  snapshot.state = query->getColumn(3).getString();
  snapshot.dormant = query->getColumn(4).getInt() != 0;
  snapshot.reason = query->getColumn(5).getString();
  if (!query->getColumn(6).isNull()) snapshot.due_at = query->getColumn(6).getInt64();
  snapshot.playbook = query->getColumn(7).getString();
  snapshot.incident = query->getColumn(8).getString();
  snapshot.incident_title = query->getColumn(9).getString();
  auto book = PlaybookByHash(snapshot.playbook);
  if (!book.ok()) return snapshot;
  const playbook::Step* step = (*book)->FindStep(snapshot.step);
  if (step == nullptr) return snapshot;
  auto deps = statements_.Get("SELECT t.id, t.member_id, t.state, m.name FROM tasks t JOIN members "
                         "m ON m.id=t.member_id WHERE t.deployment_id=? AND t.step_id=? AND "
                         "t.state NOT IN ('cancelled','reassigned') ORDER BY t.id");
  for (const std::string& dependency : step->depends_on) {
    deps->bind(1, snapshot.deployment);
    deps->bind(2, dependency);
    while (deps->executeStep()) {
      snapshot.waits_on.push_back({deps->getColumn(0).getString(), dependency,
                                   deps->getColumn(1).getString(), deps->getColumn(3).getString(),
                                   deps->getColumn(2).getString()});
    }
    deps->reset();
  }
  return snapshot;
}

Status HqStore::QueueTaskSnapshots(const std::vector<std::string>& task_ids,
                                   std::vector<std::string>* agents_to_notify) {
  for (const std::string& task_id : task_ids) {
    std::optional<wire::TaskDelivery> snapshot = TaskSnapshot(task_id);
    if (!snapshot) continue;
    std::optional<std::string> agent = ActiveAgentOf(snapshot->member);
    if (!agent) continue;  // the member has no agent yet; enrolment sends the backlog
    MUSTER_RETURN_IF_ERROR(Queue(*agent, *snapshot));
    if (agents_to_notify &&
        std::find(agents_to_notify->begin(), agents_to_notify->end(), *agent) ==
            agents_to_notify->end()) {
      agents_to_notify->push_back(*agent);
    }
  }
  return Status::Ok();
}

Result<std::vector<std::string>> HqStore::ReleaseReadyTasks(std::int64_t deployment_id) {
  std::vector<std::string> released;
  auto hash_query = statements_.Get("SELECT playbook_hash FROM deployments WHERE id=?");
  hash_query->bind(1, deployment_id);
  if (!hash_query->executeStep()) return released;
  auto book = PlaybookByHash(hash_query->getColumn(0).getString());
  if (!book.ok()) return book.status();

  std::map<std::string, bool> step_done;  // every live task of the step is completed
  {
    auto states = statements_.Get("SELECT step_id, state FROM tasks WHERE deployment_id=? AND "
                             "state NOT IN ('cancelled','reassigned')");
    states->bind(1, deployment_id);
    while (states->executeStep()) {
      const std::string step = states->getColumn(0).getString();
      const bool completed = states->getColumn(1).getString() == "completed";
      auto it = step_done.find(step);
      step_done[step] = (it == step_done.end() ? true : it->second) && completed;
    }
  }
  auto waiting = statements_.Get("SELECT id, step_id FROM tasks WHERE deployment_id=? AND "
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
    const bool ready = std::all_of(step->depends_on.begin(), step->depends_on.end(),
                                   [&](const std::string& dep) {
                                     auto it = step_done.find(dep);
                                     return it == step_done.end() || it->second;
                                   });
    if (!ready) continue;
    auto update = statements_.Get("UPDATE tasks SET state='ready', ready_at=?, due_at=?, updated_at=? "
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

Result<json> HqStore::Deploy(const DeployInput& input,
                             std::vector<std::string>* agents_to_notify) {
  Result<json> published = PublishPlaybook(input.playbook_source, input.playbook_file,
                                           input.actor);
  if (!published.ok()) return published;
  const std::string hash = (*published)["hash"];
  auto book_result = PlaybookByHash(hash);
  if (!book_result.ok()) return book_result.status();
  const playbook::Playbook& book = **book_result;

  json deployment;
  Status status = InTransaction(*db_, [&]() -> Status {
    auto incident = statements_.Get("SELECT status FROM incidents WHERE id=?");
    incident->bind(1, input.incident_id);
    if (!incident->executeStep()) {
      return Status::Error("not_found", "no incident '" + input.incident_id +
                                            "'; list them with: muster incident list");
    }
    if (incident->getColumn(0).getString() != "open") {
      return Status::Error("conflict", "incident " + input.incident_id + " is closed");
    }

    // Who fills each role: as given, else picked from the roster (PickTeam).
    const Roster roster = LoadCandidates(*db_);
    std::map<std::string, std::vector<std::string>> team;
    json unqualified = json::object();  // role -> member -> the qualifications they lack
    for (const auto& [role, members] : input.assign) {
      if (book.FindRole(role) == nullptr) {
        std::string known;
        for (const auto& r : book.roles) known += (known.empty() ? "" : ", ") + r.id;
        return Status::Error("invalid_argument", "playbook " + book.id + " has no role '" +
                                                     role + "'; its roles are: " + known);
      }
      for (const std::string& member : members) {  // a member named twice fills it once
        if (std::find(team[role].begin(), team[role].end(), member) != team[role].end()) continue;
        if (!roster.count(member)) {
          return Status::Error("not_found", "no member '" + member + "' (role " + role +
                                                "); add one with: muster member add " + member);
        }
        team[role].push_back(member);
      }
    }
    const std::vector<std::string> automatic = PickTeam(book, roster, team);
    // Whoever fills a role without its qualifications is the officer's call, and recorded.
    std::string gaps;
    for (const auto& [role, members] : team) {
      for (const std::string& member : members) {
        const std::vector<std::string> missing =
            Missing(*book.FindRole(role), roster.at(member));
        if (missing.empty()) continue;
        unqualified[role][member] = missing;
        gaps += (gaps.empty() ? "" : "; ") + member + " lacks " + JoinWords(missing) + " for " +
                role;
      }
    }
    std::vector<std::string> empty_roles;
    for (const playbook::Role& role : book.roles) {
      if (!role.required || !team[role.id].empty()) continue;
      std::vector<std::string> unenrolled;  // would do, but have no agent to receive tasks
      for (const auto& [id, candidate] : roster) {
        if (!candidate.has_agent && Fits(role, candidate)) {
          unenrolled.push_back(candidate.id);
        }
      }
      empty_roles.push_back(
          role.id + (!unenrolled.empty() ? " (without an enrolled agent: " +
                                               JoinWords(unenrolled) + ")"
                     : role.qualifications.empty()
                         ? " (no member lists this role)"
                         : " (nobody holds " + JoinWords(role.qualifications) + ")"));
    }
    if (!empty_roles.empty()) {
      const std::string first = empty_roles.front().substr(0, empty_roles.front().find(' '));
      return Status::Error("unassigned_role", "required role(s) left empty: " +
                                                  JoinWords(empty_roles) +
                                                  "; assign with --assign " + first + "=MEMBER");
    }
    for (const auto& [role, members] : team) {
      for (const std::string& member : members) {
        if (!ActiveAgentOf(member)) {
          return Status::Error("no_agent", "member '" + member +
                                               "' has no enrolled agent; run: muster agent "
                                               "enroll " +
                                               member + " --out BUNDLE");
        }
      }
    }

    const Millis now = clock_.Now();
    auto insert = statements_.Get("INSERT INTO deployments(incident_id, playbook_hash, created_at) "
                             "VALUES(?,?,?)");
    insert->bind(1, input.incident_id);
    insert->bind(2, hash);
    insert->bind(3, static_cast<std::int64_t>(now));
    insert->exec();
    const std::int64_t deployment_id = db_->getLastInsertRowid();

    std::set<std::string> agents;
    for (const auto& [role, members] : team) {
      for (const std::string& member : members) {
        auto assign = statements_.Get("INSERT INTO assignments(deployment_id, role, member_id) VALUES(?,?,?)");
        assign->bind(1, deployment_id);
        assign->bind(2, role);
        assign->bind(3, member);
        assign->exec();
        agents.insert(*ActiveAgentOf(member));
      }
    }
    std::vector<std::string> task_ids;
    for (const playbook::Step& step : book.steps) {
      for (const std::string& member : team[step.role]) {
        const std::string task_id = TaskIdFor(deployment_id, step.id, member);
        auto task = statements_.Get("INSERT INTO tasks(id, deployment_id, step_id, member_id, state, "
                               "dormant, updated_at) VALUES(?,?,?,?, 'waiting', ?, ?)");
        task->bind(1, task_id);
        task->bind(2, deployment_id);
        task->bind(3, step.id);
        task->bind(4, member);
        task->bind(5, step.on_trigger ? 1 : 0);
        task->bind(6, static_cast<std::int64_t>(now));
        task->exec();
        task_ids.push_back(task_id);
      }
    }
    auto released = ReleaseReadyTasks(deployment_id);
    if (!released.ok()) return released.status();

    // Each agent gets the pinned playbook first, then its tasks.
    // Serialised once for the whole team.
    const std::string playbook_body = wire::PlaybookDelivery::Of(book).Encode().dump();
    for (const std::string& agent : agents) {
      MUSTER_RETURN_IF_ERROR(QueueDeliveryText(
          agent, wire::DeliveryKindName(wire::DeliveryKind::kPlaybook), playbook_body));
      if (agents_to_notify) agents_to_notify->push_back(agent);
    }
    MUSTER_RETURN_IF_ERROR(QueueTaskSnapshots(task_ids, nullptr));
    MUSTER_RETURN_IF_ERROR(QueueTeamSnapshot(deployment_id, std::nullopt, nullptr));
    MUSTER_RETURN_IF_ERROR(AppendTimeline(
        input.incident_id, "deployed", input.actor.name,
        "deployment " + std::to_string(deployment_id) + ": " + book.id + " " + book.version +
            " to " + std::to_string(agents.size()) + " member(s), " +
            std::to_string(task_ids.size()) + " task(s)"));
    if (!gaps.empty()) {
      MUSTER_RETURN_IF_ERROR(AppendTimeline(input.incident_id, "qualification_gap",
                                            input.actor.name,
                                            "deployment " + std::to_string(deployment_id) + ": " +
                                                gaps));
    }
    json team_json = json::object();
    for (const auto& [role, members] : team) team_json[role] = members;
    json detail = {{"incident", input.incident_id},
                   {"playbook", book.id + "@" + book.version},
                   {"team", team_json},
                   {"automatic", automatic}};
    if (!unqualified.empty()) detail["unqualified"] = unqualified;
    MUSTER_RETURN_IF_ERROR(
        Audit({input.actor, "deployment.create", std::to_string(deployment_id), detail}));
    deployment = {{"id", deployment_id},
                  {"incident", input.incident_id},
                  {"playbook", {{"id", book.id}, {"version", book.version}, {"hash", hash}}},
                  {"team", team_json},
                  {"automatic", automatic},
                  {"unqualified", unqualified},
                  {"tasks", task_ids.size()}};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return deployment;
}

Status HqStore::RaiseAlert(const std::string& incident_id,
                           std::optional<std::int64_t> deployment_id, const std::string& kind,
                           const std::string& severity, const std::string& message,
                           const std::string& source, const std::string& dedupe) {
  auto insert = statements_.Get("INSERT OR IGNORE INTO alerts(incident_id, deployment_id, kind, "
                           "severity, message, source, raised_at, dedupe) "
                           "VALUES(?,?,?,?,?,?,?,?)");
  insert->bind(1, incident_id);
  if (deployment_id) insert->bind(2, *deployment_id); else insert->bind(2);
  insert->bind(3, kind);
  insert->bind(4, severity);
  insert->bind(5, message);
  insert->bind(6, source);
  insert->bind(7, static_cast<std::int64_t>(clock_.Now()));
  insert->bind(8, dedupe);
  if (insert->exec() > 0) {
    MUSTER_RETURN_IF_ERROR(AppendTimeline(incident_id, "alert", source,
                                          severity + " " + kind + ": " + message));
  }
  return Status::Ok();
}

Status HqStore::FireTrigger(std::int64_t deployment_id, const playbook::Playbook& book,
                            const std::string& trigger_id, const std::string& source,
                            IngestOutcome& outcome) {
  const playbook::Trigger* trigger = nullptr;
  for (const auto& t : book.triggers) {
    if (t.id == trigger_id) trigger = &t;
  }
  if (trigger == nullptr) {
    return Status::Error("not_found", "playbook " + book.id + " has no trigger " + trigger_id);
  }
  auto mark = statements_.Get("INSERT OR IGNORE INTO fired_triggers(deployment_id, trigger_id, "
                         "fired_at, source) VALUES(?,?,?,?)");
  mark->bind(1, deployment_id);
  mark->bind(2, trigger_id);
  mark->bind(3, static_cast<std::int64_t>(clock_.Now()));
  mark->bind(4, source);
  if (mark->exec() == 0) return Status::Ok();  // already fired: once per deployment

  auto incident_query = statements_.Get("SELECT incident_id FROM deployments WHERE id=?");
  incident_query->bind(1, deployment_id);
  incident_query->executeStep();
  const std::string incident = incident_query->getColumn(0).getString();
  for (const playbook::TriggerAction& action : trigger->then) {
    switch (action.kind) {
      case playbook::ActionKind::kActivate: {
        auto activate = statements_.Get("UPDATE tasks SET dormant=0, updated_at=? WHERE "
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
        for (const auto& id : *released) {
          if (std::find(activated.begin(), activated.end(), id) == activated.end()) {
            activated.push_back(id);
          }
        }
        MUSTER_RETURN_IF_ERROR(QueueTaskSnapshots(activated, &outcome.agents_to_notify));
        MUSTER_RETURN_IF_ERROR(AppendTimeline(incident, "trigger", source,
                                              trigger_id + " activated step " + action.step));
        break;
      }
      case playbook::ActionKind::kAlert:
        MUSTER_RETURN_IF_ERROR(RaiseAlert(
            incident, deployment_id, "trigger",
            action.severity.empty() ? "warning" : action.severity, action.message, source,
            "trigger:" + std::to_string(deployment_id) + ":" + trigger_id));
        break;
      case playbook::ActionKind::kNotify:
        MUSTER_RETURN_IF_ERROR(AppendTimeline(incident, "notify", source, action.message));
        break;
    }
  }
  return Status::Ok();
}

Status HqStore::EvaluateDeploymentTriggers(std::int64_t deployment_id, const std::string& source,
                                           IngestOutcome& outcome) {
  auto hash_query = statements_.Get("SELECT playbook_hash FROM deployments WHERE id=?");
  hash_query->bind(1, deployment_id);
  if (!hash_query->executeStep()) return Status::Ok();
  auto book = PlaybookByHash(hash_query->getColumn(0).getString());
  if (!book.ok()) return book.status();
  if ((*book)->triggers.empty()) return Status::Ok();

  playbook::FindingValues values;
  auto latest = statements_.Get("SELECT key, value FROM finding_values WHERE deployment_id=?");
  latest->bind(1, deployment_id);
  while (latest->executeStep()) {
    auto typed = playbook::ValueFromJson(json::parse(latest->getColumn(1).getString(), nullptr, false));
    if (typed) values[latest->getColumn(0).getString()] = *typed;
  }
  std::set<std::string> fired;
  auto already = statements_.Get("SELECT trigger_id FROM fired_triggers WHERE deployment_id=?");
  already->bind(1, deployment_id);
  while (already->executeStep()) fired.insert(already->getColumn(0).getString());
  for (const playbook::FiredTrigger& hit : playbook::EvaluateTriggers(**book, values, fired)) {
    MUSTER_RETURN_IF_ERROR(FireTrigger(deployment_id, **book, hit.trigger_id, source, outcome));
  }
  return Status::Ok();
}

}  // namespace muster::hq
