// The handler of each kind of record an agent sends (sync/ingest.h): status, finding,
// alert, trigger, note, checklist tick, position, watchlist hit and attachment piece. Each checks what the record may do (a
// member acts on their own tasks only) and applies its effect inside the batch's
// transaction; an error here refuses the record or fails the batch (RefusesRecord).
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <set>

#include "muster/playbook/fields.h"
#include "muster/playbook/schedule.h"
#include "muster/sqlite_store.h"
#include "muster/text_limits.h"
#include "sync/ingest.h"

namespace muster::hq {
namespace {

struct TaskRow {
  std::string member;
  std::string state;
  std::int64_t status_seq = 0;
  std::int64_t deployment = 0;
  std::string step;
  std::string incident;
  std::string playbook_hash;
  bool stood_down = false;  // cancelled by a trigger's stand-down, not by an officer
};

std::optional<TaskRow> ReadTask(StatementCache& statements, const std::string& task_id) {
  auto query = statements.Get(
      "SELECT t.member_id, t.state, t.status_seq, t.deployment_id, t.step_id, "
      "d.incident_id, d.playbook_hash, t.stood_down FROM tasks t JOIN deployments d ON "
      "d.id=t.deployment_id WHERE t.id=?");
  query->bind(1, task_id);
  if (!query->executeStep()) return std::nullopt;
  return TaskRow{query->getColumn(0).getString(), query->getColumn(1).getString(),
                 query->getColumn(2).getInt64(),  query->getColumn(3).getInt64(),
                 query->getColumn(4).getString(), query->getColumn(5).getString(),
                 query->getColumn(6).getString(), query->getColumn(7).getInt() != 0};
}

// The task named by a record, if it is the agent's member's own; otherwise an error that
// does not reveal whether a foreign task exists.
Result<TaskRow> OwnTask(StatementCache& statements, const AgentRecord& agent,
                        const std::string& task_id) {
  if (task_id.empty()) return Status::Error(ErrorCode::kMalformed, "the record names no task");
  std::optional<TaskRow> task = ReadTask(statements, task_id);
  if (!task || task->member != agent.member_id) {
    return Status::Error(ErrorCode::kForbidden,
                         "task " + task_id + " is not assigned to " + agent.member_id);
  }
  return *task;
}

const playbook::FieldSpec* FindField(const playbook::Step& step, const std::string& id) {
  for (const playbook::FieldSpec& field : step.findings) {
    if (field.id == id) return &field;
  }
  return nullptr;
}

// Every value of a finding against its field of |step| (null: the step is gone from the
// playbook), with the rules the agent applies at entry: an unknown field, a value of the
// wrong type or one that breaks its field's rule is `invalid_value`; a number out of
// range passes only when the record confirms its field.
Status CheckFindingValues(const playbook::Step* step, const std::string& step_id,
                          const wire::FindingRecord& finding) {
  const std::set<std::string> confirmed(finding.confirmed.begin(), finding.confirmed.end());
  playbook::ValueContext context;
  for (const wire::AttachedFile& file : finding.attachments) {
    MUSTER_RETURN_IF_ERROR(limits::CheckLength("the file name", file.name, limits::kFileName,
                                               ErrorCode::kInvalidValue));
    context.files.push_back({file.name, file.field});
  }
  for (const auto& [name, value] : finding.values.items()) {
    const playbook::FieldSpec* spec = step ? FindField(*step, name) : nullptr;
    if (spec == nullptr) {
      return Status::Error(ErrorCode::kInvalidValue,
                           "step " + step_id + " has no finding field '" + name + "'");
    }
    context.confirmed = confirmed.count(name) > 0;
    MUSTER_RETURN_IF_ERROR(playbook::CheckFieldValue(*spec, value, context));
  }
  return Status::Ok();
}

// Decodes |entry| as a |T| and hands it to |apply|.
template <typename T, typename Apply>
Status DecodeAnd(const InboundRecord& entry, Apply apply) {
  Result<T> record = T::Decode(entry.body);
  if (!record.ok()) return record.status();
  return apply(*record);
}

}  // namespace

Status Ingest::ApplyRecord(const AgentRecord& agent, const InboundRecord& record, Millis at,
                           IngestOutcome& outcome) {
  const std::optional<wire::RecordKind> kind = wire::RecordKindFromName(record.kind);
  if (!kind) {
    return Status::Error(ErrorCode::kMalformed, "unknown record kind '" + record.kind + "'");
  }
  // An occurrence of a recurring step the member's agent opened before HQ did.
  if (const auto task = record.body.find("task");
      task != record.body.end() && task->is_string()) {
    MUSTER_RETURN_IF_ERROR(schedule_.EnsureOccurrence(agent.member_id, *task, outcome));
  }
  switch (*kind) {
    case wire::RecordKind::kStatus:
      return DecodeAnd<wire::StatusRecord>(
          record, [&](const auto& status) { return ApplyStatus(agent, record, at, status, outcome); });
    case wire::RecordKind::kFinding:
      return DecodeAnd<wire::FindingRecord>(record, [&](const auto& finding) {
        return ApplyFinding(agent, record, at, finding, outcome);
      });
    case wire::RecordKind::kAlert:
      return DecodeAnd<wire::AlertRecord>(
          record, [&](const auto& alert) { return ApplyAlert(agent, record, at, alert); });
    case wire::RecordKind::kTrigger:
      return DecodeAnd<wire::TriggerRecord>(
          record, [&](const auto& trigger) { return ApplyTrigger(agent, trigger, outcome); });
    case wire::RecordKind::kNote:
      return DecodeAnd<wire::NoteRecord>(
          record, [&](const auto& note) { return ApplyNote(agent, record, at, note); });
    case wire::RecordKind::kAttachmentChunk:
      return DecodeAnd<wire::AttachmentPiece>(
          record, [&](const auto& piece) { return ApplyAttachmentPiece(agent, piece); });
    case wire::RecordKind::kChecklist:
      return DecodeAnd<wire::ChecklistRecord>(
          record, [&](const auto& tick) { return ApplyChecklist(agent, record, at, tick); });
    case wire::RecordKind::kWatchlistHit:
      return DecodeAnd<wire::WatchlistHitRecord>(record, [&](const auto& hit) {
        return ApplyWatchlistHit(agent, record, at, hit);
      });
    case wire::RecordKind::kPosition:
      return DecodeAnd<wire::PositionRecord>(record, [&](const auto& position) {
        return ApplyPosition(agent, record, at, position);
      });
  }
  return Status::Error(ErrorCode::kMalformed, "unknown record kind '" + record.kind + "'");
}

Status Ingest::ApplyAttachmentPiece(const AgentRecord& agent, const wire::AttachmentPiece& piece) {
  Result<TaskRow> task = OwnTask(statements_, agent, piece.task);
  if (!task.ok()) return task.status();
  return attachments_.StorePiece(agent.id, piece);
}

Status Ingest::ApplyStatus(const AgentRecord& agent, const InboundRecord& record, Millis at,
                           const wire::StatusRecord& status, IngestOutcome& outcome) {
  static const std::set<std::string> kAgentStates = {"acknowledged", "in_progress", "completed",
                                                     "blocked"};
  const std::string& state = status.state;
  if (!kAgentStates.count(state)) {
    return Status::Error(ErrorCode::kInvalidValue,
                         "state '" + state +
                             "' cannot be set by an agent; use acknowledged, "
                             "in_progress, completed or blocked");
  }
  MUSTER_RETURN_IF_ERROR(
      limits::CheckLength("the reason", status.reason, limits::kLine, ErrorCode::kInvalidValue));
  Result<TaskRow> task = OwnTask(statements_, agent, status.task);
  if (!task.ok()) return task.status();
  const std::string& task_id = status.task;
  if (static_cast<std::int64_t>(record.seq) <= task->status_seq) {
    return Status::Ok();  // an older status arriving late: the newer one already stands
  }
  // A stood-down task its member completed before learning of the stand-down (the trigger
  // travels ahead of the member's records): the work was done, and is recorded as done.
  const bool done_before_stand_down = task->stood_down && state == "completed";
  if ((task->state == "cancelled" && !done_before_stand_down) || task->state == "reassigned") {
    // Conflict rule C1: HQ took the task away while the member worked on it offline. HQ's
    // decision stands, the member's records are kept, and an officer is told. A stand-down
    // is the procedure's decision, not an officer's: nothing to tell.
    if ((state == "completed" || state == "in_progress") && !task->stood_down) {
      MUSTER_RETURN_IF_ERROR(
          alerts_.Raise(task->incident, task->deployment, "conflict", "warning",
                        "task " + task_id + " was " + task->state + " at HQ but " +
                            agent.member_id + " reported it " + state + " (recorded " +
                            FormatTimestamp(at) + "); the member's findings are kept",
                        agent.id, "conflict:" + agent.id + ":" + std::to_string(record.seq)));
    }
    auto seen = statements_.Get("UPDATE tasks SET status_seq=? WHERE id=?");
    seen->bind(1, static_cast<std::int64_t>(record.seq));
    seen->bind(2, task_id);
    seen->exec();
    return Status::Ok();
  }
  auto update = statements_.Get(
      "UPDATE tasks SET state=?, reason=?, status_seq=?, updated_at=? "
      "WHERE id=?");
  update->bind(1, state);
  update->bind(2, status.reason);
  update->bind(3, static_cast<std::int64_t>(record.seq));
  update->bind(4, static_cast<std::int64_t>(at));
  update->bind(5, task_id);
  update->exec();
  outcome.team_changed.insert(task->deployment);
  const RecordStamp stamp{agent.id, record.seq, at};
  if (state == "blocked") {
    MUSTER_RETURN_IF_ERROR(timeline_.Append(task->incident, "blocked", agent.member_id,
                                            task_id + ": " + status.reason, stamp));
  }
  if (state != "completed") return Status::Ok();
  MUSTER_RETURN_IF_ERROR(
      timeline_.Append(task->incident, "completed", agent.member_id, "task " + task_id, stamp));
  if (done_before_stand_down) {
    // The agent was told it was cancelled: it now hears that it counts as done.
    MUSTER_RETURN_IF_ERROR(dispatch_.QueueTaskSnapshots({task_id}, &outcome.agents_to_notify));
  }

  // Dependency gating across members: tell every task that waits on this step. A step
  // done by one member of several (completion: any) closes the others' tasks first; and
  // a completion can decide a trigger's else.
  auto book = playbooks_.ByHash(task->playbook_hash);
  if (!book.ok()) return book.status();
  MUSTER_RETURN_IF_ERROR(deployments_.CloseForAnyCompletion(task->deployment, **book, task->step,
                                                            agent.member_id, outcome));
  outcome.deployments_to_evaluate.insert(task->deployment);
  auto released = deployments_.ReleaseReadyTasks(task->deployment);
  if (!released.ok()) return released.status();
  return dispatch_.QueueTaskSnapshots(
      deployments_.DependentTasks(task->deployment, **book, task->step), &outcome.agents_to_notify);
}

Status Ingest::ApplyFinding(const AgentRecord& agent, const InboundRecord& record, Millis at,
                            const wire::FindingRecord& finding, IngestOutcome& outcome) {
  Result<TaskRow> task = OwnTask(statements_, agent, finding.task);
  if (!task.ok()) return task.status();
  if (finding.values.empty() && finding.attachments.empty()) {
    return Status::Error(ErrorCode::kMalformed,
                         "a finding needs a 'values' map, non-empty unless files are attached");
  }
  auto book = playbooks_.ByHash(task->playbook_hash);
  if (!book.ok()) return book.status();
  const playbook::Step* step = (*book)->FindStep(task->step);
  MUSTER_RETURN_IF_ERROR(CheckFindingValues(step, task->step, finding));
  // The step's marking, raised by the member's: never lower than the step's.
  playbook::Marking marking = step ? (*book)->MarkingOf(*step) : (*book)->marking;
  if (!finding.marking.empty()) {
    std::string error;
    const auto given = playbook::ParseMarking(finding.marking, &error);
    if (!given) return Status::Error(ErrorCode::kInvalidValue, "the finding's marking: " + error);
    marking = playbook::Raise(marking, *given);
  }
  auto insert = statements_.Get(
      "INSERT INTO findings(agent_id, seq, task_id, recorded_at, "
      "received_at, fields, confirmed, attachments, marking, agent_at) "
      "VALUES(?,?,?,?,?,?,?,?,?,?)");
  insert->bind(1, agent.id);
  insert->bind(2, static_cast<std::int64_t>(record.seq));
  insert->bind(3, finding.task);
  insert->bind(4, static_cast<std::int64_t>(at));
  insert->bind(5, static_cast<std::int64_t>(clock_.Now()));
  insert->bind(10, static_cast<std::int64_t>(record.at));
  insert->bind(6, finding.values.dump());
  insert->bind(7, json(finding.confirmed).dump());
  json attached_ids = json::array();
  for (const wire::AttachedFile& file : finding.attachments) {
    auto id = attachments_.Declare(agent.id, finding.task, file);
    if (!id.ok()) return id.status();
    attached_ids.push_back(file.sha256);
  }
  insert->bind(8, attached_ids.dump());
  insert->bind(9, playbook::ToString(marking));
  insert->exec();
  // The latest value per field feeds the triggers; an older finding arriving late (a
  // backlog from another member) does not overwrite a newer value.
  auto latest = statements_.Get(
      "INSERT INTO finding_values(deployment_id, key, value, recorded_at) "
      "VALUES(?,?,?,?) ON CONFLICT(deployment_id, key) DO UPDATE SET "
      "value=excluded.value, recorded_at=excluded.recorded_at WHERE "
      "excluded.recorded_at >= finding_values.recorded_at");
  for (const auto& [name, value] : finding.values.items()) {
    latest->bind(1, task->deployment);
    latest->bind(2, task->step + "." + name);
    latest->bind(3, value.dump());
    latest->bind(4, static_cast<std::int64_t>(at));
    latest->exec();
    latest->reset();
  }
  outcome.deployments_to_evaluate.insert(task->deployment);
  if (step) {
    MUSTER_RETURN_IF_ERROR(watchlist_.CheckFinding(
        {task->incident, task->deployment, finding.task, agent.member_id, agent.id, record.seq,
         "", 0, false, "", "", false, at},
        *step, finding.values));
  }
  if ((task->state == "cancelled" && !task->stood_down) || task->state == "reassigned") {
    // Conflict rule C2: a finding for a task HQ took away is a fact about the scene: it
    // is kept and counts for triggers, and an officer is told (not for a stand-down: the
    // member recorded it before the stand-down reached the laptop).
    return alerts_.Raise(task->incident, task->deployment, "conflict", "warning",
                         "task " + finding.task + " was " + task->state + " at HQ but " +
                             agent.member_id + " recorded a finding for it (recorded " +
                             FormatTimestamp(at) + "); the finding is kept",
                         agent.id, "conflict:" + agent.id + ":" + std::to_string(record.seq));
  }
  return Status::Ok();
}

std::string Ingest::IncidentOfMember(const std::string& member_id) {
  auto query = statements_.Get(
      "SELECT d.incident_id FROM deployments d JOIN assignments a ON "
      "a.deployment_id=d.id JOIN incidents i ON i.id=d.incident_id WHERE a.member_id=? "
      "ORDER BY (d.status='active') DESC, i.exercise ASC, d.created_at DESC LIMIT 1");
  query->bind(1, member_id);
  return query->executeStep() ? query->getColumn(0).getString() : std::string("-");
}

Status Ingest::ApplyAlert(const AgentRecord& agent, const InboundRecord& record, Millis at,
                          const wire::AlertRecord& alert) {
  // Never refused for its length: a safety alert is raised, its message cut.
  const std::string message = limits::Cut(alert.message, limits::kLine);
  std::string incident;
  std::optional<std::int64_t> deployment;
  if (!alert.task.empty()) {
    Result<TaskRow> task = OwnTask(statements_, agent, alert.task);
    if (!task.ok()) return task.status();
    incident = task->incident;
    deployment = task->deployment;
  } else {
    incident = IncidentOfMember(agent.member_id);
  }
  // A severity this build does not know is taken as the gravest: a safety alert is
  // never played down.
  const std::string severity =
      alert.severity == "info" || alert.severity == "warning" ? alert.severity : "critical";
  return alerts_.Raise(incident, deployment, "safety", severity,
                       agent.member_id + ": " +
                           (message.empty() ? "safety alert" : message) + " (raised " +
                           FormatTimestamp(at) + ")",
                       agent.id, "agent:" + agent.id + ":" + std::to_string(record.seq));
}

Status Ingest::ApplyTrigger(const AgentRecord& agent, const wire::TriggerRecord& trigger,
                            IngestOutcome& outcome) {
  Result<TaskRow> task = OwnTask(statements_, agent, trigger.task);
  if (!task.ok()) return task.status();
  if (playbook::ParseEscalationId(trigger.trigger)) {
    return schedule_.FireEscalation(trigger.task, trigger.trigger, agent.id, outcome);
  }
  auto book = playbooks_.ByHash(task->playbook_hash);
  if (!book.ok()) return book.status();
  Status fired =
      deployments_.FireTrigger(task->deployment, **book, trigger.trigger, agent.id, outcome);
  return fired.ok() || fired.code() != ErrorCode::kNotFound
             ? fired
             : Status::Error(ErrorCode::kInvalidValue, fired.message());
}

Status Ingest::ApplyChecklist(const AgentRecord& agent, const InboundRecord& record, Millis at,
                             const wire::ChecklistRecord& tick) {
  Result<TaskRow> task = OwnTask(statements_, agent, tick.task);
  if (!task.ok()) return task.status();
  auto book = playbooks_.ByHash(task->playbook_hash);
  if (!book.ok()) return book.status();
  const playbook::Step* step = (*book)->FindStep(task->step);
  const std::size_t items = step ? step->checklist.size() : 0;
  if (tick.item < 1 || tick.item > items) {
    return Status::Error(ErrorCode::kInvalidValue,
                         "step " + task->step + " has " + std::to_string(items) +
                             " checklist item(s); there is no item " + std::to_string(tick.item));
  }
  // The newest record per item stands: one that arrives late changes nothing.
  auto upsert = statements_.Get(
      "INSERT INTO checklist_ticks(task_id, item, checked, seq, recorded_at) VALUES(?,?,?,?,?) "
      "ON CONFLICT(task_id, item) DO UPDATE SET checked=excluded.checked, seq=excluded.seq, "
      "recorded_at=excluded.recorded_at WHERE excluded.seq > checklist_ticks.seq");
  upsert->bind(1, tick.task);
  upsert->bind(2, static_cast<std::int64_t>(tick.item));
  upsert->bind(3, tick.checked ? 1 : 0);
  upsert->bind(4, static_cast<std::int64_t>(record.seq));
  upsert->bind(5, static_cast<std::int64_t>(at));
  if (upsert->exec() == 0) return Status::Ok();
  return timeline_.Append(task->incident, "checklist", agent.member_id,
                          tick.task + ": " + (tick.checked ? "checked " : "unchecked ") +
                              std::to_string(tick.item) + " '" +
                              step->checklist[tick.item - 1] + "'",
                          RecordStamp{agent.id, record.seq, at});
}

Status Ingest::ApplyNote(const AgentRecord& agent, const InboundRecord& record, Millis at,
                         const wire::NoteRecord& note) {
  std::string incident = IncidentOfMember(agent.member_id);
  if (!note.task.empty()) {
    Result<TaskRow> task = OwnTask(statements_, agent, note.task);
    if (!task.ok()) return task.status();
    incident = task->incident;
  }
  return timeline_.Append(incident, "note", agent.member_id,
                          (note.task.empty() ? "" : note.task + ": ") + note.text,
                          RecordStamp{agent.id, record.seq, at});
}

Status Ingest::ApplyPosition(const AgentRecord& agent, const InboundRecord& record, Millis at,
                             const wire::PositionRecord& position) {
  MUSTER_RETURN_IF_ERROR(
      playbook::CheckFieldValue(playbook::PositionField(), position.place, {}));
  auto insert = statements_.Get(
      "INSERT OR IGNORE INTO positions(agent_id, seq, member_id, place, recorded_at) "
      "VALUES(?,?,?,?,?)");
  insert->bind(1, agent.id);
  insert->bind(2, static_cast<std::int64_t>(record.seq));
  insert->bind(3, agent.member_id);
  insert->bind(4, position.place);
  insert->bind(5, static_cast<std::int64_t>(at));
  insert->exec();
  return Status::Ok();
}

Status Ingest::ApplyWatchlistHit(const AgentRecord& agent, const InboundRecord& record,
                                 Millis at, const wire::WatchlistHitRecord& hit) {
  Result<TaskRow> task = OwnTask(statements_, agent, hit.task);
  if (!task.ok()) return task.status();
  // Never refused for its length, like a safety alert: the texts are cut.
  return watchlist_.RecordHit({task->incident, task->deployment, hit.task, agent.member_id,
                               agent.id, record.seq, limits::Cut(hit.notice, limits::kShort),
                               hit.score_milli, hit.document,
                               limits::Cut(hit.person, limits::kShort),
                               limits::Cut(hit.explanation, limits::kLine), true, at});
}

}  // namespace muster::hq
