#include "playbook_commands.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "muster/clock.h"
#include "muster/display.h"
#include "muster/files.h"
#include "muster/playbook/cacao.h"
#include "playbook_graph.h"
#include "signature_commands.h"

namespace muster::console {
namespace {

namespace pb = muster::playbook;
using nlohmann::json;

constexpr int kExitInvalid = 1;
constexpr int kExitUsage = 2;

bool IsYamlFile(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

std::string FormatNumber(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

json DiagnosticJson(const pb::Diagnostic& d) {
  return {{"severity", d.severity == pb::Severity::kError ? "error" : "warning"},
          {"file", d.file},
          {"line", d.pos.line},
          {"column", d.pos.column},
          {"message", d.message},
          {"hint", d.hint}};
}

void PrintDiagnostics(const std::vector<pb::Diagnostic>& diagnostics, std::ostream& out) {
  for (const pb::Diagnostic& d : diagnostics) out << d.ToString() << "\n";
}

// Loads |path| for show/graph: a playbook, or a step library (|library| of the result).
// Prints why to |err| and sets |code| when the file is missing or has errors.
std::optional<pb::LoadResult> LoadForDisplay(const std::string& path, std::ostream& err,
                                             int* code) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    err << path << ": no such file\n";
    *code = kExitUsage;
    return std::nullopt;
  }
  pb::LoadResult result = pb::LintFile(path);
  if (!result.ok() && !result.library) {
    PrintDiagnostics(result.diagnostics, err);
    *code = kExitInvalid;
    return std::nullopt;
  }
  return result;
}

// ------------------------------------------------------------------------------ JSON

json FieldJson(const pb::FieldSpec& f) {
  json j = {
      {"id", f.id}, {"label", f.label}, {"type", pb::ToString(f.type)}, {"required", f.required}};
  if (!f.unit.empty()) j["unit"] = f.unit;
  if (f.min) j["min"] = *f.min;
  if (f.max) j["max"] = *f.max;
  if (!f.options.empty()) j["options"] = f.options;
  if (!f.pattern.empty()) j["pattern"] = f.pattern;
  if (f.report != pb::ReportRole::kNone) j["report"] = pb::ToString(f.report);
  return j;
}

json ActionJson(const pb::TriggerAction& a) {
  json action = {{"kind", pb::ToString(a.kind)}};
  if (a.kind == pb::ActionKind::kActivate) action["step"] = a.step;
  if (a.kind != pb::ActionKind::kActivate) action["message"] = a.message;
  if (a.kind == pb::ActionKind::kAlert) action["severity"] = a.severity;
  if (a.kind == pb::ActionKind::kStandDown) action["phase"] = a.phase;
  if (!a.role.empty()) action["to"] = a.role;
  return action;
}

json ActionsJson(const std::vector<pb::TriggerAction>& actions) {
  json then = json::array();
  for (const pb::TriggerAction& a : actions) then.push_back(ActionJson(a));
  return then;
}

json StepJson(const pb::Step& s) {
  json findings = json::array();
  for (const pb::FieldSpec& f : s.findings) findings.push_back(FieldJson(f));
  json j = {{"id", s.id},
            {"title", s.title},
            {"phase", s.phase},
            {"role", s.role},
            {"depends_on", s.depends_on},
            {"checklist", s.checklist},
            {"due_in_ms", s.due_in_ms},
            {"priority", pb::ToString(s.priority)},
            {"on_trigger", s.on_trigger},
            {"instructions", s.instructions},
            {"findings", findings}};
  if (!s.from_library.empty()) j["from_library"] = s.from_library;
  j["completion"] = pb::ToString(s.completion);
  if (!s.marking.empty()) j["marking"] = pb::ToString(s.marking);
  if (s.every_ms > 0) j["every_ms"] = s.every_ms;
  if (s.times > 0) j["times"] = s.times;
  if (!s.escalate.empty()) {
    json escalate = json::array();
    for (const pb::Escalation& e : s.escalate) {
      escalate.push_back(
          {{"when", pb::ToString(e.when)}, {"after_ms", e.after_ms}, {"then", ActionsJson(e.then)}});
    }
    j["escalate"] = escalate;
  }
  return j;
}

json TriggerJson(const pb::Trigger& t) {
  json trigger = {{"id", t.id}, {"when", t.when}, {"then", ActionsJson(t.then)}};
  if (!t.otherwise.empty()) trigger["else"] = ActionsJson(t.otherwise);
  return trigger;
}

json PlaybookJson(const pb::Playbook& p) {
  json hazards = json::array();
  for (pb::Hazard h : p.hazards) hazards.push_back(pb::ToString(h));
  json roles = json::array();
  for (const pb::Role& r : p.roles) {
    roles.push_back({{"id", r.id},
                     {"title", r.title},
                     {"count", r.count},
                     {"required", r.required},
                     {"qualifications", r.qualifications}});
  }
  json parameters = json::array();
  for (const pb::Parameter& x : p.parameters) {
    parameters.push_back({{"id", x.id},
                          {"type", pb::ToString(x.type)},
                          {"default", x.default_value},
                          {"unit", x.unit},
                          {"description", x.description}});
  }
  json phases = json::array();
  for (const pb::Phase& x : p.phases) phases.push_back({{"id", x.id}, {"title", x.title}});
  json steps = json::array();
  for (const pb::Step& s : p.steps) steps.push_back(StepJson(s));
  json triggers = json::array();
  for (const pb::Trigger& t : p.triggers) triggers.push_back(TriggerJson(t));
  return {{"kind", "playbook"},
          {"id", p.id},
          {"version", p.version},
          {"title", p.title},
          {"hazards", hazards},
          {"marking", pb::ToString(p.marking)},
          {"summary", p.summary},
          {"authors", p.authors},
          {"valid_from", p.valid_from},
          {"valid_until", p.valid_until},
          {"roles", roles},
          {"parameters", parameters},
          {"phases", phases},
          {"steps", steps},
          {"triggers", triggers},
          {"content_hash", p.content_hash}};
}

// A step library: its placeholder roles (id and title) and its steps, which have no phase.
json LibraryJson(const pb::StepLibrary& library) {
  json roles = json::array();
  for (const pb::Role& r : library.roles) roles.push_back({{"id", r.id}, {"title", r.title}});
  json steps = json::array();
  for (const pb::Step& s : library.steps) {
    json step = StepJson(s);
    step.erase("phase");
    steps.push_back(step);
  }
  return {{"kind", "library"},
          {"id", library.id},
          {"version", library.version},
          {"title", library.title},
          {"description", library.description},
          {"roles", roles},
          {"steps", steps}};
}

// ------------------------------------------------------------------------------ text

// |text| line by line, each line made safe for a terminal and indented by |indent|;
// blank lines stay blank.
void PrintLines(std::string_view text, std::string_view indent, std::ostream& out) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    if (!line.empty()) out << indent << ForTerminal(line);
    out << "\n";
    start = end + 1;
  }
}

std::string FieldSummary(const pb::FieldSpec& f) {
  std::string text = f.id + " (" + pb::ToString(f.type);
  if (!f.unit.empty()) text += " " + f.unit;
  if (f.min || f.max) {
    text += " " + (f.min ? FormatNumber(*f.min) : std::string()) + ".." +
            (f.max ? FormatNumber(*f.max) : std::string());
  }
  if (!f.options.empty()) {
    std::string options;
    for (const std::string& o : f.options) options += (options.empty() ? "" : "|") + o;
    text += " " + options;
  }
  if (!f.pattern.empty()) text += " " + f.pattern;
  if (f.report != pb::ReportRole::kNone) text += std::string(", report: ") + pb::ToString(f.report);
  if (f.required) text += ", required";
  return text + ")";
}

// A step's dependencies in words, each with the role that holds it (looked up in |steps|).
std::string DependsText(const std::vector<pb::Step>& steps, const pb::Step& s) {
  std::string text;
  for (const std::string& dep : s.depends_on) {
    const auto other =
        std::find_if(steps.begin(), steps.end(), [&](const pb::Step& x) { return x.id == dep; });
    text +=
        (text.empty() ? "" : ", ") + dep + (other != steps.end() ? " (" + other->role + ")" : "");
  }
  return text;
}

// What a playbook step waits on, in words: its dependencies with who holds them, and the
// triggers that activate it.
std::string WaitsOn(const pb::Playbook& p, const pb::Step& s) {
  std::string text = DependsText(p.steps, s);
  if (s.on_trigger) {
    std::string triggers;
    for (const pb::Trigger& t : p.triggers) {
      for (const auto* actions : {&t.then, &t.otherwise}) {
        for (const pb::TriggerAction& a : *actions) {
          if (a.kind == pb::ActionKind::kActivate && a.step == s.id) {
            triggers += (triggers.empty() ? "" : " or ") + t.id;
          }
        }
      }
    }
    text += (text.empty() ? "" : "; and ") + std::string("trigger ") + triggers;
  }
  return text.empty() ? "nothing: ready when deployed" : text;
}

// What a library step waits on: its library dependencies, and a trigger of the playbook
// that uses it when it is on_trigger.
std::string LibraryWaitsOn(const pb::StepLibrary& library, const pb::Step& s) {
  std::string text = DependsText(library.steps, s);
  if (s.on_trigger) text += (text.empty() ? "" : "; and ") + std::string("a playbook's trigger");
  return text.empty() ? "nothing" : text;
}

// An action of a trigger or an escalation, in words.
std::string ActionText(const pb::TriggerAction& a) {
  switch (a.kind) {
    case pb::ActionKind::kActivate:
      return "activate " + a.step;
    case pb::ActionKind::kAlert:
      return "alert (" + a.severity + "): " + a.message;
    case pb::ActionKind::kNotify:
      return "notify " + (a.role.empty() ? std::string("HQ") : "the " + a.role + " role") + ": " +
             a.message;
    case pb::ActionKind::kStandDown:
      return "stand down " +
             (a.phase == pb::kWholeDeployment ? std::string("the deployment") : "phase " + a.phase) +
             ": " + a.message;
  }
  return "";
}

void ShowStep(const pb::Step& s, const std::string& waits_on, std::ostream& out) {
  out << "  " << s.id << ": " << ForTerminal(s.title) << "\n";
  out << "      role " << s.role << ", priority " << pb::ToString(s.priority);
  if (s.due_in_ms > 0) out << ", due " << FormatAge(s.due_in_ms) << " after ready";
  if (s.completion == pb::Completion::kAny) out << ", done when one member completes it";
  if (!s.marking.empty()) out << ", marked " << pb::ToString(s.marking);
  if (s.every_ms > 0) {
    out << ", every " << FormatAge(s.every_ms)
        << (s.times > 0 ? " (" + std::to_string(s.times) + " times)" : "");
  }
  if (!s.from_library.empty()) out << ", from " << ForTerminal(s.from_library);
  out << "\n      waits on: " << waits_on << "\n";
  for (const pb::Escalation& e : s.escalate) {
    out << "      escalates when " << pb::ToString(e.when)
        << (e.after_ms > 0 ? " by " + FormatAge(e.after_ms) : "") << ":";
    for (const pb::TriggerAction& a : e.then) out << " " << ForTerminal(ActionText(a)) << ";";
    out << "\n";
  }
  for (const pb::FieldSpec& f : s.findings) {
    out << "      finding " << ForTerminal(FieldSummary(f)) << "\n";
  }
  for (const std::string& item : s.checklist) out << "      [ ] " << ForTerminal(item) << "\n";
  if (s.instructions.empty()) return;
  out << "      instructions:\n";
  PrintLines(s.instructions, "        ", out);
}

void ShowRoles(const std::vector<pb::Role>& roles, std::ostream& out) {
  for (const pb::Role& r : roles) {
    out << "  " << r.id << ": " << ForTerminal(r.title) << " (" << r.count << ", "
        << (r.required ? "required" : "optional") << ")";
    for (std::size_t i = 0; i < r.qualifications.size(); ++i) {
      out << (i == 0 ? " needs " : ", ") << ForTerminal(r.qualifications[i]);
    }
    out << "\n";
  }
}

void ShowParameters(const std::vector<pb::Parameter>& parameters, std::ostream& out) {
  if (parameters.empty()) return;
  out << "\nParameters\n";
  for (const pb::Parameter& x : parameters) {
    const std::string unit = x.unit.empty() ? "" : " " + ForTerminal(x.unit);
    out << "  " << x.id << " (" << pb::ToString(x.type) << unit << ", "
        << (x.default_value.empty() ? "no default"
                                    : "default " + ForTerminal(x.default_value) + unit)
        << ")\n";
    PrintLines(x.description, "      ", out);
  }
}

void ShowHeader(const pb::Playbook& p, std::ostream& out) {
  out << ForTerminal(p.title) << "\n"
      << p.id << " " << p.version << "  sha256:" << p.content_hash << "\n";
  out << "hazards:";
  for (pb::Hazard h : p.hazards) out << " " << pb::ToString(h);
  out << "\n";
  if (!p.marking.empty()) out << "marking: " << pb::ToString(p.marking) << "\n";
  if (!p.valid_from.empty() || !p.valid_until.empty()) {
    out << "valid: from " << (p.valid_from.empty() ? "any time" : p.valid_from) << " until "
        << (p.valid_until.empty() ? "no end" : p.valid_until) << " (UTC)\n";
  }
  if (!p.summary.empty()) {
    out << "\n";
    PrintLines(p.summary, "", out);
  }
  out << "\nRoles\n";
  ShowRoles(p.roles, out);
  ShowParameters(p.parameters, out);
}

void ShowTriggers(const std::vector<pb::Trigger>& triggers, std::ostream& out) {
  if (triggers.empty()) return;
  out << "\nTriggers\n";
  for (const pb::Trigger& t : triggers) {
    out << "  " << t.id << ": when " << ForTerminal(t.when) << "\n";
    for (const pb::TriggerAction& a : t.then) out << "      " << ForTerminal(ActionText(a)) << "\n";
    if (!t.otherwise.empty()) out << "    else (once the steps it reads are done):\n";
    for (const pb::TriggerAction& a : t.otherwise) {
      out << "      " << ForTerminal(ActionText(a)) << "\n";
    }
  }
}

void ShowText(const pb::Playbook& p, std::ostream& out) {
  ShowHeader(p, out);
  for (const pb::Phase& phase : p.phases) {
    out << "\nPhase " << phase.id << ": " << ForTerminal(phase.title) << "\n";
    for (const pb::Step& s : p.steps) {
      if (s.phase == phase.id) ShowStep(s, WaitsOn(p, s), out);
    }
  }
  ShowTriggers(p.triggers, out);
}

void ShowLibraryText(const pb::StepLibrary& library, std::ostream& out) {
  out << ForTerminal(library.title.empty() ? library.id : library.title) << "\n"
      << "step library " << library.id
      << (library.version.empty() ? "" : " " + ForTerminal(library.version)) << "\n"
      << "A playbook includes it, maps its roles onto its own and takes steps with "
         "'use: ALIAS.STEP'.\n";
  if (!library.description.empty()) {
    out << "\n";
    PrintLines(library.description, "", out);
  }
  out << "\nRoles (placeholders for the including playbook's roles)\n";
  for (const pb::Role& r : library.roles) {
    out << "  " << r.id << (r.title.empty() ? "" : ": " + ForTerminal(r.title)) << "\n";
  }
  out << "\nSteps (the using playbook gives each its phase)\n";
  for (const pb::Step& s : library.steps) ShowStep(s, LibraryWaitsOn(library, s), out);
}

// ------------------------------------------------------------------------------ exchange

constexpr const char* kExchangeFormat = "cacao";

bool KnownFormat(const std::string& format, const char* flag, std::ostream& err) {
  if (format == kExchangeFormat) return true;
  err << flag << " '" << format << "' is not a format Muster exchanges; use " << flag << " "
      << kExchangeFormat << " (OASIS CACAO 2.0 JSON)\n";
  return false;
}

void PrintNotes(const std::string& file, const std::vector<pb::cacao::Note>& notes,
                std::ostream& err) {
  for (const pb::cacao::Note& note : notes) {
    err << file << ": note: " << ForTerminal(note.ToString()) << "\n";
  }
}

// Writes |text| to |output|, or to |out| when |output| is empty.
int Deliver(const std::string& text, const std::string& output, std::ostream& out,
            std::ostream& err) {
  if (output.empty()) {
    out << text;
    return 0;
  }
  const Status written = WriteFileAtomic(output, text);
  if (written.ok()) return 0;
  err << output << ": cannot write: " << written.ToString() << "\n";
  return kExitInvalid;
}

json NotesJson(const std::vector<pb::cacao::Note>& notes) {
  json list = json::array();
  for (const pb::cacao::Note& note : notes) {
    list.push_back({{"path", note.path}, {"message", note.message}});
  }
  return list;
}

// What import or export did, for --json: the text itself when it went to stdout.
void DeliveredJson(const std::string& path, const std::string& output, const char* key,
                   json text, const std::vector<pb::cacao::Note>& notes, json& answer) {
  answer["file"] = path;
  answer["output"] = output.empty() ? json() : json(output);
  if (output.empty()) answer[key] = std::move(text);
  answer["notes"] = NotesJson(notes);
}

// The current time as CACAO writes it: UTC to the millisecond.
std::string CacaoNow() {
  std::string now = FormatTimestamp(SystemClock().Now());
  return now.substr(0, now.size() - 1) + ".000Z";
}

}  // namespace

int ImportCommand(const std::string& format, const std::string& path, const std::string& output,
                  std::ostream& out, std::ostream& err, bool json_answer) {
  if (!KnownFormat(format, "--from", err)) return kExitUsage;
  const pb::cacao::ImportLimits limits;
  Result<std::string> text = ReadFile(path, limits.max_bytes);
  if (!text.ok()) {
    err << path << ": " << text.status().ToString() << "\n";
    return kExitUsage;
  }
  const pb::cacao::ImportResult imported = pb::cacao::ImportPlaybook(*text, limits);
  PrintNotes(path, imported.notes, err);
  if (!imported.ok()) {
    err << path << ": error: " << ForTerminal(imported.error->ToString()) << "\n";
    return kExitInvalid;
  }
  const pb::LoadResult loaded = pb::LoadText(*imported.yaml, output.empty() ? "<stdout>" : output);
  std::ostringstream yaml;
  if (Deliver(*imported.yaml, output, json_answer ? yaml : out, err) != 0) return kExitInvalid;
  PrintDiagnostics(loaded.diagnostics, err);
  if (json_answer) {
    json answer;
    DeliveredJson(path, output, "yaml", yaml.str(), imported.notes, answer);
    answer["valid"] = loaded.ok();
    out << answer.dump(2) << "\n";
  }
  return loaded.ok() ? 0 : kExitInvalid;
}

int ExportCommand(const std::string& format, const std::string& path, const std::string& output,
                  const std::string& timestamp, std::ostream& out, std::ostream& err,
                  bool json_answer) {
  if (!KnownFormat(format, "--to", err)) return kExitUsage;
  int code = 0;
  const auto loaded = LoadForDisplay(path, err, &code);
  if (!loaded) return code;
  if (loaded->library) {
    err << path << ": a step library, not a playbook; export the playbooks that include it\n";
    return kExitUsage;
  }
  pb::cacao::ExportOptions options;
  options.timestamp = timestamp;
  const pb::cacao::ExportResult exported = pb::cacao::ExportPlaybook(*loaded->playbook, options);
  PrintNotes(path, exported.notes, err);
  if (!json_answer) return Deliver(exported.json + "\n", output, out, err);
  if (!output.empty() && Deliver(exported.json + "\n", output, out, err) != 0) return kExitInvalid;
  json answer;
  DeliveredJson(path, output, "cacao", json::parse(exported.json), exported.notes, answer);
  out << answer.dump(2) << "\n";
  return 0;
}

std::vector<std::string> PlaybookFiles(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    if (!std::filesystem::exists(path, ec)) return {};
    return {path};
  }
  std::vector<std::string> files;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && IsYamlFile(it->path())) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

int LintCommand(const std::vector<std::string>& paths, bool json_output, std::ostream& out,
                std::ostream& err) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    const std::vector<std::string> found = PlaybookFiles(path);
    if (found.empty()) {
      err << path << ": no such file, or a folder without .yaml files\n";
      return kExitUsage;
    }
    files.insert(files.end(), found.begin(), found.end());
  }
  json report = json::array();
  int invalid = 0;
  for (const std::string& file : files) {
    const pb::LoadResult result = pb::LintFile(file);
    const bool valid = pb::ErrorCount(result.diagnostics) == 0;
    invalid += valid ? 0 : 1;
    if (!json_output) {
      PrintDiagnostics(result.diagnostics, out);
      continue;
    }
    json entry = {{"file", file},
                  {"kind", result.is_library ? "library" : "playbook"},
                  {"valid", valid},
                  {"diagnostics", json::array()}};
    for (const pb::Diagnostic& d : result.diagnostics)
      entry["diagnostics"].push_back(DiagnosticJson(d));
    if (result.playbook) {
      entry["id"] = result.playbook->id;
      entry["version"] = result.playbook->version;
      entry["content_hash"] = result.playbook->content_hash;
    }
    report.push_back(entry);
  }
  if (json_output) {
    out << json{{"valid", invalid == 0}, {"files", report}}.dump(2) << "\n";
  } else {
    out << files.size() << (files.size() == 1 ? " file" : " files") << " checked, " << invalid
        << " invalid\n";
  }
  return invalid == 0 ? 0 : kExitInvalid;
}

int ShowCommand(const std::string& path, bool json_output, std::ostream& out, std::ostream& err) {
  int code = 0;
  const auto loaded = LoadForDisplay(path, err, &code);
  if (!loaded) return code;
  if (loaded->library && json_output) {
    out << LibraryJson(*loaded->library).dump(2) << "\n";
  } else if (loaded->library) {
    ShowLibraryText(*loaded->library, out);
  } else if (json_output) {
    out << PlaybookJson(*loaded->playbook).dump(2) << "\n";
  } else {
    ShowText(*loaded->playbook, out);
  }
  return 0;
}

int GraphCommand(const std::string& path, bool json_output, std::ostream& out,
                 std::ostream& err) {
  int code = 0;
  const auto loaded = LoadForDisplay(path, err, &code);
  if (!loaded) return code;
  if (loaded->library) {
    err << path << ": a step library, not a playbook; graph draws a playbook's steps "
        << "(muster playbook show " << path << " shows the library)\n";
    return kExitUsage;
  }
  if (json_output) {
    out << GraphJson(*loaded->playbook).dump(2) << "\n";
  } else {
    WriteDot(*loaded->playbook, out);
  }
  return 0;
}

void RegisterPlaybookCommands(CLI::App& app, const bool& global_json) {
  struct Options {
    std::vector<std::string> paths;
    std::string file;
    std::string format;
    std::string output;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* playbook = app.add_subcommand("playbook", "Check and read playbook files");
  playbook->require_subcommand(1);

  const auto finish = [](int code) {
    if (code != 0) throw CLI::RuntimeError(code);
  };
  // Missing arguments are checked here rather than by CLI11 so that they exit with 2
  // like every other usage error of these verbs.
  const auto need = [finish](bool given, const char* usage) {
    if (given) return;
    std::cerr << "usage: " << usage << "\n";
    finish(kExitUsage);
  };
  CLI::App* lint = playbook->add_subcommand(
      "lint", "Check playbooks and step libraries; prints FILE:LINE:COL diagnostics");
  lint->add_option("paths", options->paths, "Files or folders (searched for *.yaml, *.yml)");
  lint->add_flag("--json", options->json, "Print the result as JSON");
  lint->callback([options, finish, need, &global_json] {
    need(!options->paths.empty(), "muster playbook lint PATH... [--json]");
    finish(LintCommand(options->paths, options->json || global_json, std::cout, std::cerr));
  });

  CLI::App* show =
      playbook->add_subcommand("show", "Show a playbook: phases, steps, roles, triggers");
  show->add_option("file", options->file, "Playbook file");
  show->add_flag("--json", options->json, "Print the playbook as JSON");
  show->callback([options, finish, need, &global_json] {
    need(!options->file.empty(), "muster playbook show FILE [--json]");
    finish(ShowCommand(options->file, options->json || global_json, std::cout, std::cerr));
  });

  CLI::App* graph = playbook->add_subcommand("graph", "Print step dependencies as Graphviz DOT");
  graph->add_option("file", options->file, "Playbook file");
  graph->add_flag("--json", options->json, "Print the graph as JSON: nodes and edges");
  graph->callback([options, finish, need, &global_json] {
    need(!options->file.empty(), "muster playbook graph FILE [--json]");
    finish(GraphCommand(options->file, options->json || global_json, std::cout, std::cerr));
  });

  CLI::App* import = playbook->add_subcommand(
      "import", "Read a playbook of another format (CACAO 2.0 JSON) as Muster playbook YAML");
  import->add_option("--from", options->format, "The format of FILE: cacao");
  import->add_option("file", options->file, "The file to import");
  import->add_option("-o,--output", options->output, "Write the YAML here instead of stdout");
  import->callback([options, finish, need, &global_json] {
    need(!options->file.empty() && !options->format.empty(),
         "muster playbook import --from cacao FILE [-o OUT.yaml]");
    finish(ImportCommand(options->format, options->file, options->output, std::cout, std::cerr,
                         global_json));
  });

  CLI::App* export_ = playbook->add_subcommand(
      "export", "Write a playbook in another format (CACAO 2.0 JSON)");
  export_->add_option("--to", options->format, "The format to write: cacao");
  export_->add_option("file", options->file, "Playbook file");
  export_->add_option("-o,--output", options->output, "Write the JSON here instead of stdout");
  export_->callback([options, finish, need, &global_json] {
    need(!options->file.empty() && !options->format.empty(),
         "muster playbook export --to cacao FILE [-o OUT.json]");
    finish(ExportCommand(options->format, options->file, options->output, CacaoNow(), std::cout,
                         std::cerr, global_json));
  });
  RegisterSignatureCommands(*playbook, global_json);
}

}  // namespace muster::console
