#include "muster/playbook/load.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "loader.h"
#include "muster/digest.h"
#include "muster/playbook/units.h"
#include "muster/playbook/validity.h"
#include "suggest.h"
#include "yaml_guard.h"

namespace muster::playbook {
namespace {

const std::vector<std::string> kTopKeys = {"id",      "version", "title", "hazards",
                                           "summary", "authors", "roles", "parameters",
                                           "phases",  "include", "steps", "triggers",
                                           "valid_from", "valid_until", "marking"};
const std::vector<std::string> kTopRequired = {"id",    "version", "title", "hazards",
                                               "roles", "phases",  "steps"};
const std::vector<std::string> kHazards = {"chemical", "biological", "radiological", "nuclear",
                                           "explosive"};
const std::vector<std::string> kParamTypes = {"string", "number", "boolean", "duration"};
const std::vector<std::string> kSeverities = {"info", "warning", "critical"};

// Records where documents start, and nothing else.
class DocumentProbe : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  std::vector<YAML::Mark> starts;
};

}  // namespace

bool IsSemver(const std::string& version) {
  if (version.size() > 128) return false;
  static const std::regex kSemver(
      R"(^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*))"
      R"((-(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?)"
      R"((\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$)");
  return std::regex_match(version, kSemver);
}


bool IsPlaybookId(std::string_view id) {
  if (id.empty() || id.size() > 64 || id.front() == '-' || id.back() == '-') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

Result<std::string> ReadLimited(const std::string& path, std::size_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::Error(ErrorCode::kIsDirectory, "is a folder, not a file");
  }
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::Error(ErrorCode::kUnreadable, "cannot read: " + ec.message());
  if (size > max_bytes) {
    return Status::Error(
        ErrorCode::kTooLarge,
        "is " + std::to_string(size) + " bytes; the limit is " + std::to_string(max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(ErrorCode::kUnreadable, "cannot open the file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool IsIdentifier(std::string_view id) {
  if (id.empty() || id.size() > 64 || id.front() < 'a' || id.front() > 'z') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string Diagnostic::ToString() const {
  std::string out = file;
  if (pos.line > 0) out += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
  out += severity == Severity::kError ? ": error: " : ": warning: ";
  out += message;
  if (!hint.empty()) out += "\n  hint: " + hint;
  return out;
}

std::vector<Diagnostic> Reporter::Take() {
  std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     if (a.file != b.file) return a.file < b.file;
                     if (a.pos.line != b.pos.line) return a.pos.line < b.pos.line;
                     return a.pos.column < b.pos.column;
                   });
  return std::move(diagnostics_);
}

Loader::Loader(std::string file, const LoadOptions& options)
    : file_(std::move(file)), options_(options) {
  draft_.file = file_;
}

// The size and encoding checks every text passes before anything parses it.
bool Loader::CheckText(std::string_view text) {
  if (text.size() > options_.limits.max_bytes) {
    reporter_.Error({file_, {1, 1}},
                    "the file is " + std::to_string(text.size()) + " bytes; the limit is " +
                        std::to_string(options_.limits.max_bytes),
                    "a playbook is a few kilobytes; split very long instructions or attach "
                    "documents");
    return false;
  }
  if (const auto bad = CheckEncoding(text)) {
    reporter_.Error({file_, bad->pos}, bad->message, bad->hint);
    return false;
  }
  return true;
}

LoadResult Loader::Run(std::string_view text) {
  LoadResult result;
  const Where top{file_, {1, 1}};
  if (CheckText(text)) {
    split_ = Split(text);
    NodeReader reader(file_, split_.playbook, reporter_);
    if (const auto root = ParseDocument(split_.playbook, reader)) ReadPlaybook(*root, reader);
  }
  if (!reporter_.has_errors()) {
    draft_.playbook.source = BuildSource(split_.playbook);
    draft_.playbook.content_hash = Sha256Hex(draft_.playbook.source);
    if (draft_.playbook.source.size() > options_.limits.max_bytes) {
      reporter_.Error(top,
                      "the playbook with its libraries is " +
                          std::to_string(draft_.playbook.source.size()) + " bytes; the limit is " +
                          std::to_string(options_.limits.max_bytes),
                      "include fewer or smaller libraries");
    }
  }
  if (!reporter_.has_errors()) result.playbook = std::move(draft_.playbook);
  result.diagnostics = reporter_.Take();
  return result;
}

namespace {

// What a library checked on its own offers: its declarations and its steps.
StepLibrary LibraryModel(const Library& library) {
  StepLibrary model = library.model;
  for (const StepDraft& draft : library.steps) model.steps.push_back(draft.step);
  return model;
}

}  // namespace

LoadResult Loader::RunLibrary(std::string_view text) {
  LoadResult result;
  result.is_library = true;
  if (CheckText(text)) {
    Library library;
    library.path = file_;
    library.file = file_;
    library.text = std::string(text);
    ReadLibrary(library);
    if (library.ok) result.library = LibraryModel(library);
  }
  result.diagnostics = reporter_.Take();
  return result;
}

std::optional<YAML::Node> Loader::ParseDocument(std::string_view text, NodeReader& reader) {
  if (const auto deep = CheckDepth(text, options_.limits.max_depth)) {
    reporter_.Error({reader.file(), deep->pos}, deep->message, deep->hint);
    return std::nullopt;
  }
  const std::string owned(text);
  YAML::Node root;
  try {
    if (!CheckSingleDocument(owned, reader)) return std::nullopt;
    root = YAML::Load(owned);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own guard (2000 levels): the backstop for nesting the text estimate
    // did not see, for example nesting inside a construct the estimate took for text.
    reporter_.Error(
        {reader.file(), {e.mark.line + 1, e.mark.column + 1}},
        "the document nests deeper than " + std::to_string(options_.limits.max_depth) + " levels",
        "playbooks need a handful of levels; flatten the structure");
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    const Where where{reader.file(), {e.mark.line + 1, e.mark.column + 1}};
    reporter_.Error(where, "YAML syntax error: " + e.msg,
                    "check the indentation and quoting here; text containing ': ', ' #', "
                    "or starting with [ { * & ! | > needs quotes");
    return std::nullopt;
  }
  if (root.IsNull()) {
    reporter_.Error({reader.file(), {1, 1}}, "the file holds no YAML content",
                    "a playbook is a map starting with id:, version:, title:");
    return std::nullopt;
  }
  if (!CheckNodeBudget(root, options_.limits, reader, &nodes_used_)) return std::nullopt;
  return root;
}

// Asks yaml-cpp for at most two documents. YAML::LoadAll is not used: on some malformed
// streams yaml-cpp 0.7 returns empty documents forever without moving on.
bool Loader::CheckSingleDocument(const std::string& text, NodeReader& reader) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentProbe probe;
  if (parser.HandleNextDocument(probe)) parser.HandleNextDocument(probe);
  if (probe.starts.size() < 2) return true;
  const YAML::Mark& second = probe.starts[1];
  const Where where{reader.file(), {second.line + 1, second.column + 1}};
  if (second.pos == probe.starts[0].pos) {
    reporter_.Error(where, "YAML syntax error: the parser cannot read past this point",
                    "check the indentation and quoting here; text containing ': ', ' #', "
                    "or starting with [ { * & ! | > needs quotes");
  } else {
    reporter_.Error(where, "the file holds more than one YAML document",
                    "remove the '---' line; a file holds one playbook or one library");
  }
  return false;
}

void Loader::ReadPlaybook(const YAML::Node& root, NodeReader& reader) {
  const auto entries = reader.Keys(root, "the playbook", kTopKeys, kTopRequired);
  if (!entries) return;
  ReadMetadata(*entries, reader);
  if (const Entry* e = FindEntry(*entries, "marking")) {
    draft_.playbook.marking = ReadMarking(*e, "the playbook", reader);
  }
  // Order matters: includes map library roles onto roles, steps name phases and
  // include aliases, triggers are checked against steps.
  using Section = void (Loader::*)(const Entry&, NodeReader&);
  static constexpr std::pair<std::string_view, Section> kSections[] = {
      {"hazards", &Loader::ReadHazards},       {"roles", &Loader::ReadRoles},
      {"parameters", &Loader::ReadParameters}, {"phases", &Loader::ReadPhases},
      {"include", &Loader::ReadIncludes},      {"steps", &Loader::ReadSteps},
      {"triggers", &Loader::ReadTriggers}};
  for (const auto& [key, read] : kSections) {
    if (const Entry* entry = FindEntry(*entries, key)) (this->*read)(*entry, reader);
  }
  CheckUnusedEmbedded();
  Validate();
}

Marking Loader::ReadMarking(const Entry& entry, const std::string& what, NodeReader& reader) {
  const auto text = reader.Text(entry, what);
  if (!text) return {};
  std::string error;
  const auto marking = ParseMarking(*text, &error);
  if (!marking) {
    const std::size_t hint = error.find("; ");
    reporter_.Error(reader.At(entry.value), "the marking of " + what + ": " + error.substr(0, hint),
                    error.substr(hint + 2));
    return {};
  }
  return *marking;
}

void Loader::ReadMetadata(const std::vector<Entry>& entries, NodeReader& reader) {
  Playbook& p = draft_.playbook;
  const std::string what = "the playbook";
  if (const Entry* e = FindEntry(entries, "id")) {
    const auto id = reader.Text(*e, what);
    if (id && !IsPlaybookId(*id)) {
      reporter_.Error(reader.At(e->value), "playbook id " + Quote(*id) + " is not valid",
                      "use lowercase letters, digits and hyphens, e.g. "
                      "radioactive-material-border-seizure");
    }
    if (id) p.id = *id;
  }
  if (const Entry* e = FindEntry(entries, "version")) {
    const auto version = reader.Text(*e, what);
    if (version && !IsSemver(*version)) {
      reporter_.Error(reader.At(e->value),
                      "version " + Quote(*version) + " is not a semantic version",
                      "write MAJOR.MINOR.PATCH, e.g. 1.0.0 (quotes keep YAML from reading "
                      "1.0 as a number)");
    }
    if (version) p.version = *version;
  }
  if (const Entry* e = FindEntry(entries, "title")) p.title = reader.Text(*e, what).value_or("");
  if (const Entry* e = FindEntry(entries, "summary"))
    p.summary = reader.Text(*e, what).value_or("");
  if (const Entry* e = FindEntry(entries, "authors")) p.authors = reader.TextList(*e, what);
  // The window of validity (validity.h): each bound a date or a UTC time, in order.
  std::optional<std::int64_t> bounds[2];
  const std::pair<const char*, std::string*> keys[2] = {{"valid_from", &p.valid_from},
                                                        {"valid_until", &p.valid_until}};
  for (int i = 0; i < 2; ++i) {
    const Entry* e = FindEntry(entries, keys[i].first);
    if (e == nullptr) continue;
    *keys[i].second = reader.Text(*e, what).value_or("");
    bounds[i] = ParseValidityTime(*keys[i].second, i == 1);
    if (!bounds[i]) {
      reporter_.Error(reader.At(e->value),
                      std::string(keys[i].first) + " " + Quote(*keys[i].second) +
                          " is not a date or a UTC time",
                      "write YYYY-MM-DD (a whole day, UTC) or YYYY-MM-DDTHH:MM:SSZ");
    }
  }
  if (bounds[0] && bounds[1] && *bounds[0] > *bounds[1]) {
    reporter_.Error(reader.At(FindEntry(entries, "valid_until")->value),
                    "valid_until " + Quote(p.valid_until) + " is before valid_from " +
                        Quote(p.valid_from),
                    "the window would hold no day: correct one of the two dates");
  }
}

void Loader::ReadHazards(const Entry& entry, NodeReader& reader) {
  if (!reader.IsList(entry, "the playbook")) return;
  if (entry.value.size() == 0) {
    reporter_.Error(reader.At(entry.key_node), "the playbook names no hazard",
                    "list at least one of: " + JoinList(kHazards));
  }
  for (const YAML::Node& item : entry.value) {
    const Entry hazard{"hazards", entry.key_node, item};
    const auto name = reader.OneOf(hazard, "the playbook", kHazards);
    if (!name) continue;
    const auto kind =
        static_cast<Hazard>(std::find(kHazards.begin(), kHazards.end(), *name) - kHazards.begin());
    if (std::find(draft_.playbook.hazards.begin(), draft_.playbook.hazards.end(), kind) !=
        draft_.playbook.hazards.end()) {
      reporter_.Error(reader.At(item), "hazard " + Quote(*name) + " is listed twice", "remove one");
      continue;
    }
    draft_.playbook.hazards.push_back(kind);
  }
}

bool Loader::CheckId(const Entry& entry, const std::string& what, NodeReader& reader) {
  if (!entry.value.IsScalar() || IsIdentifier(entry.value.Scalar())) return true;
  reporter_.Error(reader.At(entry.value),
                  "id " + Quote(entry.value.Scalar()) + " of " + what + " is not valid",
                  "ids start with a lowercase letter, then lowercase letters, digits or '_' "
                  "(at most 64), e.g. measure_dose_rate");
  return false;
}

void Loader::ReadRoles(const Entry& entry, NodeReader& reader) {
  if (!reader.IsList(entry, "the playbook")) return;
  for (const YAML::Node& node : entry.value) {
    auto role = ReadRole(node, "a role",
                         {"id", "title", "count", "required", "qualifications", "when_empty"},
                         {"id", "title"}, reader);
    if (role) draft_.playbook.roles.push_back(std::move(*role));
  }
}

std::optional<Role> Loader::ReadRole(const YAML::Node& node, const std::string& what,
                                     const std::vector<std::string>& keys,
                                     const std::vector<std::string>& required, NodeReader& reader) {
  const auto entries = reader.Keys(node, what, keys, required);
  if (!entries) return std::nullopt;
  Role role;
  role.pos = reader.At(node).pos;
  for (const Entry& e : *entries) {
    if (e.key == "id" && CheckId(e, what, reader)) role.id = reader.Text(e, what).value_or("");
    if (e.key == "title") role.title = reader.Text(e, what).value_or("");
    if (e.key == "count") role.count = reader.Count(e, what).value_or(1);
    if (e.key == "required") role.required = reader.Bool(e, what).value_or(true);
    if (e.key == "qualifications") role.qualifications = reader.TextList(e, what);
    if (e.key == "when_empty") {
      const auto choice = reader.OneOf(e, what, {"skip", "wait"});
      if (choice) role.when_empty = *choice == "skip" ? WhenEmpty::kSkip : WhenEmpty::kWait;
    }
  }
  const Entry* when_empty = FindEntry(*entries, "when_empty");
  if (when_empty != nullptr && role.required) {
    reporter_.Error(reader.At(when_empty->key_node), "'when_empty' applies to optional roles only",
                    "remove it, or add 'required: false'");
  }
  return role;
}

void Loader::ReadParameters(const Entry& entry, NodeReader& reader) {
  if (!reader.IsList(entry, "the playbook")) return;
  for (const YAML::Node& node : entry.value) {
    const std::string what = "a parameter";
    const auto entries =
        reader.Keys(node, what, {"id", "type", "default", "description", "unit"}, {"id", "type"});
    if (!entries) continue;
    Parameter param;
    param.pos = reader.At(node).pos;
    const Entry* default_entry = nullptr;
    const Entry* unit_entry = nullptr;
    for (const Entry& e : *entries) {
      if (e.key == "unit") unit_entry = &e;
      if (e.key == "id" && CheckId(e, what, reader)) param.id = reader.Text(e, what).value_or("");
      if (e.key == "type") {
        const auto type = reader.OneOf(e, what, kParamTypes);
        if (type) {
          param.type = static_cast<ParamType>(
              std::find(kParamTypes.begin(), kParamTypes.end(), *type) - kParamTypes.begin());
        }
      }
      if (e.key == "default") default_entry = &e;
      if (e.key == "description") param.description = reader.Text(e, what).value_or("");
    }
    if (default_entry != nullptr) {
      const std::string param_what = "parameter " + Quote(param.id);
      if (param.type == ParamType::kNumber && reader.Number(*default_entry, param_what)) {
        param.default_value = default_entry->value.Scalar();
      } else if (param.type == ParamType::kBoolean && reader.Bool(*default_entry, param_what)) {
        param.default_value = default_entry->value.Scalar();
      } else if (param.type == ParamType::kDuration) {
        const auto text = reader.Text(*default_entry, param_what);
        if (text && ParseShortDuration(*text) < 0) {
          reporter_.Error(reader.At(default_entry->value),
                          "default " + Quote(*text) + " of " + param_what + " is not a duration",
                          "write e.g. 90s, 30m, 2h, 1d or 1h30m");
        } else if (text) {
          param.default_value = *text;
        }
      } else if (param.type == ParamType::kString) {
        param.default_value = reader.Text(*default_entry, param_what).value_or("");
      }
    }
    if (unit_entry != nullptr) ReadParameterUnit(*unit_entry, param, reader);
    draft_.playbook.parameters.push_back(std::move(param));
  }
}

void Loader::ReadParameterUnit(const Entry& entry, Parameter& param, NodeReader& reader) {
  const std::string what = "parameter " + Quote(param.id);
  if (param.type != ParamType::kNumber) {
    reporter_.Error(reader.At(entry.key_node),
                    "'unit' does not apply to " + what + ", which is " + ToString(param.type),
                    "remove it, or make the parameter a number");
    return;
  }
  param.unit = reader.Text(entry, what).value_or("");
  CheckUnit(entry, param.unit, what, reader);
}

void Loader::CheckUnit(const Entry& entry, const std::string& unit, const std::string& what,
                       NodeReader& reader) {
  if (unit.empty() || ParseUnit(unit)) return;
  reporter_.Warning(reader.At(entry.value),
                    "unknown unit " + Quote(unit) + " of " + what +
                        ": conditions cannot convert it or check its dimension",
                    UnitHint(unit));
}

void Loader::ReadPhases(const Entry& entry, NodeReader& reader) {
  if (!reader.IsList(entry, "the playbook")) return;
  for (const YAML::Node& node : entry.value) {
    const std::string what = "a phase";
    const auto entries = reader.Keys(node, what, {"id", "title"}, {"id", "title"});
    if (!entries) continue;
    Phase phase;
    phase.pos = reader.At(node).pos;
    for (const Entry& e : *entries) {
      if (e.key == "id" && CheckId(e, what, reader)) phase.id = reader.Text(e, what).value_or("");
      if (e.key == "title") phase.title = reader.Text(e, what).value_or("");
    }
    draft_.playbook.phases.push_back(std::move(phase));
  }
}

void Loader::ReadTriggers(const Entry& entry, NodeReader& reader) {
  if (!reader.IsList(entry, "the playbook")) return;
  for (const YAML::Node& node : entry.value) {
    const std::string what = "a trigger";
    const auto entries =
        reader.Keys(node, what, {"id", "when", "then", "else"}, {"id", "when", "then"});
    if (!entries) continue;
    TriggerDraft draft;
    draft.at = reader.At(node);
    draft.trigger.pos = draft.at.pos;
    for (const Entry& e : *entries) {
      if (e.key == "id" && CheckId(e, what, reader)) {
        draft.trigger.id = reader.Text(e, what).value_or("");
      }
      if (e.key == "when") {
        const auto when = reader.Text(e, what);
        if (when) {
          draft.trigger.when = *when;
          draft.when_at = reader.ScalarStart(e.value, &draft.when_is_plain_line);
        }
      }
      if (e.key == "then") {
        ReadActions(e, Named("trigger", draft.trigger.id), true, draft.trigger.then,
                    draft.action_at, reader);
      }
      if (e.key == "else") {
        ReadActions(e, "the else of " + Named("trigger", draft.trigger.id), true,
                    draft.trigger.otherwise, draft.else_at, reader);
      }
    }
    draft_.triggers.push_back(std::move(draft));
  }
}

void Loader::ReadActions(const Entry& entry, const std::string& what, bool stand_down_allowed,
                         std::vector<TriggerAction>& actions, std::vector<Where>& at,
                         NodeReader& reader) {
  if (!reader.IsList(entry, what)) return;
  if (entry.value.size() == 0) {
    reporter_.Error(reader.At(entry.key_node), what + " has no actions",
                    "add e.g. '- alert: ...' or '- activate: STEP'");
  }
  const std::string kinds_allowed =
      stand_down_allowed ? "activate, alert, notify, stand_down" : "activate, alert, notify";
  for (const YAML::Node& node : entry.value) {
    const std::string action_what = "an action of " + what;
    const auto entries = reader.Keys(
        node, action_what,
        {"activate", "alert", "notify", "stand_down", "severity", "reason", "to"}, {});
    if (!entries) continue;
    TriggerAction action;
    int kinds = 0;
    for (const Entry& e : *entries) {
      if (e.key == "activate" || e.key == "alert" || e.key == "notify" || e.key == "stand_down") {
        ++kinds;
        const std::string value = reader.Text(e, action_what).value_or("");
        action.kind = e.key == "activate"     ? ActionKind::kActivate
                      : e.key == "alert"      ? ActionKind::kAlert
                      : e.key == "stand_down" ? ActionKind::kStandDown
                                              : ActionKind::kNotify;
        (action.kind == ActionKind::kActivate    ? action.step
         : action.kind == ActionKind::kStandDown ? action.phase
                                                 : action.message) = value;
      }
      if (e.key == "severity")
        action.severity = reader.OneOf(e, action_what, kSeverities).value_or("");
      if (e.key == "reason") action.message = reader.Text(e, action_what).value_or("");
      if (e.key == "to") action.role = reader.Text(e, action_what).value_or("");
    }
    if (kinds != 1) {
      reporter_.Error(reader.At(node),
                      action_what + " must have exactly one of " + kinds_allowed,
                      "write one action per list item, e.g. '- activate: expand_cordon'");
      continue;
    }
    const auto misplaced = [&](const char* key, ActionKind kind, const std::string& message,
                               const std::string& hint) {
      const Entry* found = FindEntry(*entries, key);
      if (found != nullptr && action.kind != kind) {
        reporter_.Error(reader.At(found->key_node), message, hint);
      }
    };
    misplaced("severity", ActionKind::kAlert, "'severity' applies to alerts only",
              "remove it, or make this an alert");
    misplaced("reason", ActionKind::kStandDown, "'reason' applies to stand_down only",
              "remove it, or make this a stand_down");
    misplaced("to", ActionKind::kNotify, "'to' applies to notify only",
              "remove it, or make this a notify");
    if (action.kind == ActionKind::kStandDown) {
      if (!stand_down_allowed) {
        reporter_.Error(reader.At(node), "an escalation cannot stand down",
                        "escalate with alert, activate or notify; stand down from a trigger");
        continue;
      }
      CheckStandDown(*entries, action, action_what, reader);
    }
    if (action.kind == ActionKind::kAlert && action.severity.empty()) action.severity = "warning";
    actions.push_back(std::move(action));
    at.push_back(reader.At(node));
  }
}

// A stand-down names the whole deployment or a phase, and says why: the reason is what
// each member whose task it closes reads.
void Loader::CheckStandDown(const std::vector<Entry>& entries, const TriggerAction& action,
                            const std::string& what, NodeReader& reader) {
  const Entry* phase = FindEntry(entries, "stand_down");
  std::vector<std::string> phases = {kWholeDeployment};
  for (const Phase& p : draft_.playbook.phases) phases.push_back(p.id);
  if (std::find(phases.begin(), phases.end(), action.phase) == phases.end()) {
    reporter_.Error(reader.At(phase->value),
                    Quote(action.phase) + " is neither 'deployment' nor a phase",
                    SuggestHint(action.phase, phases, "stand_down takes"));
  }
  if (FindEntry(entries, "reason") == nullptr || action.message.empty()) {
    reporter_.Error(reader.At(phase->key_node), what + " stands down without a reason",
                    "add 'reason: ...', the text each member whose task closes reads");
  }
}

std::string Loader::BuildSource(std::string_view playbook_text) const {
  std::string source;
  AppendDocument(source, playbook_text);
  for (const auto& library : libraries_) {
    source.append(kLibraryMarker);
    source.append(library->path);
    source.push_back('\n');
    AppendDocument(source, library->text);
  }
  return source;
}

namespace {

// yaml-cpp may throw from places the loader does not expect; nothing escapes LoadText.
LoadResult InternalError(const std::string& file, const std::exception& e) {
  LoadResult result;
  result.diagnostics.push_back({Severity::kError,
                                file,
                                {1, 1},
                                std::string("internal error while loading: ") + e.what(),
                                "please report this file to the Muster developers"});
  return result;
}

}  // namespace

LoadResult LoadText(std::string_view text, const std::string& file, const LoadOptions& options) {
  try {
    return Loader(file, options).Run(text);
  } catch (const std::exception& e) {
    return InternalError(file, e);
  }
}

namespace {

LoadResult ReadFailure(const std::string& path, const Status& status) {
  LoadResult result;
  result.diagnostics.push_back({Severity::kError,
                                path,
                                {},
                                status.message(),
                                status.code() == ErrorCode::kTooLarge
                                    ? "playbooks are a few kilobytes; is this the right file?"
                                    : "check the path and the file's permissions"});
  return result;
}

}  // namespace

LoadResult LoadFile(const std::string& path, const LoadOptions& options) {
  Result<std::string> text = ReadLimited(path, options.limits.max_bytes);
  if (!text.ok()) return ReadFailure(path, text.status());
  return LoadText(*text, path, options);
}

int ErrorCount(const std::vector<Diagnostic>& diagnostics) {
  return static_cast<int>(
      std::count_if(diagnostics.begin(), diagnostics.end(),
                    [](const Diagnostic& d) { return d.severity == Severity::kError; }));
}

bool IsLibraryText(std::string_view text) {
  std::size_t start = 0;
  while (start < text.size()) {
    if (text.substr(start, 8) == "library:") return true;
    const std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return false;
}

LoadResult CheckLibraryText(std::string_view text, const std::string& file,
                            const LoadOptions& options) {
  try {
    return Loader(file, options).RunLibrary(text);
  } catch (const std::exception& e) {
    LoadResult result = InternalError(file, e);
    result.is_library = true;
    return result;
  }
}

LoadResult LintFile(const std::string& path, const LoadOptions& options) {
  Result<std::string> text = ReadLimited(path, options.limits.max_bytes);
  if (!text.ok()) return ReadFailure(path, text.status());
  if (IsLibraryText(*text)) return CheckLibraryText(*text, path, options);
  return LoadText(*text, path, options);
}

}  // namespace muster::playbook
