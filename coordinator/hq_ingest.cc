// Ingesting what agents send: each batch in one transaction, duplicates recognised by
// (agent, seq), effects applied exactly once, refusals recorded rather than retried.
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <set>

#include "hq_store.h"
#include "muster/playbook/fields.h"
#include "muster/protocol.h"
#include "muster/sqlite_store.h"
#include "muster/wire/records.h"

namespace muster::hq {
namespace {

// Errors that refuse one record (it is held and acknowledged, with no effect) rather than
// failing the whole batch (which is rolled back and re-sent later).
bool IsRefusal(const Status& status) {
  static const std::set<std::string> kRefusals = {
      "forbidden", "not_found",        "invalid_argument", "invalid_value",
      "malformed", "invalid_playbook", "too_large"};
  return kRefusals.count(status.code()) > 0;
}

std::string StringField(const json& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The body kept in the inbound log: a chunk's bytes are stored once, in its attachment.
// It is also what the per-record limit measures: the JSON text, as the agent measures it.
std::string LoggedBody(const InboundRecord& record) {
  if (record.kind != "attachment_chunk" || !record.body.contains("data")) {
    return record.body.dump();
  }
  json copy = record.body;
  copy.erase("data");
  return copy.dump();
}

// A record whose body is over the per-record limit: refused whole, before any effect.
// Only a mention of it is logged, so that a body squeezed through a small compressed frame
// does not take up HQ's disk anyway.
bool IsOversized(const std::string& logged) {
  return logged.size() > protocol::kMaxRecordBodyBytes;
}

std::string OversizedMention(const std::string& logged) {
  return json{{"omitted", "too_large"}, {"bytes", logged.size()}}.dump();
}

Status RefuseOversized(const std::string& logged) {
  return Status::Error(protocol::errors::kTooLarge,
                       "the record's body is " + std::to_string(logged.size()) +
                           " bytes; the limit is " + std::to_string(protocol::kMaxRecordBodyBytes) +
                           ": shorten the text or attach a file instead");
}

struct TaskRow {
  std::string member;
  std::string state;
  std::int64_t status_seq = 0;
  std::int64_t deployment = 0;
  std::string step;
  std::string incident;
  std::string playbook_hash;
};

std::optional<TaskRow> ReadTask(StatementCache& statements, const std::string& task_id) {
  auto query = statements.Get(
                          "SELECT t.member_id, t.state, t.status_seq, t.deployment_id, t.step_id, "
                          "d.incident_id, d.playbook_hash FROM tasks t JOIN deployments d ON "
                          "d.id=t.deployment_id WHERE t.id=?");
  query->bind(1, task_id);
  if (!query->executeStep()) return std::nullopt;
  return TaskRow{query->getColumn(0).getString(), query->getColumn(1).getString(),
                 query->getColumn(2).getInt64(),  query->getColumn(3).getInt64(),
                 query->getColumn(4).getString(), query->getColumn(5).getString(),
                 query->getColumn(6).getString()};
}

// The task named by a record, if it is the agent's member's own; otherwise an error that
// does not reveal whether a foreign task exists.
Result<TaskRow> OwnTask(StatementCache& statements, const AgentRecord& agent,
                        const std::string& task_id) {
  if (task_id.empty()) return Status::Error("malformed", "the record names no task");
  std::optional<TaskRow> task = ReadTask(statements, task_id);
  if (!task || task->member != agent.member_id) {
    return Status::Error("forbidden", "task " + task_id + " is not assigned to " +
                                          agent.member_id);
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
    context.files.push_back({file.name, file.field});
  }
  for (const auto& [name, value] : finding.values.items()) {
    const playbook::FieldSpec* spec = step ? FindField(*step, name) : nullptr;
    if (spec == nullptr) {
      return Status::Error("invalid_value",
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

Result<IngestOutcome> HqStore::Ingest(const std::string& agent_id,
                                      const std::vector<InboundRecord>& records,
                                      const std::string& peer) {
  IngestOutcome outcome;
  const Actor actor{"agent:" + agent_id, "agent:" + agent_id + "@" + (peer.empty() ? "?" : peer)};
  std::vector<std::uint64_t> fresh;
  Status status = InTransaction(*db_, [&]() -> Status {
    Result<std::optional<AgentRecord>> found = FindAgent(agent_id);
    if (!found.ok()) return found.status();
    const std::optional<AgentRecord>& agent = *found;
    if (!agent || agent->status != "active") {
      return Status::Error("forbidden", "agent " + agent_id + " is not enrolled or revoked");
    }
    const Millis now = clock_.Now();
    auto insert = statements_.Get("INSERT OR IGNORE INTO inbound(agent_id, seq, kind, recorded_at, "
                             "received_at, body, outcome) VALUES(?,?,?,?,?,?, 'applied')");
    auto refuse = statements_.Get("UPDATE inbound SET outcome=? WHERE agent_id=? AND seq=?");
    for (const InboundRecord& record : records) {
      if (record.seq == 0) {
        outcome.refused.emplace_back(0, Status::Error("malformed", "seq 0 is not a sequence"));
        continue;
      }
      insert->bind(1, agent_id);
      insert->bind(2, static_cast<std::int64_t>(record.seq));
      insert->bind(3, record.kind);
      insert->bind(4, static_cast<std::int64_t>(record.at));
      insert->bind(5, static_cast<std::int64_t>(now));
      const std::string logged = LoggedBody(record);
      const bool oversized = IsOversized(logged);
      insert->bind(6, oversized ? OversizedMention(logged) : logged);
      const int inserted = insert->exec();
      insert->reset();
      outcome.held.push_back(record.seq);
      if (inserted == 0) continue;  // seen before: its effect is already in the store
      fresh.push_back(record.seq);
      // A savepoint per record: a refused record leaves no half of its effect behind.
      statements_.Get("SAVEPOINT record")->exec();
      const std::size_t notify_before = outcome.agents_to_notify.size();
      const std::set<std::int64_t> team_before = outcome.team_changed;
      Status applied = oversized ? RefuseOversized(logged) : ApplyRecord(*agent, record, outcome);
      if (applied.ok()) {
        statements_.Get("RELEASE record")->exec();
        continue;
      }
      statements_.Get("ROLLBACK TO record")->exec();
      statements_.Get("RELEASE record")->exec();
      outcome.agents_to_notify.resize(notify_before);
      outcome.team_changed = team_before;
      if (!IsRefusal(applied)) return applied;
      refuse->bind(1, "refused: " + applied.code() + ": " + applied.message());
      refuse->bind(2, agent_id);
      refuse->bind(3, static_cast<std::int64_t>(record.seq));
      refuse->exec();
      refuse->reset();
      outcome.refused.emplace_back(record.seq, applied);
      if (applied.code() == "forbidden") {
        // Acting on another member's work: kept as evidence, never applied.
        MUSTER_RETURN_IF_ERROR(Audit({actor, "record.forbidden", agent_id,
                                      {{"seq", record.seq},
                                       {"kind", record.kind},
                                       {"task", StringField(record.body, "task")},
                                       {"error", applied.message()}}}));
      }
    }
    if (!fresh.empty()) {
      json refused = json::array();
      for (const auto& [seq, why] : outcome.refused) {
        refused.push_back({{"seq", seq}, {"code", why.code()}});
      }
      MUSTER_RETURN_IF_ERROR(Audit({actor, "records.ingest", agent_id,
                                    {{"first", *std::min_element(fresh.begin(), fresh.end())},
                                     {"last", *std::max_element(fresh.begin(), fresh.end())},
                                     {"records", fresh.size()},
                                     {"refused", refused}}}));
    }
    for (std::int64_t deployment : outcome.deployments_with_findings) {
      MUSTER_RETURN_IF_ERROR(EvaluateDeploymentTriggers(deployment, agent_id, outcome));
    }
    // The team learns of it at the next RelayTeams, with whatever else changed meanwhile.
    for (std::int64_t deployment : outcome.team_changed) {
      auto dirty = statements_.Get("UPDATE deployments SET team_dirty=1 WHERE id=?");
      dirty->bind(1, deployment);
      dirty->exec();
    }
    // Advance the contiguous watermark over what is now held.
    auto current = statements_.Get("SELECT ingested FROM agents WHERE id=?");
    current->bind(1, agent_id);
    current->executeStep();
    std::int64_t watermark = current->getColumn(0).getInt64();
    current->reset();
    auto probe = statements_.Get("SELECT 1 FROM inbound WHERE agent_id=? AND seq=?");
    while (true) {
      probe->bind(1, agent_id);
      probe->bind(2, watermark + 1);
      const bool present = probe->executeStep();
      probe->reset();
      if (!present) break;
      ++watermark;
    }
    auto update = statements_.Get("UPDATE agents SET ingested=?, last_contact_at=? WHERE id=?");
    update->bind(1, watermark);
    update->bind(2, static_cast<std::int64_t>(now));
    update->bind(3, agent_id);
    update->exec();
    outcome.ingested = static_cast<std::uint64_t>(watermark);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return outcome;
}

Status HqStore::ApplyRecord(const AgentRecord& agent, const InboundRecord& record,
                            IngestOutcome& outcome) {
  const std::optional<wire::RecordKind> kind = wire::RecordKindFromName(record.kind);
  if (!kind) return Status::Error("malformed", "unknown record kind '" + record.kind + "'");
  switch (*kind) {
    case wire::RecordKind::kStatus:
      return DecodeAnd<wire::StatusRecord>(
          record, [&](const auto& status) { return ApplyStatus(agent, record, status, outcome); });
    case wire::RecordKind::kFinding:
      return DecodeAnd<wire::FindingRecord>(
          record, [&](const auto& finding) { return ApplyFinding(agent, record, finding, outcome); });
    case wire::RecordKind::kAlert:
      return DecodeAnd<wire::AlertRecord>(
          record, [&](const auto& alert) { return ApplyAlert(agent, record, alert); });
    case wire::RecordKind::kTrigger:
      return DecodeAnd<wire::TriggerRecord>(
          record, [&](const auto& trigger) { return ApplyTrigger(agent, trigger, outcome); });
    case wire::RecordKind::kNote:
      return DecodeAnd<wire::NoteRecord>(
          record, [&](const auto& note) { return ApplyNote(agent, note); });
    case wire::RecordKind::kAttachmentChunk:
      return DecodeAnd<wire::AttachmentPiece>(
          record, [&](const auto& piece) { return ApplyAttachmentPiece(agent, piece); });
  }
  return Status::Error("malformed", "unknown record kind '" + record.kind + "'");
}

Status HqStore::ApplyAttachmentPiece(const AgentRecord& agent, const wire::AttachmentPiece& piece) {
  Result<TaskRow> task = OwnTask(statements_, agent, piece.task);
  if (!task.ok()) return task.status();
  return StoreAttachmentPiece(agent.id, piece);
}

Status HqStore::ApplyStatus(const AgentRecord& agent, const InboundRecord& record,
                            const wire::StatusRecord& status, IngestOutcome& outcome) {
  static const std::set<std::string> kAgentStates = {"acknowledged", "in_progress", "completed",
                                                     "blocked"};
  const std::string& state = status.state;
  if (!kAgentStates.count(state)) {
    return Status::Error("invalid_value", "state '" + state +
                                              "' cannot be set by an agent; use acknowledged, "
                                              "in_progress, completed or blocked");
  }
  Result<TaskRow> task = OwnTask(statements_, agent, status.task);
  if (!task.ok()) return task.status();
  const std::string& task_id = status.task;
  if (static_cast<std::int64_t>(record.seq) <= task->status_seq) {
    return Status::Ok();  // an older status arriving late: the newer one already stands
  }
  if (task->state == "cancelled" || task->state == "reassigned") {
    // Conflict rule C1: HQ took the task away while the member worked on it offline. HQ's
    // decision stands, the member's records are kept, and an officer is told.
    if (state == "completed" || state == "in_progress") {
      MUSTER_RETURN_IF_ERROR(RaiseAlert(
          task->incident, task->deployment, "conflict", "warning",
          "task " + task_id + " was " + task->state + " at HQ but " + agent.member_id +
              " reported it " + state + " (recorded " + FormatTimestamp(record.at) +
              "); the member's findings are kept",
          agent.id, "conflict:" + agent.id + ":" + std::to_string(record.seq)));
    }
    auto seen = statements_.Get("UPDATE tasks SET status_seq=? WHERE id=?");
    seen->bind(1, static_cast<std::int64_t>(record.seq));
    seen->bind(2, task_id);
    seen->exec();
    return Status::Ok();
  }
  auto update = statements_.Get("UPDATE tasks SET state=?, reason=?, status_seq=?, updated_at=? "
                           "WHERE id=?");
  update->bind(1, state);
  update->bind(2, status.reason);
  update->bind(3, static_cast<std::int64_t>(record.seq));
  update->bind(4, static_cast<std::int64_t>(record.at));
  update->bind(5, task_id);
  update->exec();
  outcome.team_changed.insert(task->deployment);
  if (state == "blocked") {
    MUSTER_RETURN_IF_ERROR(AppendTimeline(task->incident, "blocked", agent.member_id,
                                          task_id + ": " + status.reason));
  }
  if (state != "completed") return Status::Ok();
  MUSTER_RETURN_IF_ERROR(
      AppendTimeline(task->incident, "completed", agent.member_id, "task " + task_id));

  // Dependency gating across members: tell every task that waits on this step.
  auto book = PlaybookByHash(task->playbook_hash);
  if (!book.ok()) return book.status();
  auto released = ReleaseReadyTasks(task->deployment);
  if (!released.ok()) return released.status();
  return QueueTaskSnapshots(DependentTasks(task->deployment, **book, task->step),
                            &outcome.agents_to_notify);
}

Status HqStore::ApplyFinding(const AgentRecord& agent, const InboundRecord& record,
                             const wire::FindingRecord& finding, IngestOutcome& outcome) {
  Result<TaskRow> task = OwnTask(statements_, agent, finding.task);
  if (!task.ok()) return task.status();
  if (finding.values.empty() && finding.attachments.empty()) {
    return Status::Error("malformed",
                         "a finding needs a 'values' map, non-empty unless files are attached");
  }
  auto book = PlaybookByHash(task->playbook_hash);
  if (!book.ok()) return book.status();
  MUSTER_RETURN_IF_ERROR(CheckFindingValues((*book)->FindStep(task->step), task->step, finding));
  auto insert = statements_.Get("INSERT INTO findings(agent_id, seq, task_id, recorded_at, "
                           "received_at, fields, confirmed, attachments) VALUES(?,?,?,?,?,?,?,?)");
  insert->bind(1, agent.id);
  insert->bind(2, static_cast<std::int64_t>(record.seq));
  insert->bind(3, finding.task);
  insert->bind(4, static_cast<std::int64_t>(record.at));
  insert->bind(5, static_cast<std::int64_t>(clock_.Now()));
  insert->bind(6, finding.values.dump());
  insert->bind(7, json(finding.confirmed).dump());
  json attached_ids = json::array();
  for (const wire::AttachedFile& file : finding.attachments) {
    auto id = DeclareAttachment(agent.id, finding.task, file);
    if (!id.ok()) return id.status();
    attached_ids.push_back(file.sha256);
  }
  insert->bind(8, attached_ids.dump());
  insert->exec();
  // The latest value per field feeds the triggers; an older finding arriving late (a
  // backlog from another member) does not overwrite a newer value.
  auto latest = statements_.Get("INSERT INTO finding_values(deployment_id, key, value, recorded_at) "
                           "VALUES(?,?,?,?) ON CONFLICT(deployment_id, key) DO UPDATE SET "
                           "value=excluded.value, recorded_at=excluded.recorded_at WHERE "
                           "excluded.recorded_at >= finding_values.recorded_at");
  for (const auto& [name, value] : finding.values.items()) {
    latest->bind(1, task->deployment);
    latest->bind(2, task->step + "." + name);
    latest->bind(3, value.dump());
    latest->bind(4, static_cast<std::int64_t>(record.at));
    latest->exec();
    latest->reset();
  }
  outcome.deployments_with_findings.insert(task->deployment);
  if (task->state == "cancelled" || task->state == "reassigned") {
    // Conflict rule C2: a finding for a task HQ took away is a fact about the scene: it
    // is kept and counts for triggers, and an officer is told.
    return RaiseAlert(task->incident, task->deployment, "conflict", "warning",
                      "task " + finding.task + " was " + task->state + " at HQ but " +
                          agent.member_id + " recorded a finding for it (recorded " +
                          FormatTimestamp(record.at) + "); the finding is kept",
                      agent.id, "conflict:" + agent.id + ":" + std::to_string(record.seq));
  }
  return Status::Ok();
}

std::string HqStore::IncidentOfMember(const std::string& member_id) {
  auto query = statements_.Get("SELECT d.incident_id FROM deployments d JOIN assignments a ON "
                          "a.deployment_id=d.id WHERE a.member_id=? ORDER BY "
                          "(d.status='active') DESC, d.created_at DESC LIMIT 1");
  query->bind(1, member_id);
  return query->executeStep() ? query->getColumn(0).getString() : std::string("-");
}

Status HqStore::ApplyAlert(const AgentRecord& agent, const InboundRecord& record,
                           const wire::AlertRecord& alert) {
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
  return RaiseAlert(incident, deployment, "safety", severity,
                    agent.member_id + ": " + (alert.message.empty() ? "safety alert" : alert.message) +
                        " (raised " + FormatTimestamp(record.at) + ")",
                    agent.id, "agent:" + agent.id + ":" + std::to_string(record.seq));
}

Status HqStore::ApplyTrigger(const AgentRecord& agent, const wire::TriggerRecord& trigger,
                             IngestOutcome& outcome) {
  Result<TaskRow> task = OwnTask(statements_, agent, trigger.task);
  if (!task.ok()) return task.status();
  auto book = PlaybookByHash(task->playbook_hash);
  if (!book.ok()) return book.status();
  Status fired = FireTrigger(task->deployment, **book, trigger.trigger, agent.id, outcome);
  return fired.ok() || fired.code() != "not_found" ? fired
                                                   : Status::Error("invalid_value", fired.message());
}

Status HqStore::ApplyNote(const AgentRecord& agent, const wire::NoteRecord& note) {
  std::string incident = IncidentOfMember(agent.member_id);
  if (!note.task.empty()) {
    Result<TaskRow> task = OwnTask(statements_, agent, note.task);
    if (!task.ok()) return task.status();
    incident = task->incident;
  }
  return AppendTimeline(incident, "note", agent.member_id,
                        (note.task.empty() ? "" : note.task + ": ") + note.text);
}

Result<std::uint64_t> HqStore::IngestedWatermark(const std::string& agent_id) {
  std::uint64_t watermark = 0;
  Status status = Guarded([&]() -> Status {
    auto query = statements_.Get("SELECT ingested FROM agents WHERE id=?");
    query->bind(1, agent_id);
    if (query->executeStep()) watermark = static_cast<std::uint64_t>(query->getColumn(0).getInt64());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return watermark;
}

Result<std::uint64_t> HqStore::HighestHeld(const std::string& agent_id) {
  std::uint64_t highest = 0;
  Status status = Guarded([&]() -> Status {
    auto query = statements_.Get("SELECT COALESCE(MAX(seq), 0) FROM inbound WHERE agent_id=?");
    query->bind(1, agent_id);
    query->executeStep();
    highest = static_cast<std::uint64_t>(query->getColumn(0).getInt64());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return highest;
}

Result<std::vector<HqStore::QueuedDelivery>> HqStore::PendingDeliveries(
    const std::string& agent_id, std::uint64_t after, std::size_t max) {
  // Bodies above this size are kept parsed: a deployment's playbook goes to every member.
  constexpr std::size_t kKeepParsedAbove = 4096;
  constexpr std::size_t kParsedBodies = 8;
  const auto parse = [&](const std::string& text) -> json {
    if (text.size() <= kKeepParsedAbove) return json::parse(text, nullptr, false);
    auto kept = parsed_bodies_.find(text);
    if (kept != parsed_bodies_.end()) return kept->second;
    if (parsed_bodies_.size() >= kParsedBodies) parsed_bodies_.clear();
    return parsed_bodies_.emplace(text, json::parse(text, nullptr, false)).first->second;
  };
  std::vector<QueuedDelivery> deliveries;
  Status status = Guarded([&]() -> Status {
    auto query = statements_.Get(
        "SELECT seq, kind, body, created_at FROM outbound WHERE agent_id=? AND seq>? ORDER BY "
        "seq LIMIT ?");
    query->bind(1, agent_id);
    query->bind(2, static_cast<std::int64_t>(after));
    query->bind(3, static_cast<std::int64_t>(max));
    while (query->executeStep()) {
      const std::string text = query->getColumn(2).getString();
      deliveries.push_back({{static_cast<std::uint64_t>(query->getColumn(0).getInt64()),
                             query->getColumn(1).getString(), query->getColumn(3).getInt64(),
                             parse(text)},
                            text.size()});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return deliveries;
}

Result<HqStore::DeliveryCursor> HqStore::ReconcileDeliveries(const std::string& agent_id,
                                                             std::uint64_t agent_applied) {
  DeliveryCursor cursor;
  Status status = InTransaction(*db_, [&]() -> Status {
    const auto head = [&] {
      auto read = statements_.Get("SELECT next_delivery - 1 FROM agents WHERE id=?");
      read->bind(1, agent_id);
      read->executeStep();
      return static_cast<std::uint64_t>(read->getColumn(0).getInt64());
    };
    auto query = statements_.Get("SELECT next_delivery - 1, member_id FROM agents WHERE id=?");
    query->bind(1, agent_id);
    if (!query->executeStep()) return Status::Ok();
    cursor.head = static_cast<std::uint64_t>(query->getColumn(0).getInt64());
    const std::string member = query->getColumn(1).getString();
    query->reset();
    if (agent_applied > cursor.head) {
      cursor.hq_restored = true;
      auto skip = statements_.Get("UPDATE agents SET next_delivery=? WHERE id=?");
      skip->bind(1, static_cast<std::int64_t>(agent_applied + 1));
      skip->bind(2, agent_id);
      skip->exec();
      MUSTER_RETURN_IF_ERROR(QueueBacklog(agent_id, member));
      cursor.head = head();
      return Status::Ok();
    }
    // Every delivery after the agent's cursor must be here for it to continue. A gap is
    // left where a restored store continued another's numbering; a full view was queued
    // right after it, and the agent can start there.
    auto rows = statements_.Get("SELECT seq FROM outbound WHERE agent_id=? AND seq>? ORDER BY seq");
    rows->bind(1, agent_id);
    rows->bind(2, static_cast<std::int64_t>(agent_applied));
    std::uint64_t expected = agent_applied + 1;
    std::optional<std::uint64_t> after_gap;
    while (rows->executeStep()) {
      const auto seq = static_cast<std::uint64_t>(rows->getColumn(0).getInt64());
      if (seq != expected) after_gap = seq;
      expected = seq + 1;
    }
    rows->reset();
    if (expected != cursor.head + 1) {
      // The last deliveries themselves are gone: queue a full view to start from.
      after_gap = cursor.head + 1;
      MUSTER_RETURN_IF_ERROR(QueueBacklog(agent_id, member));
      cursor.head = head();
    }
    cursor.restart_from = after_gap;
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return cursor;
}

Result<protocol::SeqRanges> HqStore::HeldAmong(const std::string& agent_id,
                                               const protocol::SeqRanges& ranges) {
  std::vector<std::uint64_t> held;
  Status status = Guarded([&]() -> Status {
    auto query = statements_.Get("SELECT seq FROM inbound WHERE agent_id=? AND seq BETWEEN ? AND ?");
    for (const protocol::SeqRange& range : ranges) {
      query->bind(1, agent_id);
      query->bind(2, static_cast<std::int64_t>(std::min<std::uint64_t>(range.first, INT64_MAX)));
      query->bind(3, static_cast<std::int64_t>(std::min<std::uint64_t>(range.last, INT64_MAX)));
      while (query->executeStep()) held.push_back(static_cast<std::uint64_t>(query->getColumn(0).getInt64()));
      query->reset();
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return protocol::ToRanges(std::move(held));
}

Status HqStore::MarkApplied(const std::string& agent_id, std::uint64_t applied) {
  std::int64_t before = 0;
  MUSTER_RETURN_IF_ERROR(Guarded([&]() -> Status {
    auto current = statements_.Get("SELECT applied FROM agents WHERE id=?");
    current->bind(1, agent_id);
    if (current->executeStep()) before = current->getColumn(0).getInt64();
    return Status::Ok();
  }));
  // A HELLO that repeats the watermark HQ holds changes nothing: no commit, no fsync (the
  // sync server records the contact with the others it heard).
  if (static_cast<std::int64_t>(applied) == before) return Status::Ok();
  return InTransaction(*db_, [&]() -> Status { return WriteApplied(agent_id, applied); });
}

Status HqStore::WriteApplied(const std::string& agent_id, std::uint64_t applied) {
  std::int64_t before = 0;
  {
    auto current = statements_.Get("SELECT applied FROM agents WHERE id=?");
    current->bind(1, agent_id);
    if (current->executeStep()) before = current->getColumn(0).getInt64();
  }
  if (static_cast<std::int64_t>(applied) == before) return Status::Ok();
  auto update = statements_.Get("UPDATE agents SET applied=? WHERE id=?");
  update->bind(1, static_cast<std::int64_t>(applied));
  update->bind(2, agent_id);
  update->exec();
  // A ready task whose snapshot the agent has now committed is "delivered". Only the
  // deliveries newly applied are looked at: the ones below were handled when the
  // watermark passed them, and an agent's deliveries grow for as long as it serves.
  auto delivered = statements_.Get(
      "UPDATE tasks SET state='delivered' WHERE state='ready' AND id IN (SELECT "
      "json_extract(body,'$.task') FROM outbound WHERE agent_id=? AND kind='task' AND seq>? "
      "AND seq<=? AND json_extract(body,'$.state')='ready')");
  delivered->bind(1, agent_id);
  delivered->bind(2, std::min<std::int64_t>(before, static_cast<std::int64_t>(applied)));
  delivered->bind(3, static_cast<std::int64_t>(applied));
  delivered->exec();
  return Status::Ok();
}

Result<std::uint64_t> HqStore::AppliedWatermark(const std::string& agent_id) {
  std::uint64_t applied = 0;
  Status status = Guarded([&]() -> Status {
    auto query = statements_.Get("SELECT applied FROM agents WHERE id=?");
    query->bind(1, agent_id);
    if (query->executeStep()) applied = static_cast<std::uint64_t>(query->getColumn(0).getInt64());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return applied;
}

Status HqStore::TouchAgent(const std::string& agent_id) {
  return RecordContacts({{agent_id, clock_.Now()}});
}

Status HqStore::RecordContacts(const std::map<std::string, Millis>& contacts) {
  return RecordProgress(contacts, {});
}

Status HqStore::RecordProgress(const std::map<std::string, Millis>& contacts,
                               const std::map<std::string, std::uint64_t>& applied) {
  if (contacts.empty() && applied.empty()) return Status::Ok();
  return InTransaction(*db_, [&]() -> Status {
    for (const auto& [agent_id, at] : contacts) {
      auto update = statements_.Get(
          "UPDATE agents SET last_contact_at=MAX(COALESCE(last_contact_at, 0), ?) WHERE id=?");
      update->bind(1, static_cast<std::int64_t>(at));
      update->bind(2, agent_id);
      update->exec();
    }
    for (const auto& [agent_id, upto] : applied) {
      MUSTER_RETURN_IF_ERROR(WriteApplied(agent_id, upto));
    }
    return Status::Ok();
  });
}

}  // namespace muster::hq
