#include "domain/task_schedule.h"

#include <SQLiteCpp/Statement.h>

#include <set>

#include "muster/playbook/schedule.h"
#include "muster/sqlite_store.h"

namespace muster::hq {

Result<TaskEffects> TaskSchedule::Sweep() {
  TaskEffects effects;
  Status status = InTransaction(*db_, [&]() -> Status {
    MUSTER_RETURN_IF_ERROR(OpenOccurrences(effects));
    MUSTER_RETURN_IF_ERROR(Escalate(effects));
    team_.MarkDirty(effects.team_changed);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return effects;
}

Status TaskSchedule::InsertOccurrence(std::int64_t deployment_id, const playbook::Step& step,
                                      const std::string& base, const std::string& member,
                                      Millis first_ready, int number,
                                      std::vector<std::string>& opened) {
  const playbook::OccurrenceTimes times = playbook::OccurrenceAt(step, first_ready, number);
  const std::string id = playbook::OccurrenceId(base, number);
  auto insert = statements_.Get(
      "INSERT OR IGNORE INTO tasks(id, deployment_id, step_id, member_id, state, dormant, "
      "ready_at, due_at, updated_at, occurrence) VALUES(?,?,?,?, 'ready', 0, ?,?,?,?)");
  insert->bind(1, id);
  insert->bind(2, deployment_id);
  insert->bind(3, step.id);
  insert->bind(4, member);
  insert->bind(5, static_cast<std::int64_t>(times.opens_at));
  insert->bind(6, static_cast<std::int64_t>(times.due_at));
  insert->bind(7, static_cast<std::int64_t>(clock_.Now()));
  insert->bind(8, number);
  if (insert->exec() > 0) opened.push_back(id);
  insert->reset();
  return Status::Ok();
}

// A recurring step's series runs while its first occurrence is live or completed: a
// stand-down or a cancellation closes the series, a reassignment moves it to the new
// holder's task. The deployment ending stops it.
Status TaskSchedule::OpenOccurrences(TaskEffects& effects) {
  const Millis now = clock_.Now();
  SQLite::Statement bases(
      *db_,
      "SELECT t.id, t.deployment_id, t.step_id, t.member_id, t.ready_at, d.playbook_hash, "
      "(SELECT MAX(o.occurrence) FROM tasks o WHERE o.deployment_id=t.deployment_id AND "
      "o.step_id=t.step_id AND o.member_id=t.member_id) FROM tasks t JOIN deployments d ON "
      "d.id=t.deployment_id WHERE d.status='active' AND t.occurrence=1 AND t.ready_at IS NOT "
      "NULL AND t.state NOT IN ('cancelled','reassigned')");
  std::vector<std::string> opened;
  while (bases.executeStep()) {
    auto book = playbooks_.ByHash(bases.getColumn(5).getString());
    if (!book.ok()) continue;  // a playbook this store cannot read opens nothing
    const playbook::Step* step = (*book)->FindStep(bases.getColumn(2).getString());
    if (step == nullptr || step->every_ms <= 0) continue;
    const std::int64_t deployment = bases.getColumn(1).getInt64();
    const Millis first_ready = bases.getColumn(4).getInt64();
    const int open = playbook::OccurrencesOpen(*step, first_ready, now);
    const std::size_t before = opened.size();
    for (int k = bases.getColumn(6).getInt() + 1; k <= open; ++k) {
      MUSTER_RETURN_IF_ERROR(InsertOccurrence(deployment, *step, bases.getColumn(0).getString(),
                                              bases.getColumn(3).getString(), first_ready, k,
                                              opened));
    }
    if (opened.size() > before) effects.team_changed.insert(deployment);
  }
  return dispatch_.QueueTaskSnapshots(opened, &effects.agents_to_notify);
}

Status TaskSchedule::Escalate(TaskEffects& effects) {
  const Millis now = clock_.Now();
  struct Reached {
    std::int64_t deployment;
    std::shared_ptr<const playbook::Playbook> book;
    std::string task;
    playbook::DueEscalation due;
  };
  std::vector<Reached> reached;
  {
    SQLite::Statement tasks(
        *db_,
        "SELECT t.id, t.deployment_id, t.step_id, t.state, t.due_at, d.playbook_hash, "
        "(SELECT group_concat(f.trigger_id, char(10)) FROM fired_triggers f WHERE "
        "f.deployment_id=t.deployment_id AND f.trigger_id LIKE 'escalate:' || t.id || ':%') "
        "FROM tasks t JOIN deployments d ON d.id=t.deployment_id WHERE d.status='active' AND "
        "t.state NOT IN ('completed','cancelled','reassigned') AND t.dormant=0");
    while (tasks.executeStep()) {
      auto book = playbooks_.ByHash(tasks.getColumn(5).getString());
      if (!book.ok()) continue;
      const playbook::Step* step = (*book)->FindStep(tasks.getColumn(2).getString());
      if (step == nullptr || step->escalate.empty()) continue;
      std::set<std::string> fired;
      std::string list = tasks.getColumn(6).isNull() ? "" : tasks.getColumn(6).getString();
      for (std::size_t start = 0; start < list.size();) {
        const std::size_t end = std::min(list.find('\n', start), list.size());
        fired.insert(list.substr(start, end - start));
        start = end + 1;
      }
      std::optional<Millis> due;
      if (!tasks.getColumn(4).isNull()) due = tasks.getColumn(4).getInt64();
      const std::string task = tasks.getColumn(0).getString();
      for (playbook::DueEscalation& hit : playbook::DueEscalations(
               *step, task, tasks.getColumn(3).getString(), due, now, fired)) {
        reached.push_back({tasks.getColumn(1).getInt64(), *book, task, std::move(hit)});
      }
    }
  }
  for (const Reached& r : reached) {
    MUSTER_RETURN_IF_ERROR(FireEscalation(r.task, r.due.id, "hq", effects));
  }
  return Status::Ok();
}

Status TaskSchedule::EnsureOccurrence(const std::string& member, const std::string& task_id,
                                      TaskEffects& effects) {
  const std::optional<playbook::OccurrenceRef> ref = playbook::ParseOccurrence(task_id);
  if (!ref || ref->number < 2) return Status::Ok();
  auto exists = statements_.Get("SELECT 1 FROM tasks WHERE id=?");
  exists->bind(1, task_id);
  const bool found = exists->executeStep();
  exists->reset();
  if (found) return Status::Ok();
  auto base = statements_.Get(
      "SELECT t.deployment_id, t.step_id, t.ready_at, d.playbook_hash FROM tasks t JOIN "
      "deployments d ON d.id=t.deployment_id WHERE t.id=? AND t.member_id=? AND "
      "t.occurrence=1 AND t.ready_at IS NOT NULL AND d.status='active' AND t.state NOT IN "
      "('cancelled','reassigned')");
  base->bind(1, ref->base);
  base->bind(2, member);
  if (!base->executeStep()) {
    base->reset();
    return Status::Ok();
  }
  const std::int64_t deployment = base->getColumn(0).getInt64();
  const std::string step_id = base->getColumn(1).getString();
  const Millis first_ready = base->getColumn(2).getInt64();
  const std::string hash = base->getColumn(3).getString();
  base->reset();
  auto book = playbooks_.ByHash(hash);
  if (!book.ok()) return book.status();
  const playbook::Step* step = (*book)->FindStep(step_id);
  if (step == nullptr || step->every_ms <= 0) return Status::Ok();
  if (ref->number > playbook::OccurrencesOpen(*step, first_ready, clock_.Now() + kClockTolerance)) {
    return Status::Ok();
  }
  std::vector<std::string> opened;
  MUSTER_RETURN_IF_ERROR(
      InsertOccurrence(deployment, *step, ref->base, member, first_ready, ref->number, opened));
  effects.team_changed.insert(deployment);
  return dispatch_.QueueTaskSnapshots(opened, &effects.agents_to_notify);
}

Status TaskSchedule::FireEscalation(const std::string& task_id, const std::string& id,
                                    const std::string& source, TaskEffects& effects) {
  const std::optional<playbook::EscalationRef> ref = playbook::ParseEscalationId(id);
  auto task = statements_.Get(
      "SELECT t.deployment_id, t.step_id, d.playbook_hash FROM tasks t JOIN deployments d ON "
      "d.id=t.deployment_id WHERE t.id=?");
  task->bind(1, task_id);
  if (!task->executeStep()) {
    task->reset();
    return Status::Error(ErrorCode::kNotFound, "no task " + task_id);
  }
  const std::int64_t deployment = task->getColumn(0).getInt64();
  const std::string step_id = task->getColumn(1).getString();
  const std::string hash = task->getColumn(2).getString();
  task->reset();
  auto book = playbooks_.ByHash(hash);
  if (!book.ok()) return book.status();
  const playbook::Step* step = (*book)->FindStep(step_id);
  if (!ref || ref->task != task_id || step == nullptr || ref->index >= step->escalate.size()) {
    return Status::Error(ErrorCode::kInvalidValue,
                         "'" + id + "' is not an escalation of task " + task_id);
  }
  // Once per task, whichever side reached it first.
  if (!deployments_.MarkFired(deployment, id, source)) return Status::Ok();
  return deployments_.RunActions(deployment, **book, id, step->escalate[ref->index].then, source,
                                 effects);
}

}  // namespace muster::hq
