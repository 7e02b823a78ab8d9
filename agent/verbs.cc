#include "verbs.h"

#include <algorithm>
#include <cstdlib>
#include <iomanip>
#include <set>
#include <sstream>

#include "fired_actions.h"
#include "link.h"
#include "relay/relay_queue.h"
#include "attachments.h"
#include "muster/display.h"
#include "muster/exercise/script.h"
#include "muster/playbook/fields.h"
#include "muster/playbook/schedule.h"
#include "muster/protocol.h"
#include "muster/playbook/triggers.h"
#include "muster/text_limits.h"

namespace muster::agent {
namespace {

std::string DueText(const std::optional<Millis>& due, Millis now) {
  if (!due) return "-";
  if (*due < now) return "OVERDUE " + FormatAge(now - *due);
  return "in " + FormatAge(*due - now);
}

std::string Receipt(const OutboxRecord& record) {
  if (record.acked_at) {
    std::string text = "acknowledged by HQ " + FormatTimestamp(*record.acked_at);
    if (!record.refusal.empty()) text += " (refused: " + record.refusal + ")";
    return text;
  }
  if (record.sent_at) return "sent " + FormatTimestamp(*record.sent_at) + ", not yet acknowledged";
  return "only on this laptop";
}

// Which of the task's dependencies are not complete, as "step (member, state)".
std::string WaitsOn(const Task& task, const std::vector<Task>& all, const AgentStore& store) {
  std::string text;
  for (const json& dependency : task.waits_on) {
    std::string state = dependency.value("state", "");
    const std::string dep_task = dependency.value("task", "");
    for (const Task& own : all) {
      if (own.id == dep_task) state = store.DisplayState(own, all);
    }
    if (state == "completed" || state == "cancelled") continue;
    if (!text.empty()) text += ", ";
    // Who holds it: the member's name as HQ relayed it, else the member id.
    std::string holder = dependency.value("name", "");
    if (holder.empty()) holder = dependency.value("member", "");
    text += dependency.value("step", "") + " (" + holder + ", " + state + ")";
  }
  return text;
}

std::string FormatBytes(std::uint64_t bytes) {
  std::ostringstream text;
  if (bytes < 1024) {
    text << bytes << " B";
  } else if (bytes < (1u << 20)) {
    text << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / 1024 << " KiB";
  } else {
    text << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / (1u << 20)
         << " MiB";
  }
  return text.str();
}

// How far an attached file has travelled, in the words of a receipt.
std::string AttachmentReceipt(const AttachmentProgress& file) {
  std::string text;
  if (file.acked == file.size) {
    text = "all of it acknowledged by HQ" +
           (file.last_acked_at ? " " + FormatTimestamp(*file.last_acked_at) : std::string());
  } else if (file.sent == 0) {
    text = "only on this laptop";
  } else {
    text = FormatBytes(file.acked) + " of " + FormatBytes(file.size) +
           " acknowledged by HQ; the rest follows at the next sync";
  }
  if (!file.refusal.empty()) text += " (refused: " + file.refusal + ")";
  return text;
}

json AttachmentJson(const AttachmentProgress& file) {
  return {{"sha256", file.sha256},
          {"name", file.name},
          {"size", file.size},
          {"task", file.task},
          {"bytes_sent", file.sent},
          {"bytes_acknowledged", file.acked},
          {"acknowledged_at", file.last_acked_at ? json(*file.last_acked_at) : json()},
          {"refusal", file.refusal}};
}

void PrintAttachments(const std::vector<AttachmentProgress>& files, const std::string& indent,
                      std::ostream& out) {
  for (const auto& file : files) {
    out << indent << file.name << " (" << FormatBytes(file.size) << ") attached "
        << FormatTimestamp(file.created_at) << " — " << AttachmentReceipt(file) << "\n";
  }
}

Status Recorded(std::ostream& out, const std::string& what) {
  out << "recorded: " << what << " (saved on this laptop; it goes to HQ at the next sync)\n";
  return Status::Ok();
}

Status RefuseIfClosed(const AgentStore& store, const Task& task, const std::vector<Task>& all,
                      bool force, const std::string& verb) {
  const std::string state = store.DisplayState(task, all);
  if ((state == "cancelled" || state == "reassigned") && !force) {
    const bool here = task.hq_state != state;  // a stand-down on this laptop
    const std::string& reason = here ? task.local_reason : task.hq_reason;
    return Status::Error(ErrorCode::kTaskClosed,
                         task.id + " was " + state + (here ? " on this laptop" : " by HQ") +
                             (reason.empty() ? "" : " (" + reason + ")") +
                             "; use --force to " + verb +
                             " it anyway (nothing you record is lost; HQ raises a conflict "
                             "when an officer took the task away, not for a stand-down)");
  }
  if (state == "waiting" && !force) {
    return Status::Error(ErrorCode::kTaskWaiting, task.id + " waits on " +
                                                      WaitsOn(task, all, store) +
                                                      "; use --force to " + verb + " it anyway");
  }
  if (state == "dormant" && !force) {
    return Status::Error(ErrorCode::kTaskWaiting, task.id +
                                                      " is dormant until a trigger activates it; "
                                                      "use --force to " +
                                                      verb + " it anyway");
  }
  return Status::Ok();
}

}  // namespace

Result<FieldArg> ParseFieldArg(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "--field '" + text + "' must look like NAME=VALUE, e.g. dose_rate=12.5");
  }
  return FieldArg{text.substr(0, eq), text.substr(eq + 1)};
}

// "REVOKED playbook: …" or "REFUSED playbook: …" for a task from such a version; empty
// otherwise.
std::string NoticeOf(const std::map<std::string, PlaybookNotice>& notices, const Task& task) {
  auto notice = notices.find(task.playbook);
  return notice == notices.end() ? std::string() : notice->second.Text();
}

OffsetClock ClockOfHq(AgentStore& store, const Clock& laptop) {
  auto offset = store.ClockOffsetToHq();
  return OffsetClock(laptop, offset.ok() && *offset ? (*offset)->offset_ms : 0);
}

Status ListTasks(AgentStore& store, const Clock& clock, bool as_json, std::ostream& out) {
  auto tasks = store.Tasks();
  if (!tasks.ok()) return tasks.status();
  auto notices = store.PlaybookNotices();
  if (!notices.ok()) return notices.status();
  const Millis now = clock.Now();
  if (as_json) {
    json list = json::array();
    for (const Task& task : *tasks) {
      auto book = store.PlaybookByHash(task.playbook);
      const playbook::Step* step = book.ok() ? (*book)->FindStep(task.step) : nullptr;
      list.push_back({{"id", task.id},
                      {"step", task.step},
                      {"title", step ? step->title : task.step},
                      {"incident", task.incident},
                      {"exercise", task.exercise},
                      {"state", store.DisplayState(task, *tasks)},
                      {"priority", step ? playbook::ToString(step->priority) : "normal"},
                      {"due_at", task.due_at ? json(*task.due_at) : json()},
                      {"waits_on", WaitsOn(task, *tasks, store)},
                      {"playbook_notice", NoticeOf(*notices, task)}});
    }
    out << list.dump(2) << "\n";
    return Status::Ok();
  }
  if (tasks->empty()) {
    out << "No tasks yet. They arrive at the next sync once HQ deploys you.\n";
    return Status::Ok();
  }
  if (std::any_of(tasks->begin(), tasks->end(), [](const Task& task) { return task.exercise; })) {
    out << exercise::kExerciseMark << " (tasks marked [EXERCISE] belong to an exercise)\n";
  }
  out << std::left << std::setw(34) << "TASK" << std::setw(13) << "STATE" << std::setw(10)
      << "PRIORITY" << std::setw(16) << "DUE" << "TITLE / WAITS ON\n";
  for (const Task& task : *tasks) {
    auto book = store.PlaybookByHash(task.playbook);
    const playbook::Step* step = book.ok() ? (*book)->FindStep(task.step) : nullptr;
    out << std::left << std::setw(34) << task.id << std::setw(13)
        << store.DisplayState(task, *tasks) << std::setw(10)
        << (step ? playbook::ToString(step->priority) : "normal") << std::setw(16)
        << DueText(task.due_at, now) << (task.exercise ? "[EXERCISE] " : "")
        << (step ? step->title : task.step);
    const std::string waits = WaitsOn(task, *tasks, store);
    if (!waits.empty()) out << "  [waits on " << waits << "]";
    if (const std::string notice = NoticeOf(*notices, task); !notice.empty()) {
      out << "  [" << notice << "]";
    }
    out << "\n";
  }
  return Status::Ok();
}

namespace {

// What `show` reports of a task, read once from the store.
struct TaskView {
  Task task;
  std::vector<Task> all;
  std::shared_ptr<const playbook::Playbook> book;
  const playbook::Step* step = nullptr;
  std::vector<OutboxRecord> records;
  std::vector<AttachmentProgress> files;
  std::string notice;  // NoticeOf the task
};

Result<TaskView> ReadTaskView(AgentStore& store, const std::string& id) {
  TaskView view;
  auto task = store.FindTask(id);
  if (!task.ok()) return task.status();
  view.task = std::move(task).value();
  auto all = store.Tasks();
  if (!all.ok()) return all.status();
  view.all = std::move(all).value();
  auto book = store.PlaybookByHash(view.task.playbook);
  if (!book.ok()) return book.status();
  view.book = std::move(book).value();
  auto notices = store.PlaybookNotices();
  if (!notices.ok()) return notices.status();
  view.notice = NoticeOf(*notices, view.task);
  view.step = view.book->FindStep(view.task.step);
  if (view.step == nullptr) {
    return Status::Error(ErrorCode::kNotFound,
                         "step " + view.task.step + " is not in the playbook");
  }
  auto records = store.outbox().Records(view.task.id);
  if (!records.ok()) return records.status();
  view.records = std::move(records).value();
  auto files = store.outbox().Attachments(view.task.id);
  if (!files.ok()) return files.status();
  view.files = std::move(files).value();
  return view;
}

// The checklist items ticked, by number from 1: the task's checklist records replayed
// in the order they were made.
std::set<std::uint64_t> CheckedItems(const TaskView& view) {
  std::set<std::uint64_t> checked;
  for (const OutboxRecord& record : view.records) {
    if (record.kind != wire::RecordKindName(wire::RecordKind::kChecklist)) continue;
    auto tick = wire::ChecklistRecord::Decode(record.body);
    if (!tick.ok()) continue;
    if (tick->checked) {
      checked.insert(tick->item);
    } else {
      checked.erase(tick->item);
    }
  }
  return checked;
}

json TaskJson(const AgentStore& store, const TaskView& view) {
  const playbook::Step& step = *view.step;
  json attached = json::array();
  for (const auto& file : view.files) attached.push_back(AttachmentJson(file));
  json fields = json::array();
  for (const auto& field : step.findings) {
    fields.push_back({{"id", field.id},
                      {"label", field.label},
                      {"type", playbook::ToString(field.type)},
                      {"required", field.required},
                      {"unit", field.unit},
                      {"min", field.min ? json(*field.min) : json()},
                      {"max", field.max ? json(*field.max) : json()},
                      {"options", field.options}});
  }
  return {
      {"id", view.task.id},
      {"step", step.id},
      {"title", step.title},
      {"state", store.DisplayState(view.task, view.all)},
      {"marking", playbook::ToString(view.book->MarkingOf(step))},
      {"incident", view.task.incident},
      {"exercise", view.task.exercise},
      {"playbook",
       {{"id", view.book->id}, {"version", view.book->version}, {"hash", view.book->content_hash}}},
      {"playbook_notice", view.notice},
      {"instructions", step.instructions},
      {"checklist", step.checklist},
      {"checklist_checked", CheckedItems(view)},
      {"fields", fields},
      {"waits_on", WaitsOn(view.task, view.all, store)},
      {"records", view.records.size()},
      {"attachments", attached}};
}

// The step's findings as `show` lists them: type, unit, expected range, options.
void PrintFindingFields(const playbook::Step& step, std::ostream& out) {
  out << "\nFindings to record (--field NAME=VALUE):\n";
  for (const auto& field : step.findings) {
    out << "  " << std::left << std::setw(22) << field.id << playbook::ToString(field.type);
    if (!field.unit.empty()) out << " in " << field.unit;
    if (field.min || field.max) {
      out << ", expected " << (field.min ? playbook::FormatValue(*field.min) : "…") << " to "
          << (field.max ? playbook::FormatValue(*field.max) : "…");
    }
    if (!field.options.empty()) {
      out << ", one of:";
      for (const auto& option : field.options) out << " " << option;
    }
    out << (field.required ? "  (required)" : "  (optional)");
    if (!field.label.empty()) out << " — " << field.label;
    out << "\n";
  }
}

void PrintTask(const AgentStore& store, const TaskView& view, std::ostream& out) {
  const Task& task = view.task;
  const playbook::Step& step = *view.step;
  if (task.exercise) out << exercise::kExerciseMark << "\n";
  out << task.id << " — " << step.title << "\n"
      << "Incident:  " << task.incident << " " << task.incident_title << "\n"
      << "Playbook:  " << view.book->id << " " << view.book->version << " ("
      << view.book->content_hash.substr(0, 12) << ")\n";
  if (!view.notice.empty()) {
    out << "           " << view.notice << " (the task goes on; HQ says more)\n";
  }
  out << "State:     " << store.DisplayState(task, view.all) << "\n"
      << "Priority:  " << playbook::ToString(step.priority) << "\n";
  const std::string marking = playbook::ToString(view.book->MarkingOf(step));
  if (!marking.empty()) out << "Marking:   " << marking << " (what you record here carries it)\n";
  const std::string waits = WaitsOn(task, view.all, store);
  if (!waits.empty()) out << "Waits on:  " << waits << "\n";
  out << "\n" << step.instructions << "\n";
  if (!step.checklist.empty()) {
    out << "\nChecklist (muster-agent tick " << task.step << " N):\n";
    const std::set<std::uint64_t> checked = CheckedItems(view);
    for (std::size_t i = 0; i < step.checklist.size(); ++i) {
      out << "  " << (checked.count(i + 1) ? "[x] " : "[ ] ") << i + 1 << ". "
          << step.checklist[i] << "\n";
    }
  }
  if (!step.findings.empty()) PrintFindingFields(step, out);
  if (!view.records.empty()) {
    out << "\nRecorded:\n";
    for (const auto& record : view.records) {
      out << "  #" << record.seq << " " << record.kind << " " << FormatTimestamp(record.created_at)
          << " — " << Receipt(record) << "\n";
    }
  }
  if (!view.files.empty()) {
    out << "\nAttached:\n";
    PrintAttachments(view.files, "  ", out);
  }
}

}  // namespace

Status ShowTask(AgentStore& store, const std::string& id, bool as_json, std::ostream& out) {
  auto view = ReadTaskView(store, id);
  if (!view.ok()) return view.status();
  if (as_json) {
    out << TaskJson(store, *view).dump(2) << "\n";
  } else {
    PrintTask(store, *view, out);
  }
  return Status::Ok();
}

Status SetState(AgentStore& store, const std::string& id, const std::string& state,
                const std::string& reason, bool force, std::ostream& out) {
  auto task = store.FindTask(id);
  if (!task.ok()) return task.status();
  auto all = store.Tasks();
  if (!all.ok()) return all.status();
  if (state != "blocked") MUSTER_RETURN_IF_ERROR(RefuseIfClosed(store, *task, *all, force, state));
  MUSTER_RETURN_IF_ERROR(limits::CheckLength("the reason", reason, limits::kLine));
  if (state == "blocked" && reason.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument, "say why the task is blocked: --reason TEXT");
  }
  MUSTER_RETURN_IF_ERROR(store.outbox().Transaction([&]() -> Status {
    auto seq = store.outbox().Append(wire::StatusRecord{task->id, state, reason});
    if (!seq.ok()) return seq.status();
    return store.SetLocalState(task->id, state, reason);
  }));
  return Recorded(out, task->id + " " + state);
}

namespace {

// What `finding` or `done` is about to record: the finding, the files it attaches
// (copied into the store already) and notes for the member.
struct FindingDraft {
  wire::FindingRecord finding;
  std::vector<Attachment> files;
  std::vector<std::string> notes;
  std::vector<wire::WatchlistHitRecord> hits;  // go to HQ in the safety lane
  std::vector<std::string> checks;             // what the watchlist check said, for people
};

// At most this many hits per person are sent to HQ (the best first).
constexpr std::size_t kHitsPerPerson = 3;

// Every person field of the draft against the watchlist of the task's incident, on this
// laptop: hits become records for HQ, hits and matches to review become lines for the
// member. A laptop that holds no list for the incident says why it could not check.
Status CheckPersons(AgentStore& store, const Task& task, const playbook::Step& step,
                    FindingDraft& draft) {
  std::optional<watchlist::Matcher> matcher;
  for (const playbook::FieldSpec& field : step.findings) {
    if (field.type != playbook::FieldType::kPerson) continue;
    const auto value = draft.finding.values.find(field.id);
    if (value == draft.finding.values.end() || !value->is_string() ||
        value->get_ref<const std::string&>().empty()) {
      continue;  // an optional person left blank
    }
    const std::string text = *value;
    Result<watchlist::Person> person = watchlist::Person::Parse(text);
    if (!person.ok()) return person.status();
    if (!matcher) {
      auto entries = store.WatchlistOf(task.incident);
      if (!entries.ok()) return entries.status();
      if (entries->empty()) {
        draft.checks.push_back(
            store.sealed()
                ? "watchlist: this laptop holds no watchlist for " + task.incident +
                      "; " + field.id + " was not checked (HQ checks it when it arrives)"
                : "watchlist: not checked on this laptop: its store is not sealed, so it keeps "
                  "no watchlist (set a passphrase: muster-agent unlock --set-passphrase); HQ "
                  "checks " + field.id + " when the finding arrives");
        return Status::Ok();
      }
      matcher.emplace(std::move(*entries));
    }
    std::size_t sent = 0;
    for (const watchlist::Match& match : matcher->Check(*person)) {
      const watchlist::Entry& entry = matcher->entries()[match.entry];
      if (match.hit) {
        if (++sent > kHitsPerPerson) {
          draft.checks.push_back("WATCHLIST HIT (not sent, HQ has the best " +
                                 std::to_string(kHitsPerPerson) + "): " + field.id +
                                 " matches notice " + entry.notice_id + ": " + match.explanation);
          continue;
        }
        draft.hits.push_back({task.id, entry.notice_id,
                              static_cast<std::uint64_t>(match.score * 1000 + 0.5),
                              match.document, text, match.explanation});
        draft.checks.push_back("WATCHLIST HIT: " + field.id + " matches notice " +
                               entry.notice_id + " (" + entry.notice_type + "): " +
                               match.explanation +
                               ". HQ is told first, ahead of everything waiting to be sent. "
                               "Follow your procedure for a person of interest.");
      } else if (!match.hit) {
        draft.checks.push_back("watchlist: possible match for " + field.id + ", notice " +
                               entry.notice_id + ": " + match.explanation +
                               "; check the person's documents");
      }
    }
    if (sent == 0) draft.checks.push_back("watchlist: " + field.id + " checked, no hit");
  }
  return Status::Ok();
}

// Copies the file into the store before anything refers to it; |field| is the attachment
// field that names it, empty for --attach.
Status ImportFile(AgentStore& store, const std::string& path, const std::string& field,
                  FindingDraft& draft) {
  auto imported = ImportAttachment(store.data_dir(), path, store.copies_key());
  if (!imported.ok()) return imported.status();
  if (!field.empty()) draft.finding.values[field] = imported->name;
  draft.finding.attachments.push_back({imported->sha256, imported->name, imported->size, field});
  draft.files.push_back(std::move(imported).value());
  return Status::Ok();
}

// Adds one --field NAME=VALUE to the draft, checked against the step's finding schema; a
// value out of the expected range needs |confirm|.
Status AddField(AgentStore& store, const playbook::Step& step, const std::string& text,
                bool confirm, FindingDraft& draft) {
  auto arg = ParseFieldArg(text);
  if (!arg.ok()) return arg.status();
  auto spec = std::find_if(step.findings.begin(), step.findings.end(),
                           [&](const auto& field) { return field.id == arg->name; });
  if (spec == step.findings.end()) {
    std::string known;
    for (const auto& field : step.findings) known += " " + field.id;
    return Status::Error(ErrorCode::kInvalidArgument,
                         step.id + " has no field '" + arg->name +
                             "'; its fields are:" + (known.empty() ? " (none)" : known));
  }
  if (spec->type == playbook::FieldType::kAttachment && !arg->value.empty()) {
    return ImportFile(store, arg->value, spec->id, draft);
  }
  auto checked = playbook::ParseFieldValue(*spec, arg->value);
  if (!checked.ok()) return checked.status();
  if (checked->out_of_range) {
    if (!confirm) {
      return Status::Error(ErrorCode::kNeedsConfirmation,
                           checked->note +
                               ". If that is what you measured, run the same "
                               "command again with --confirm");
    }
    draft.finding.confirmed.push_back(spec->id);
    draft.notes.push_back(checked->note + " (confirmed)");
  }
  std::visit([&](const auto& v) { draft.finding.values[spec->id] = v; }, checked->value);
  return Status::Ok();
}

// The marking a member gives a finding, checked: it may raise the step's, never lower it.
Result<std::string> RaisedMarking(const playbook::Playbook& book, const playbook::Step& step,
                                  const std::string& text) {
  std::string error;
  const auto given = playbook::ParseMarking(text, &error);
  if (!given) return Status::Error(ErrorCode::kInvalidArgument, "--marking: " + error);
  const playbook::Marking floor = book.MarkingOf(step);
  if (playbook::Lowers(*given, floor)) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "--marking " + playbook::ToString(*given) + " would lower step " +
                             step.id + "'s marking (" + playbook::ToString(floor) +
                             "); a finding may raise it, never lower it");
  }
  return playbook::ToString(*given);
}

// A task is completed with all of its step's required fields, counting those recorded
// earlier, in separate findings.
Status CheckRequiredFields(AgentStore& store, const Task& task, const playbook::Step& step,
                           const json& values) {
  std::vector<std::string> given;
  for (auto& [name, value] : values.items()) given.push_back(name);
  auto records = store.outbox().Records(task.id);
  if (!records.ok()) return records.status();
  for (const auto& record : *records) {
    if (record.kind != "finding" || !record.body.contains("values")) continue;
    for (auto& [name, value] : record.body["values"].items()) given.push_back(name);
  }
  auto missing = playbook::MissingRequiredFields(step, given);
  if (missing.empty()) return Status::Ok();
  std::string list;
  for (const auto& name : missing) list += " --field " + name + "=…";
  return Status::Error(ErrorCode::kMissingFields,
                       task.id + " needs these findings before it is done:" + list);
}

// The steps of |deployment| this laptop knows to be done: the member completed their task
// of it, and no one else's task can hold it open (the step's role has one member, or one
// completion is enough). A trigger's else needs the steps it reads done; for the other
// steps HQ, which sees the whole team, decides.
Result<std::set<std::string>> StepsDoneHere(AgentStore& store, std::int64_t deployment,
                                            const playbook::Playbook& book) {
  auto all = store.Tasks();
  if (!all.ok()) return all.status();
  std::set<std::string> done;
  for (const Task& task : *all) {
    const auto occurrence = playbook::ParseOccurrence(task.id);
    if (task.deployment != deployment || !occurrence || occurrence->number != 1) continue;
    const playbook::Step* step = book.FindStep(task.step);
    const playbook::Role* role = step ? book.FindRole(step->role) : nullptr;
    if (role == nullptr || store.DisplayState(task, *all) != "completed") continue;
    if (role->count == 1 || step->completion == playbook::Completion::kAny) done.insert(step->id);
  }
  return done;
}

// Triggers, at once and offline: the same evaluation HQ makes. Marks those that fire,
// activates the steps they activate and records them; call inside the verb's transaction.
Result<std::vector<playbook::FiredTrigger>> FireTriggers(AgentStore& store, const Task& task,
                                                         const playbook::Playbook& book) {
  auto current = store.FindingValues(task.deployment);
  if (!current.ok()) return current.status();
  auto already = store.FiredTriggers(task.deployment);
  if (!already.ok()) return already.status();
  auto done = StepsDoneHere(store, task.deployment, book);
  if (!done.ok()) return done.status();
  std::vector<playbook::FiredTrigger> fired = playbook::EvaluateTriggers(
      book, *current, std::set<std::string>(already->begin(), already->end()), *done);
  for (const auto& hit : fired) MUSTER_RETURN_IF_ERROR(ApplyFired(store, task, book, hit));
  return fired;
}

// Records the draft, the files and, when |complete|, the task's completion in one
// transaction, with the triggers they fire (returned).
Result<std::vector<playbook::FiredTrigger>> RecordDraft(AgentStore& store, const Task& task,
                                                        const playbook::Playbook& book,
                                                        const FindingDraft& draft, bool complete) {
  std::vector<playbook::FiredTrigger> fired;
  MUSTER_RETURN_IF_ERROR(store.outbox().Transaction([&]() -> Status {
    for (const wire::WatchlistHitRecord& hit : draft.hits) {
      auto seq = store.outbox().Append(hit);
      if (!seq.ok()) return seq.status();
    }
    if (!draft.finding.values.empty() || !draft.finding.attachments.empty()) {
      auto seq = store.outbox().Append(draft.finding);
      if (!seq.ok()) return seq.status();
    }
    for (const Attachment& file : draft.files) {
      MUSTER_RETURN_IF_ERROR(store.outbox().AddAttachment(file, task.id));
    }
    if (complete) {
      auto seq = store.outbox().Append(wire::StatusRecord{task.id, "completed", ""});
      if (!seq.ok()) return seq.status();
      MUSTER_RETURN_IF_ERROR(store.SetLocalState(task.id, "completed", ""));
    }
    auto triggers = FireTriggers(store, task, book);
    if (!triggers.ok()) return triggers.status();
    fired = std::move(triggers).value();
    return Status::Ok();
  }));
  return fired;
}

}  // namespace

Status RecordFinding(AgentStore& store, const std::string& id,
                     const std::vector<std::string>& fields, bool confirm, bool complete,
                     bool force, std::ostream& out, const std::vector<std::string>& attach,
                     const std::string& marking) {
  auto task = store.FindTask(id);
  if (!task.ok()) return task.status();
  auto all = store.Tasks();
  if (!all.ok()) return all.status();
  MUSTER_RETURN_IF_ERROR(
      RefuseIfClosed(store, *task, *all, force, complete ? "complete" : "record on"));
  auto book = store.PlaybookByHash(task->playbook);
  if (!book.ok()) return book.status();
  const playbook::Step* step = (*book)->FindStep(task->step);
  if (step == nullptr) {
    return Status::Error(ErrorCode::kNotFound, "step " + task->step + " is not in the playbook");
  }

  FindingDraft draft;
  draft.finding.task = task->id;
  for (const std::string& text : fields) {
    MUSTER_RETURN_IF_ERROR(AddField(store, *step, text, confirm, draft));
  }
  for (const std::string& path : attach) MUSTER_RETURN_IF_ERROR(ImportFile(store, path, "", draft));
  if (!marking.empty()) {
    auto raised = RaisedMarking(**book, *step, marking);
    if (!raised.ok()) return raised.status();
    draft.finding.marking = *raised;
  }
  const json& values = draft.finding.values;
  if (complete) MUSTER_RETURN_IF_ERROR(CheckRequiredFields(store, *task, *step, values));
  if (!marking.empty() && values.empty() && draft.finding.attachments.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "--marking marks a finding: give at least one --field NAME=VALUE or "
                         "--attach FILE with it");
  }
  if (!complete && values.empty() && draft.finding.attachments.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "give at least one --field NAME=VALUE or --attach FILE");
  }

  MUSTER_RETURN_IF_ERROR(CheckPersons(store, *task, *step, draft));
  auto fired = RecordDraft(store, *task, **book, draft, complete);
  if (!fired.ok()) return fired.status();
  for (const auto& note : draft.notes) out << "note: " << note << "\n";
  for (const auto& check : draft.checks) out << ForTerminal(check) << "\n";
  std::string what = task->id;
  if (!values.empty()) what += " finding (" + std::to_string(values.size()) + " field(s))";
  if (complete) what += values.empty() ? " completed" : ", completed";
  MUSTER_RETURN_IF_ERROR(Recorded(out, what));
  for (const Attachment& file : draft.files) {
    out << "attached: " << file.name << " (" << FormatBytes(file.size)
        << "); it travels after your status updates and findings, in pieces sized to the "
           "link\n";
  }
  PrintFired(*fired, out);
  return Status::Ok();
}

Status RecordNote(AgentStore& store, const std::string& id, const std::string& text,
                  std::ostream& out) {
  if (text.empty()) return Status::Error(ErrorCode::kInvalidArgument, "the note is empty");
  std::string task_id;
  if (!id.empty()) {
    auto task = store.FindTask(id);
    if (!task.ok()) return task.status();
    task_id = task->id;
  }
  auto seq = store.outbox().Append(wire::NoteRecord{task_id, text});
  if (!seq.ok()) return seq.status();
  return Recorded(out, "note #" + std::to_string(*seq));
}

Status CheckIn(AgentStore& store, const std::string& place, std::ostream& out) {
  auto checked = playbook::ParseFieldValue(playbook::PositionField(), place);
  if (!checked.ok()) return checked.status();
  auto seq = store.outbox().Append(wire::PositionRecord{place});
  if (!seq.ok()) return seq.status();
  return Recorded(out, "check-in #" + std::to_string(*seq) + " at " + place);
}

Status PrintTaskIds(AgentStore& store, std::ostream& out) {
  auto tasks = store.Tasks();
  if (!tasks.ok()) return tasks.status();
  std::set<std::string> words;
  for (const Task& task : *tasks) {
    words.insert(task.id);
    words.insert(task.step);
  }
  for (const std::string& word : words) out << word << "\n";
  return Status::Ok();
}

Status TickItem(AgentStore& store, const std::string& id, const std::string& item, bool checked,
                bool force, std::ostream& out) {
  auto view = ReadTaskView(store, id);
  if (!view.ok()) return view.status();
  const std::vector<std::string>& items = view->step->checklist;
  if (items.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "step " + view->task.step + " has no checklist");
  }
  MUSTER_RETURN_IF_ERROR(RefuseIfClosed(store, view->task, view->all, force, "tick"));
  std::uint64_t number = 0;
  if (!item.empty() && item.find_first_not_of("0123456789") == std::string::npos &&
      item.size() < 6) {
    number = std::stoull(item);
  } else {
    // Words: the one item that contains them, ignoring case.
    const auto lower = [](std::string text) {
      for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return text;
    };
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (lower(items[i]).find(lower(item)) == std::string::npos) continue;
      if (number != 0) {
        return Status::Error(ErrorCode::kInvalidArgument,
                             "'" + item + "' names more than one item; give its number (see: "
                                          "muster-agent show " + view->task.step + ")");
      }
      number = i + 1;
    }
  }
  if (number < 1 || number > items.size()) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "no checklist item '" + item + "' in " + view->task.step + " (items 1 to " +
                             std::to_string(items.size()) + "; see: muster-agent show " +
                             view->task.step + ")");
  }
  auto seq = store.outbox().Append(wire::ChecklistRecord{view->task.id, number, checked});
  if (!seq.ok()) return seq.status();
  return Recorded(out, std::string(checked ? "checked" : "unchecked") + " " +
                           std::to_string(number) + ". " + items[number - 1]);
}

Status RaiseAlert(AgentStore& store, const std::string& id, const std::string& message,
                  const std::string& severity, std::ostream& out) {
  if (severity != "info" && severity != "warning" && severity != "critical") {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "--severity must be info, warning or critical");
  }
  std::string task_id;
  if (!id.empty()) {
    auto task = store.FindTask(id);
    if (!task.ok()) return task.status();
    task_id = task->id;
  }
  const std::string sent = limits::Cut(message, limits::kLine);
  if (sent != message) {
    out << "note: the message is cut to " << limits::kLine << " characters; add a note for "
        << "the rest\n";
  }
  auto seq = store.outbox().Append(wire::AlertRecord{task_id, sent, severity});
  if (!seq.ok()) return seq.status();
  return Recorded(out, "safety alert #" + std::to_string(*seq) + " (sent before anything else)");
}

namespace {

// What `status` reports, read once from the store.
struct StatusView {
  LinkState link;
  OutboxStats stats;
  AgentStore::DeliveryState deliveries;
  std::vector<AttachmentProgress> travelling;  // attached files not yet all at HQ
  std::vector<PlaybookNotice> refused;         // playbooks this laptop refused
  std::optional<ClockOffset> clock;  // HQ's clock minus this laptop's, once measured
  RelayQueue::Counts relayed;        // teammates' records this laptop holds as their relay
  std::vector<AgentStore::WatchlistHolding> watchlists;  // by incident
  Millis now = 0;
  bool daemon_running = false;
  bool connected = false;
  // HQ had queued more for this laptop than it has applied when HQ last welcomed it.
  bool behind = false;
};

Result<StatusView> ReadStatus(AgentStore& store, const Clock& clock) {
  auto link = store.Link();
  auto stats = store.outbox().Stats();
  auto deliveries = store.Deliveries();
  if (!link.ok()) return link.status();
  if (!stats.ok()) return stats.status();
  if (!deliveries.ok()) return deliveries.status();
  auto offset = store.ClockOffsetToHq();
  if (!offset.ok()) return offset.status();
  auto relayed = RelayQueue(store.database(), clock, store.agent_id()).Stats();
  if (!relayed.ok()) return relayed.status();
  auto watchlists = store.WatchlistHoldings();
  if (!watchlists.ok()) return watchlists.status();
  StatusView view;
  view.watchlists = *watchlists;
  view.relayed = *relayed;
  view.clock = *offset;
  view.link = *link;
  view.stats = *stats;
  view.deliveries = *deliveries;
  view.behind = view.deliveries.applied < view.deliveries.hq_head;
  auto files = store.outbox().Attachments("");
  if (!files.ok()) return files.status();
  for (const auto& file : *files) {
    if (file.acked < file.size) view.travelling.push_back(file);
  }
  auto notices = store.PlaybookNotices();
  if (!notices.ok()) return notices.status();
  for (const auto& [hash, notice] : *notices) {
    if (notice.kind == PlaybookNotice::kRefused) view.refused.push_back(notice);
  }
  view.now = clock.Now();
  view.daemon_running =
      view.link.daemon_seen_at > 0 && view.now - view.link.daemon_seen_at < kDaemonSilentMs;
  view.connected = view.daemon_running && view.link.connected;
  return view;
}

json StatusJson(const AgentStore& store, const StatusView& view) {
  json travelling = json::array();
  for (const auto& file : view.travelling) travelling.push_back(AttachmentJson(file));
  json refused = json::array();
  for (const auto& notice : view.refused) {
    refused.push_back({{"id", notice.id},
                       {"version", notice.version},
                       {"reason", notice.reason},
                       {"refused_at", notice.at}});
  }
  json watchlists = json::array();
  for (const auto& holding : view.watchlists) {
    watchlists.push_back(
        {{"incident", holding.incident}, {"held", holding.held}, {"withheld", holding.withheld}});
  }
  const LinkState& link = view.link;
  const AgentStore::DeliveryState& deliveries = view.deliveries;
  return {{"agent", store.agent_id()},
          {"watchlists", watchlists},
          {"member", store.member_id()},
          {"daemon_running", view.daemon_running},
          {"connected", view.connected},
          {"last_sync_at", link.last_sync_at ? json(link.last_sync_at) : json()},
          {"outbox_pending", view.stats.pending},
          {"outbox_pending_bytes", view.stats.pending_bytes},
          {"sent_not_acknowledged", view.stats.sent_unacked},
          {"held_by_relay", view.stats.relay_held},
          {"relaying_for_team", view.relayed.held},
          {"relaying_not_at_hq", view.relayed.waiting},
          {"acknowledged", view.stats.acked},
          {"refused", view.stats.refused},
          {"deliveries_applied", deliveries.applied},
          {"deliveries_at_hq", deliveries.hq_head},
          {"view_up_to_date", !view.behind},
          {"view_restarted_at", deliveries.restarted_at ? json(deliveries.restarted_at) : json()},
          {"attachments_travelling", travelling},
          {"playbooks_refused", refused},
          {"refused_by_hq", link.refused},
          {"clock_offset_ms", view.clock ? json(view.clock->offset_ms) : json()},
          {"clock_rtt_ms", view.clock ? json(view.clock->rtt_ms) : json()},
          {"clock_measured_at", view.clock ? json(view.clock->measured_at) : json()},
          {"last_error", link.last_error}};
}

// The outbox and the files travelling, in the lines of `status`.
void PrintOutbox(const StatusView& view, std::ostream& out) {
  const OutboxStats& stats = view.stats;
  if (stats.pending == 0) {
    out << "Outbox:     empty — HQ has acknowledged all " << stats.acked << " record(s)\n";
  } else {
    out << "Outbox:     " << stats.pending << " record(s), " << stats.pending_bytes
        << " bytes waiting for HQ (" << stats.sent_unacked << " sent, not yet acknowledged); "
        << stats.acked << " acknowledged\n";
    if (stats.relay_held > 0) {
      out << "            " << stats.relay_held
          << " of them held by the team's field relay, which forwards them to HQ\n";
    }
  }
  if (view.relayed.held > 0) {
    out << "Relay:      holding " << view.relayed.held << " teammates' record(s) as the team's "
        << "field relay; " << view.relayed.waiting << " not yet at HQ";
    if (view.relayed.refused > 0) out << ", " << view.relayed.refused << " refused by HQ";
    out << "\n";
  }
  if (!view.travelling.empty()) {
    out << "Files:      " << view.travelling.size() << " attached file(s) not yet all at HQ:\n";
    PrintAttachments(view.travelling, "              ", out);
  }
}

void PrintStatus(const AgentStore& store, const StatusView& view, std::ostream& out) {
  const LinkState& link = view.link;
  const AgentStore::DeliveryState& deliveries = view.deliveries;
  out << "Agent:      " << store.agent_id() << " (" << store.member_id() << ")\n"
      << "Link:       "
      << (link.refused ? "REFUSED by HQ: this agent was revoked or its key replaced; ask HQ "
                         "for a new bundle (the daemon asks again every 10 minutes)"
          : view.connected      ? "connected to HQ"
          : view.daemon_running ? "NOT connected (the daemon keeps trying)"
                                : "NOT connected (the daemon is not running)")
      << "\n"
      << "Last sync:  "
      << (link.last_sync_at ? FormatTimestamp(link.last_sync_at) + " (" +
                                  FormatAge(view.now - link.last_sync_at) + " ago)"
                            : std::string("never"))
      << "\n";
  out << "Clock:      ";
  if (view.clock) {
    out << DescribeSkew(view.clock->offset_ms) << " against HQ (within "
        << (view.clock->rtt_ms + 1) / 2 << " ms, measured "
        << FormatAge(view.now - view.clock->measured_at) << " ago)";
    if (std::llabs(view.clock->offset_ms) >= 60'000) {
      out << "; due times are counted in HQ's time: set this laptop's clock";
    }
  } else {
    out << "not measured yet (it is, at the first contact with HQ)";
  }
  out << "\n";
  PrintOutbox(view, out);
  if (view.behind) {
    out << "Your view:  NOT up to date — HQ had " << deliveries.hq_head
        << " update(s) for this laptop, " << deliveries.applied
        << " applied; tasks and team may have changed (sync when a link exists)\n";
  }
  if (deliveries.restarted_at > 0) {
    out << "Your view:  rebuilt from HQ's copy at " << FormatTimestamp(deliveries.restarted_at)
        << " (both sides had been restored from backups)\n";
  }
  if (view.stats.refused > 0) {
    out << "Refused:    " << view.stats.refused
        << " record(s) HQ holds but refused; see: muster-agent log\n";
  }
  for (const auto& notice : view.refused) {
    out << "Playbook:   REFUSED " << notice.id << " " << notice.version << " at "
        << FormatTimestamp(notice.at) << ": " << notice.reason
        << "; its tasks cannot be worked here: tell HQ\n";
  }
  for (const auto& holding : view.watchlists) {
    if (holding.withheld > 0 && holding.held == 0) {
      out << "Watchlist:  NOT KEPT for " << holding.incident << " (" << holding.withheld
          << " entries): this laptop's store is not sealed, so persons are checked only at HQ; "
             "set a passphrase: muster-agent unlock --set-passphrase\n";
    } else if (holding.held > 0) {
      out << "Watchlist:  " << holding.held << " entries for " << holding.incident
          << ", checked offline when you record a person\n";
    }
  }
  if (!link.last_error.empty()) out << "Last error: " << link.last_error << "\n";
}

}  // namespace

Status ShowStatus(AgentStore& store, const Clock& clock, bool as_json, std::ostream& out) {
  auto view = ReadStatus(store, clock);
  if (!view.ok()) return view.status();
  if (as_json) {
    out << StatusJson(store, *view).dump(2) << "\n";
  } else {
    PrintStatus(store, *view, out);
  }
  return Status::Ok();
}

Status ShowLog(AgentStore& store, const std::string& id, bool as_json, std::ostream& out) {
  std::string task_id;
  if (!id.empty()) {
    auto task = store.FindTask(id);
    if (!task.ok()) return task.status();
    task_id = task->id;
  }
  auto records = store.outbox().Records(task_id);
  if (!records.ok()) return records.status();
  auto files = store.outbox().Attachments(task_id);
  if (!files.ok()) return files.status();
  if (as_json) {
    json attached = json::array();
    for (const auto& file : *files) attached.push_back(AttachmentJson(file));
    json list = json::array();
    for (const auto& record : *records) {
      list.push_back({{"seq", record.seq},
                      {"kind", record.kind},
                      {"task", record.task},
                      {"body", record.body},
                      {"recorded_at", record.created_at},
                      {"sent_at", record.sent_at ? json(*record.sent_at) : json()},
                      {"acked_at", record.acked_at ? json(*record.acked_at) : json()},
                      {"refusal", record.refusal}});
    }
    out << json{{"records", list}, {"attachments", attached}}.dump(2) << "\n";
    return Status::Ok();
  }
  for (const auto& record : *records) {
    out << "#" << record.seq << " " << FormatTimestamp(record.created_at) << " " << std::left
        << std::setw(8) << record.kind << " " << record.task << " " << record.body.dump()
        << "\n     " << Receipt(record) << "\n";
  }
  if (!files->empty()) {
    out << "Attached files:\n";
    PrintAttachments(*files, "  ", out);
  }
  return Status::Ok();
}

}  // namespace muster::agent
