// Steps, their findings, and steps taken from libraries (`use:`).
#include <algorithm>

#include "loader.h"
#include "muster/clock.h"
#include "muster/playbook/fields.h"
#include "suggest.h"

namespace muster::playbook {
namespace {

const std::vector<std::string> kStepKeys = {"id",           "title",      "phase",     "role",
                                            "instructions", "depends_on", "checklist", "due_in",
                                            "priority",     "on_trigger", "every",     "times",
                                            "escalate",     "completion", "marking",   "findings"};
const std::vector<std::string> kCompletions = {"all", "any"};
const std::vector<std::string> kEscalateKeys = {"when", "after", "then"};
const std::vector<std::string> kEscalateWhen = {"overdue", "blocked"};
// The shortest period of a recurring step: each occurrence is a task that travels to the
// member's laptop, and a 2.4 kbit/s link carries a task snapshot in about a second.
constexpr Millis kMinimumEvery = 60 * 1000;
constexpr int kMaximumTimes = 1000;
// A library step must not have a phase; the key is accepted here so that the loader
// can say why rather than only that the key is unknown.
const std::vector<std::string> kLibraryStepKeys = kStepKeys;
const std::vector<std::string> kUseKeys = {"use",        "id",     "phase",   "role",
                                           "depends_on", "due_in", "priority"};
const std::vector<std::string> kFieldKeys = {"id",  "label", "type",    "required", "unit",
                                             "min", "max",   "options", "pattern",  "report"};
// In the order of ReportRole after kNone.
const std::vector<std::string> kReportRoles = {"material", "quantity",    "origin",
                                               "transit",  "destination", "method"};
const std::vector<std::string> kFieldTypes = {"number",    "text",       "enum",
                                              "boolean",   "time",       "geolocation",
                                              "sample_id", "attachment", "person"};
const std::vector<std::string> kPriorities = {"low", "normal", "high", "critical"};
constexpr std::size_t kMaxPatternBytes = 200;

// Which keys apply to which field types, for "does not apply" errors.
bool KeyApplies(const std::string& key, FieldType type) {
  if (key == "unit" || key == "min" || key == "max") return type == FieldType::kNumber;
  if (key == "options") return type == FieldType::kEnum;
  if (key == "pattern") return type == FieldType::kSampleId;
  if (key == "report") {
    return type == FieldType::kNumber || type == FieldType::kText || type == FieldType::kEnum;
  }
  return true;
}

}  // namespace

std::string LocalStepId(const std::vector<Entry>& entries, const std::string& library_step) {
  for (const Entry& e : entries) {
    if (e.key == "id" && e.value.IsScalar()) return e.value.Scalar();
  }
  return library_step;
}

std::int64_t ParseShortDuration(const std::string& text) {
  return text.size() <= 16 ? ParseDuration(text) : -1;
}

void Loader::ReadSteps(const Entry& entry, NodeReader& reader) {
  if (!reader.IsList(entry, "the playbook")) return;
  if (entry.value.size() == 0) {
    reporter_.Error(reader.At(entry.key_node), "the playbook has no steps",
                    "add at least one step under steps:");
  }
  for (const YAML::Node& node : entry.value) {
    if (node.IsMap() && node["use"]) {
      ReadUse(node, reader);
      continue;
    }
    if (auto step = ReadStep(node, reader, false)) draft_.steps.push_back(std::move(*step));
  }
  ResolveLibraryDepends();
}

std::optional<StepDraft> Loader::ReadStep(const YAML::Node& node, NodeReader& reader,
                                          bool in_library) {
  std::string what = "a step";
  if (node.IsMap() && node["id"] && node["id"].IsScalar()) {
    what = Named("step", node["id"].Scalar());
  }
  const auto entries = in_library
                           ? reader.Keys(node, what, kLibraryStepKeys, {"id", "title", "role"})
                           : reader.Keys(node, what, kStepKeys, {"id", "title", "phase", "role"});
  if (!entries) return std::nullopt;
  StepDraft draft;
  draft.at = reader.At(node);
  draft.step.pos = draft.at.pos;
  // The id first, so that messages about the other keys can name the step. (Entries are
  // not reordered in place: assigning a YAML::Node rewrites the node it refers to.)
  for (const Entry& e : *entries) {
    if (e.key == "id") ReadStepKey(e, draft, reader);
  }
  for (const Entry& e : *entries) {
    if (e.key != "id") ReadStepKey(e, draft, reader);
  }
  const auto phase = std::find_if(entries->begin(), entries->end(),
                                  [](const Entry& e) { return e.key == "phase"; });
  CheckScheduling(*entries, draft, reader);
  if (in_library && phase != entries->end()) {
    reporter_.Error(reader.At(phase->key_node), "library steps have no phase",
                    "remove it; the playbook that uses the step gives its phase");
  }
  return draft;
}

void Loader::ReadStepKey(const Entry& e, StepDraft& draft, NodeReader& reader) {
  Step& step = draft.step;
  const std::string what = Named("step", step.id);
  if (e.key == "id" && CheckId(e, what, reader)) step.id = reader.Text(e, what).value_or("");
  if (e.key == "title") step.title = reader.Text(e, what).value_or("");
  if (e.key == "instructions") step.instructions = reader.Text(e, what).value_or("");
  if (e.key == "checklist") step.checklist = reader.TextList(e, what);
  if (e.key == "on_trigger") step.on_trigger = reader.Bool(e, what).value_or(false);
  if (e.key == "role") {
    step.role = reader.Text(e, what).value_or("");
    draft.role_at = reader.At(e.value);
  }
  if (e.key == "phase") {
    step.phase = reader.Text(e, what).value_or("");
    draft.phase_at = reader.At(e.value);
  }
  if (e.key == "depends_on") step.depends_on = reader.TextList(e, what, &draft.depends_at);
  if (e.key == "priority") {
    const auto priority = reader.OneOf(e, what, kPriorities);
    if (priority) {
      step.priority = static_cast<Priority>(
          std::find(kPriorities.begin(), kPriorities.end(), *priority) - kPriorities.begin());
    }
  }
  if (e.key == "due_in") {
    const auto text = reader.Text(e, what);
    const Millis due = text ? ParseShortDuration(*text) : -1;
    if (text && due <= 0) {
      reporter_.Error(
          reader.At(e.value),
          "due_in " + Quote(*text) + " of " + what + (due == 0 ? " is zero" : " is not a duration"),
          due == 0 ? "remove due_in when the step has no due time"
                   : "write e.g. 90s, 30m, 2h, 1d or 1h30m");
    }
    step.due_in_ms = std::max<Millis>(due, 0);
  }
  if (e.key == "findings") ReadFindings(e, draft, reader);
  if (e.key == "every" || e.key == "times") ReadRecurrence(e, draft, reader);
  if (e.key == "escalate") ReadEscalations(e, draft, reader);
  if (e.key == "marking") {
    step.marking = ReadMarking(e, what, reader);
    draft.marking_at = reader.At(e.value);
  }
  if (e.key == "completion") {
    const auto completion = reader.OneOf(e, what, kCompletions);
    if (completion) step.completion = *completion == "any" ? Completion::kAny : Completion::kAll;
  }
}

void Loader::ReadRecurrence(const Entry& e, StepDraft& draft, NodeReader& reader) {
  const std::string what = Named("step", draft.step.id);
  if (e.key == "times") {
    const auto times = reader.Number(e, what);
    if (times && (*times < 1 || *times > kMaximumTimes || *times != static_cast<int>(*times))) {
      reporter_.Error(
          reader.At(e.value),
          "times of " + what + " must be a whole number from 1 to " + std::to_string(kMaximumTimes),
          "write how many occurrences the step has, e.g. 'times: 8'");
    }
    if (times) draft.step.times = static_cast<int>(std::clamp<double>(*times, 0, kMaximumTimes));
    return;
  }
  const auto text = reader.Text(e, what);
  const Millis every = text ? ParseShortDuration(*text) : -1;
  if (text && every < kMinimumEvery) {
    reporter_.Error(reader.At(e.value),
                    "every " + Quote(*text) + " of " + what +
                        (every < 0 ? " is not a duration" : " is shorter than one minute"),
                    every < 0 ? "write e.g. 30m, 1h or 2h30m" : "write 1m or longer");
  }
  draft.step.every_ms = std::max<Millis>(every, 0);
}

void Loader::ReadEscalations(const Entry& entry, StepDraft& draft, NodeReader& reader) {
  const std::string what = Named("step", draft.step.id);
  if (!reader.IsList(entry, what)) return;
  for (const YAML::Node& node : entry.value) {
    const std::string escalation_what = "an escalation of " + what;
    const auto entries = reader.Keys(node, escalation_what, kEscalateKeys, {"when", "then"});
    if (!entries) continue;
    Escalation escalation;
    escalation.pos = reader.At(node).pos;
    std::vector<Where> action_at;
    for (const Entry& e : *entries) {
      if (e.key == "when") {
        const auto when = reader.OneOf(e, escalation_what, kEscalateWhen);
        if (when)
          escalation.when = *when == "overdue" ? EscalateWhen::kOverdue : EscalateWhen::kBlocked;
      }
      if (e.key == "after") {
        const auto text = reader.Text(e, escalation_what);
        const Millis after = text ? ParseShortDuration(*text) : -1;
        if (text && after < 0) {
          reporter_.Error(reader.At(e.value), "after " + Quote(*text) + " is not a duration",
                          "write e.g. 15m or 1h; leave it out to escalate at the due time");
        }
        escalation.after_ms = std::max<Millis>(after, 0);
      }
      if (e.key == "then") {
        ReadActions(e, escalation_what, false, escalation.then, action_at, reader);
      }
    }
    const Entry* after = FindEntry(*entries, "after");
    if (after != nullptr && escalation.when != EscalateWhen::kOverdue) {
      reporter_.Error(reader.At(after->key_node), "'after' applies to 'when: overdue' only",
                      "a blocked task escalates when its member reports it blocked; remove it");
    }
    draft.step.escalate.push_back(std::move(escalation));
    draft.escalate_action_at.push_back(std::move(action_at));
  }
}

// A step that escalates when overdue has a due time, and `times` counts a recurring step.
void Loader::CheckScheduling(const std::vector<Entry>& entries, const StepDraft& draft,
                             NodeReader& reader) {
  const Step& step = draft.step;
  const std::string what = Named("step", step.id);
  const Entry* times = FindEntry(entries, "times");
  if (times != nullptr && step.every_ms == 0) {
    reporter_.Error(reader.At(times->key_node), "'times' applies to recurring steps only",
                    "add 'every: 30m' (for example) to " + what + ", or remove times");
  }
  for (const Escalation& escalation : step.escalate) {
    if (escalation.when == EscalateWhen::kOverdue && step.due_in_ms == 0 && step.every_ms == 0) {
      reporter_.Error({draft.at.file, escalation.pos},
                      what + " escalates when overdue, but has no due time",
                      "add 'due_in: 30m' (for example) to the step");
    }
  }
}

void Loader::ReadFindings(const Entry& entry, StepDraft& draft, NodeReader& reader) {
  const std::string what = Named("step", draft.step.id);
  if (!reader.IsList(entry, what)) return;
  for (const YAML::Node& node : entry.value) {
    auto field = ReadField(node, what, reader);
    if (!field) continue;
    const auto same = [&](const FieldSpec& f) { return !f.id.empty() && f.id == field->id; };
    const auto first = std::find_if(draft.step.findings.begin(), draft.step.findings.end(), same);
    if (first != draft.step.findings.end()) {
      reporter_.Error(reader.At(node), what + " has two findings with id " + Quote(field->id),
                      "rename one; the first is at line " + std::to_string(first->pos.line));
      continue;
    }
    draft.step.findings.push_back(std::move(*field));
  }
  CheckReportRoles(draft, what);
}

void Loader::CheckReportRoles(const StepDraft& draft, const std::string& what) {
  const Step& step = draft.step;
  const FieldSpec* material = nullptr;
  for (const FieldSpec& field : step.findings) {
    if (field.report == ReportRole::kMaterial) material = &field;
  }
  for (auto field = step.findings.begin(); field != step.findings.end(); ++field) {
    if (field->report == ReportRole::kNone) continue;
    const Where at{draft.at.file, field->pos};
    const std::string role = ToString(field->report);
    const auto same = std::find_if(step.findings.begin(), field,
                                   [&](const FieldSpec& f) { return f.report == field->report; });
    if (same != field) {
      reporter_.Error(at,
                      what + " has two findings with report: " + role + " (" + Quote(same->id) +
                          " and " + Quote(field->id) + ")",
                      field->report == ReportRole::kTransit
                          ? "keep one; one transit field takes several countries, separated by "
                            "commas"
                          : "keep one");
    }
    const bool number = field->type == FieldType::kNumber;
    if ((field->report == ReportRole::kQuantity) != number) {
      reporter_.Error(at,
                      "finding " + Quote(field->id) + " of " + what + " is " +
                          ToString(field->type) + ", which cannot be report: " + role,
                      number ? "a number field can only be report: quantity"
                             : "report: quantity needs a number field with a unit");
    }
    if (field->report == ReportRole::kQuantity && number && field->unit.empty()) {
      reporter_.Error(
          at, "finding " + Quote(field->id) + " of " + what + " is a quantity without a unit",
          "add e.g. 'unit: g'; write 'unit: count' for items");
    }
    if (field->report == ReportRole::kQuantity && number && material == nullptr) {
      reporter_.Error(
          at, "finding " + Quote(field->id) + " of " + what + " is a quantity of no material",
          "add a finding with report: material to the step");
    }
  }
}

std::optional<FieldSpec> Loader::ReadField(const YAML::Node& node, const std::string& step_what,
                                           NodeReader& reader) {
  const std::string what = "a finding of " + step_what;
  const auto entries = reader.Keys(node, what, kFieldKeys, {"id", "type"});
  if (!entries) return std::nullopt;
  FieldSpec field;
  field.pos = reader.At(node).pos;
  bool typed = false;
  for (const Entry& e : *entries) {
    if (e.key == "id" && CheckId(e, what, reader)) field.id = reader.Text(e, what).value_or("");
    if (e.key == "label") field.label = reader.Text(e, what).value_or("");
    if (e.key == "required") field.required = reader.Bool(e, what).value_or(false);
    if (e.key == "unit") field.unit = reader.Text(e, what).value_or("");
    if (e.key == "min") field.min = reader.Number(e, what);
    if (e.key == "max") field.max = reader.Number(e, what);
    if (e.key == "options") field.options = reader.TextList(e, what);
    if (e.key == "pattern") field.pattern = reader.Text(e, what).value_or("");
    if (e.key == "report") {
      if (const auto role = reader.OneOf(e, what, kReportRoles)) {
        field.report = static_cast<ReportRole>(
            1 +
            (std::find(kReportRoles.begin(), kReportRoles.end(), *role) - kReportRoles.begin()));
      }
    }
    if (e.key == "type") {
      const auto type = reader.OneOf(e, what, kFieldTypes);
      if (type) {
        typed = true;
        field.type = static_cast<FieldType>(
            std::find(kFieldTypes.begin(), kFieldTypes.end(), *type) - kFieldTypes.begin());
      }
    }
  }
  if (field.label.empty()) field.label = field.id;
  if (typed) CheckFieldKinds(field, *entries, "finding " + Quote(field.id), reader);
  return field;
}

void Loader::CheckFieldKinds(const FieldSpec& field, const std::vector<Entry>& entries,
                             const std::string& what, NodeReader& reader) {
  const Where at{reader.file(), field.pos};
  for (const Entry& e : entries) {
    if (KeyApplies(e.key, field.type)) continue;
    reporter_.Error(
        reader.At(e.key_node),
        Quote(e.key) + " does not apply to " + what + ", which is " + ToString(field.type),
        "remove it, or change the type");
  }
  if (field.type == FieldType::kNumber && field.unit.empty()) {
    reporter_.Warning(at, "number " + what + " has no unit",
                      "add e.g. 'unit: µSv/h'; write 'unit: count' for plain counts");
  }
  for (const Entry& e : entries) {
    if (e.key == "unit" && field.type == FieldType::kNumber) CheckUnit(e, field.unit, what, reader);
  }
  if (field.min && field.max && *field.min > *field.max) {
    const Entry* max = &*std::find_if(entries.begin(), entries.end(),
                                      [](const Entry& e) { return e.key == "max"; });
    reporter_.Error(reader.At(max->value), "min of " + what + " is greater than its max",
                    "swap them, or correct the range");
  }
  if (field.type == FieldType::kEnum) {
    if (field.options.empty()) {
      reporter_.Error(at, "enum " + what + " has no options", "add e.g. options: [yes, no]");
    }
    for (std::size_t i = 0; i < field.options.size(); ++i) {
      if (std::find(field.options.begin(), field.options.begin() + i, field.options[i]) !=
          field.options.begin() + i) {
        reporter_.Error(at,
                        "option " + Quote(field.options[i]) + " of " + what + " is listed twice",
                        "remove one");
      }
    }
  }
  if (field.type == FieldType::kSampleId && !field.pattern.empty()) {
    const Entry& e = *std::find_if(entries.begin(), entries.end(),
                                   [](const Entry& x) { return x.key == "pattern"; });
    std::string problem;
    if (field.pattern.size() > kMaxPatternBytes) {
      problem = "is longer than " + std::to_string(kMaxPatternBytes) + " bytes";
    } else if (std::optional<std::string> refused = PatternProblem(field.pattern)) {
      problem = "is not a regular expression RE2 can use (" + *refused + ")";
    }
    if (!problem.empty()) {
      reporter_.Error(reader.At(e.value), "pattern of " + what + " " + problem,
                      "write an RE2 regular expression without backreferences or lookaround, "
                      "e.g. '^RN-[0-9]{4}$'");
    }
  }
}

void Loader::ReadUse(const YAML::Node& node, NodeReader& reader) {
  const std::string name = node["use"].IsScalar() ? node["use"].Scalar() : "";
  const std::string what = "use of " + Quote(name);
  const auto entries = reader.Keys(node, what, kUseKeys, {"use", "phase"});
  if (!entries) return;
  const Entry& use = *std::find_if(entries->begin(), entries->end(),
                                   [](const Entry& e) { return e.key == "use"; });
  const std::size_t dot = name.find('.');
  const std::string alias = name.substr(0, dot == std::string::npos ? 0 : dot);
  const std::string step_id = dot == std::string::npos ? "" : name.substr(dot + 1);
  const Library* library = nullptr;
  const StepDraft* found = FindLibraryStep(alias, step_id, use, reader, &library);
  if (found == nullptr) {
    failed_uses_.insert(LocalStepId(*entries, step_id));
    return;
  }
  StepDraft draft = *found;
  UseDraft use_draft{draft_.steps.size(), library, step_id, draft.step.depends_on,
                     draft.depends_at};
  draft.step.depends_on.clear();
  draft.depends_at.clear();
  draft.step.from_library = library->path;
  draft.at = reader.At(node);
  const auto mapped = library->role_map.find(draft.step.role);
  draft.role_at =
      mapped != library->role_map.end() ? library->role_map_at.at(mapped->first) : library->at;
  // An unmapped role is reported below unless the use names a role itself.
  draft.step.role = mapped != library->role_map.end() ? mapped->second : "";
  for (const Entry& e : *entries) {
    if (e.key != "use") ReadStepKey(e, draft, reader);
  }
  if (draft.step.role.empty()) {
    reporter_.Error(
        reader.At(node),
        what + " has no role: library role " + Quote(found->step.role) + " is not mapped",
        "add 'roles: {" + found->step.role + ": ROLE}' to the include of " + Quote(alias) +
            ", or 'role: ROLE' here");
  }
  uses_.push_back(std::move(use_draft));
  draft_.steps.push_back(std::move(draft));
}

// The library step a `use:` names, or null after reporting why there is none (nothing is
// reported for a library whose own errors are already reported).
const StepDraft* Loader::FindLibraryStep(const std::string& alias, const std::string& step_id,
                                         const Entry& use, NodeReader& reader,
                                         const Library** library) {
  const auto by_alias = [&](const auto& l) { return l->alias == alias; };
  const auto it = std::find_if(libraries_.begin(), libraries_.end(), by_alias);
  if (it == libraries_.end()) {
    std::vector<std::string> aliases;
    for (const auto& l : libraries_) aliases.push_back(l->alias);
    reporter_.Error(reader.At(use.value), "no included library is called " + Quote(alias),
                    aliases.empty()
                        ? "include it first: include: [{file: lib/NAME.yaml, as: " +
                              (alias.empty() ? std::string("NAME") : alias) + "}]"
                        : "write LIBRARY.STEP; " + SuggestHint(alias, aliases, "libraries are"));
    return nullptr;
  }
  *library = it->get();
  if (!(*library)->ok) return nullptr;
  const auto& steps = (*library)->steps;
  const auto found = std::find_if(steps.begin(), steps.end(),
                                  [&](const StepDraft& s) { return s.step.id == step_id; });
  if (found != steps.end()) return &*found;
  std::vector<std::string> ids;
  for (const StepDraft& s : steps) ids.push_back(s.step.id);
  reporter_.Error(reader.At(use.value),
                  "library " + Quote(alias) + " has no step " + Quote(step_id),
                  SuggestHint(step_id, ids, "its steps are"));
  return nullptr;
}

// A library step's dependencies name library steps; each becomes the playbook step that
// uses that library step (the first, if several do).
void Loader::ResolveLibraryDepends() {
  for (const UseDraft& use : uses_) {
    StepDraft& draft = draft_.steps[use.step_index];
    std::size_t resolved = 0;  // library dependencies come first, in library order
    for (std::size_t i = 0; i < use.library_depends.size(); ++i) {
      const std::string& wanted = use.library_depends[i];
      const auto same = [&](const UseDraft& u) {
        return u.library == use.library && u.library_step == wanted;
      };
      const auto target = std::find_if(uses_.begin(), uses_.end(), same);
      if (target == uses_.end()) {
        reporter_.Error(draft.at,
                        Named("step", draft.step.id) + " from library " +
                            Quote(use.library->alias) + " depends on its step " + Quote(wanted) +
                            ", which this playbook does not use",
                        "add '- use: " + use.library->alias + "." + wanted + "' to steps");
        continue;
      }
      draft.step.depends_on.insert(draft.step.depends_on.begin() + resolved,
                                   draft_.steps[target->step_index].step.id);
      draft.depends_at.insert(draft.depends_at.begin() + resolved, use.library_depends_at[i]);
      ++resolved;
    }
  }
}

}  // namespace muster::playbook
