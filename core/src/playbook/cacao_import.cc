// CACAO 2.0 JSON -> Muster playbook YAML. docs/playbook-exchange.md gives the mapping.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cacao_common.h"
#include "cacao_workflow.h"
#include "muster/playbook/cacao.h"
#include "yaml_writer.h"

namespace muster::playbook::cacao {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::size_t kMaxId = 64;
constexpr const char* kDefaultRole = "responder";
constexpr const char* kDefaultPhase = "response";

// Top-level properties the import reads; every other one is reported.
const std::set<std::string> kReadTopLevel = {"markings",
                                             "data_marking_definitions",
                                             "type",
                                             "spec_version",
                                             "id",
                                             "name",
                                             "description",
                                             "created",
                                             "modified",
                                             "created_by",
                                             "workflow_start",
                                             "workflow",
                                             "agent_definitions",
                                             "target_definitions",
                                             "playbook_variables",
                                             "extension_definitions",
                                             "playbook_extensions"};
// Properties of a workflow step the import reads (or the flow walk follows and reports).
const std::set<std::string> kReadStep = {
    "type",       "name",    "description", "on_completion",  "on_success", "on_failure",
    "next_steps", "on_true", "on_false",    "condition",      "cases",      "commands",
    "agent",      "targets", "timeout",     "step_variables", "out_args",   "step_extensions"};
// Keys of the Muster extension that are not playbook YAML keys.
const std::set<std::string> kPlaybookMeta = {"playbook_id", "role_order", "step_order",
                                             "parameter_details"};
const std::set<std::string> kStepMeta = {"step_id", "from_library"};
const std::set<std::string> kHumanAgents = {"individual", "group", "organization"};

// |text| in lowercase ASCII letters and digits, every other run of characters one
// |separator|, at most kMaxId bytes.
std::string Slug(const std::string& text, char separator) {
  std::string slug;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 && c < 0x80) {
      slug += static_cast<char>(std::tolower(c));
    } else if (!slug.empty() && slug.back() != separator) {
      slug += separator;
    }
  }
  while (!slug.empty() && slug.back() == separator) slug.pop_back();
  if (slug.size() > kMaxId) slug.resize(kMaxId);
  while (!slug.empty() && slug.back() == separator) slug.pop_back();
  return slug;
}

// An id that starts with a letter, is not yet in |taken|, and is then taken.
std::string UniqueId(std::string base, const std::string& fallback, std::set<std::string>* taken) {
  if (base.empty() || base[0] < 'a' || base[0] > 'z')
    base = fallback + (base.empty() ? "" : "_" + base);
  if (base.size() > kMaxId - 4) base.resize(kMaxId - 4);
  std::string id = base;
  for (int n = 2; taken->count(id) != 0; ++n) id = base + "_" + std::to_string(n);
  taken->insert(id);
  return id;
}

std::string Text(const json& object, const char* key) {
  return object.is_object() && object.contains(key) && object[key].is_string()
             ? object[key].get<std::string>()
             : std::string();
}

// The playbook YAML type of a CACAO variable type, and whether it maps exactly.
std::pair<const char*, bool> ParameterType(const std::string& type) {
  if (type == "float" || type == "integer" || type == "long") return {"number", true};
  if (type == "bool") return {"boolean", true};
  return {"string", type == "string"};
}

class Importer {
 public:
  Importer(const json& doc, const ImportLimits& limits) : doc_(doc), limits_(limits) {}

  ImportResult Run() {
    ImportResult result;
    if (!CheckEnvelope()) return Finish(std::move(result));
    FlowResult flow = FollowWorkflow(doc_, limits_);
    notes_.insert(notes_.end(), flow.notes.begin(), flow.notes.end());
    if (flow.error) {
      error_ = flow.error;
      return Finish(std::move(result));
    }
    if (flow.flow->actions.empty()) {
      Fail("$.workflow",
           "the flow from workflow_start reaches no action step; a Muster "
           "playbook needs at least one step");
      return Finish(std::move(result));
    }
    playbook_ext_ = Extension(doc_, "playbook_extensions", "$");
    ReportTopLevel();
    ReportWorkflow(*flow.flow);
    ordered_json steps = Steps(*flow.flow);
    if (!error_) result.yaml = WriteYaml(Assemble(std::move(steps)));
    return Finish(std::move(result));
  }

 private:
  ImportResult Finish(ImportResult result) {
    result.error = std::move(error_);
    if (result.error) result.yaml.reset();
    result.notes = std::move(notes_);
    return result;
  }
  void Fail(const std::string& path, const std::string& message) {
    if (!error_) error_ = Note{path, message};
  }
  void Tell(const std::string& path, const std::string& message) {
    notes_.push_back({path, message});
  }

  bool CheckEnvelope() {
    if (!doc_.is_object()) {
      Fail("$", "not a JSON object; a CACAO playbook is one object with type \"playbook\"");
      return false;
    }
    if (Text(doc_, "type") != "playbook") {
      Fail("$.type", "must be \"playbook\"; this is not a CACAO playbook");
    } else if (Text(doc_, "spec_version") != kSpecVersion) {
      const std::string given = Text(doc_, "spec_version");
      Fail("$.spec_version",
           (given.empty() ? std::string("missing") : "'" + given + "' is not supported") +
               "; Muster reads CACAO 2.0 (\"cacao-2.0\")");
    } else if (Text(doc_, "name").empty()) {
      Fail("$.name", "missing or empty; Muster needs it as the playbook's title");
    } else if (doc_.contains("workflow") && doc_["workflow"].is_object() &&
               doc_["workflow"].size() > limits_.max_steps) {
      Fail("$.workflow", "holds " + std::to_string(doc_["workflow"].size()) +
                             " steps, more than the " + std::to_string(limits_.max_steps) +
                             " an import reads; split the playbook");
    }
    return !error_;
  }

  // The Muster extension's object in |object|[|property|], or null; reports any other
  // extension found there.
  json Extension(const json& object, const char* property, const std::string& path) {
    if (!object.is_object() || !object.contains(property)) return nullptr;
    const json& extensions = object[property];
    const std::string at = PathKey(path, property);
    if (!extensions.is_object()) {
      Tell(at, "not an object of extensions; ignored");
      return nullptr;
    }
    json muster;
    for (const auto& [id, value] : extensions.items()) {
      if (id == MusterExtensionId() && value.is_object()) {
        muster = value;
      } else {
        Tell(PathKey(at, id), "an extension Muster does not know; left out");
      }
    }
    return muster;
  }

  // The playbook's marking from the CACAO data markings it applies: a TLP 2.0 level, and
  // a classification statement as the export writes it. Others are reported.
  std::string Markings() {
    if (!doc_.contains("markings")) return "";
    const json& applied = doc_["markings"];
    const json& definitions = doc_.value("data_marking_definitions", json::object());
    if (!applied.is_array()) {
      Tell("$.markings", "not a list of marking ids; left out");
      return "";
    }
    Marking marking;
    for (std::size_t i = 0; i < applied.size(); ++i) {
      const std::string at = PathIndex("$.markings", i);
      const std::string id = applied[i].is_string() ? applied[i].get<std::string>() : "";
      const json& definition =
          definitions.is_object() && definitions.contains(id) ? definitions[id] : json();
      const std::string type = Text(definition, "type");
      std::string text;
      if (type == "marking-tlp") {
        text = Text(definition, "tlpv2_level");
      } else if (type == "marking-statement" &&
                 Text(definition, "statement").rfind(kClassificationPrefix, 0) == 0) {
        text = Text(definition, "statement").substr(std::string(kClassificationPrefix).size());
      }
      const auto parsed = text.empty() ? std::nullopt : ParseMarking(text);
      if (!parsed) {
        Tell(at, "a data marking Muster cannot represent (" +
                     (type.empty() ? std::string("no definition") : type) + "); left out");
        continue;
      }
      marking = Raise(marking, *parsed);
    }
    return ToString(marking);
  }

  void ReportTopLevel() {
    for (const auto& [key, value] : doc_.items()) {
      if (kReadTopLevel.count(key) != 0) continue;
      std::string what = "not represented in a Muster playbook; left out";
      if (key == "signatures") {
        what = "signatures cover the CACAO text, which the import rewrites; not carried";
      } else if (key == "authentication_info_definitions") {
        what = "credentials for automated agents; Muster steps are done by people, left out";
      } else if (key == "workflow_exception") {
        what = "Muster has no exception path: steps are completed or stood down; left out";
      }
      Tell(PathKey("$", key), what);
    }
    for (const char* key : {"extension_definitions"}) {
      if (!doc_.contains(key) || !doc_[key].is_object()) continue;
      for (const auto& [id, value] : doc_[key].items()) {
        if (id != MusterExtensionId())
          Tell(PathKey(PathKey("$", key), id), "not Muster's; left out");
      }
    }
  }

  // Steps the flow never reached, and what steps other than actions hold beyond the flow.
  void ReportWorkflow(const Flow& flow) {
    for (const auto& [key, value] : doc_["workflow"].items()) {
      if (std::find(flow.reached.begin(), flow.reached.end(), key) != flow.reached.end()) {
        if (Text(value, "type") != "action") ReportControlStep(value, PathKey("$.workflow", key));
        continue;
      }
      Tell(PathKey("$.workflow", key),
           "not reached from workflow_start along the paths Muster follows; left out");
    }
  }

  void ReportControlStep(const json& step, const std::string& path) {
    static const std::set<std::string> kFlow = {
        "type",    "name",     "on_completion", "on_success", "on_failure", "next_steps",
        "on_true", "on_false", "condition",     "cases",      "switch"};
    for (const auto& [key, value] : step.items()) {
      if (kFlow.count(key) == 0) {
        Tell(PathKey(path, key),
             "a " + Text(step, "type") + " step holds nothing but the flow in Muster; left out");
      }
    }
  }

  // ------------------------------------------------------------------------ roles

  const json* Definition(const std::string& key) const {
    for (const char* table : {"agent_definitions", "target_definitions"}) {
      if (doc_.contains(table) && doc_[table].is_object() && doc_[table].contains(key)) {
        return &doc_[table][key];
      }
    }
    return nullptr;
  }

  // The role of |key| (an agent or target definition that is a person, team or
  // organisation), added to roles_ on first use.
  std::string RoleOf(const std::string& key, const json& definition) {
    if (auto it = role_of_.find(key); it != role_of_.end()) return it->second;
    const std::string table =
        doc_.contains("agent_definitions") && doc_["agent_definitions"].contains(key)
            ? "$.agent_definitions"
            : "$.target_definitions";
    const json ext = Extension(definition, "agent_target_extensions", PathKey(table, key));
    ordered_json role;
    std::string id = Text(ext, "role_id");
    id = id.empty() ? UniqueId(Slug(Text(definition, "name"), '_'), "role", &role_ids_) : id;
    role_ids_.insert(id);
    role["id"] = id;
    const std::string name = Text(definition, "name");
    role["title"] = name.empty() ? id : name;
    if (ext.is_object()) {
      for (const auto& [k, v] : ext.items()) {
        if (k != "role_id") role[k] = v;
      }
    }
    roles_.push_back(role);
    role_of_[key] = id;
    return id;
  }

  std::string DefaultRole() {
    if (role_of_.count("") == 0) {
      role_of_[""] = UniqueId(kDefaultRole, "role", &role_ids_);
      roles_.push_back({{"id", role_of_[""]}, {"title", "Responder"}});
    }
    return role_of_[""];
  }

  bool IsHuman(const json* definition) const {
    return definition != nullptr && definition->is_object() &&
           kHumanAgents.count(Text(*definition, "type")) != 0;
  }

  // The step's agent when it is a person or team; else its first target that is; else
  // the default role. Reports what does not become the role.
  std::string StepRole(const json& step, const std::string& path) {
    const std::string agent = Text(step, "agent");
    const json* agent_def = Definition(agent);
    std::string role;
    if (IsHuman(agent_def)) role = RoleOf(agent, *agent_def);
    if (!agent.empty() && role.empty()) {
      Tell(PathKey(path, "agent"),
           agent_def == nullptr
               ? "names '" + agent + "', which no agent definition holds; ignored"
               : "agent '" + Text(*agent_def, "name") + "' (type " + Text(*agent_def, "type") +
                     ") is not a person or team; a Muster member does the step instead");
    }
    const json targets = step.contains("targets") ? step["targets"] : json::array();
    for (std::size_t i = 0; targets.is_array() && i < targets.size(); ++i) {
      const std::string target = targets[i].is_string() ? targets[i].get<std::string>() : "";
      const json* target_def = Definition(target);
      if (role.empty() && IsHuman(target_def)) {
        role = RoleOf(target, *target_def);
        continue;
      }
      Tell(PathIndex(PathKey(path, "targets"), i),
           "Muster steps have no targets beyond the member who does them; left out");
    }
    return role.empty() ? DefaultRole() : role;
  }

  // ------------------------------------------------------------------------ steps

  // The instructions: the step's description (for a step without the Muster extension)
  // and each command's text, manual or not.
  std::string Instructions(const json& step, const std::string& path, bool from_muster) {
    std::vector<std::string> parts;
    if (!from_muster && !Text(step, "description").empty())
      parts.push_back(Text(step, "description"));
    const json commands = step.contains("commands") ? step["commands"] : json::array();
    const std::string at = PathKey(path, "commands");
    for (std::size_t i = 0; commands.is_array() && i < commands.size(); ++i) {
      const json& c = commands[i];
      const std::string type = Text(c, "type");
      const std::string text = Text(c, "command");
      if (text.empty()) {
        Tell(PathIndex(at, i), "a " + (type.empty() ? std::string("command") : type + " command") +
                                   " without plain `command` text (base64 or content is not "
                                   "decoded); left out");
      } else if (type == "manual") {
        parts.push_back(text);
      } else {
        parts.push_back("`" + type + "` command: " + text);
        Tell(PathIndex(at, i), "a " + type +
                                   " command cannot be run by Muster; its text is kept in the "
                                   "instructions for the member to carry out by hand");
      }
    }
    std::string joined;
    for (const std::string& part : parts) joined += (joined.empty() ? "" : "\n\n") + part;
    // Text put together here ends with a line feed, as Muster's instructions usually do;
    // a Muster step's own text is kept byte for byte.
    if (!from_muster && joined.find('\n') != std::string::npos && joined.back() != '\n') {
      joined += '\n';
    }
    return joined;
  }

  // Findings from the variables the step returns (out_args), for a step without the
  // Muster extension.
  ordered_json Findings(const json& step, const std::string& path) {
    ordered_json findings = ordered_json::array();
    json variables = step.contains("step_variables") ? step["step_variables"] : json::object();
    if (!variables.is_object()) variables = json::object();
    const json out = step.contains("out_args") ? step["out_args"] : json::array();
    std::set<std::string> ids, returned;
    for (std::size_t i = 0; out.is_array() && i < out.size(); ++i) {
      const std::string name = out[i].is_string() ? out[i].get<std::string>() : "";
      returned.insert(name);
      if (!variables.contains(name)) {
        Tell(PathIndex(PathKey(path, "out_args"), i),
             "returns a variable that is not one of the step's step_variables; left out");
        continue;
      }
      const json& v = variables[name];
      const std::string type = Text(v, "type");
      const auto [muster_type, exact] = ParameterType(type);
      ordered_json f = {{"id", UniqueId(Slug(name, '_'), "finding", &ids)}};
      const std::string label = Text(v, "description");
      if (!label.empty()) f["label"] = label.substr(0, label.find('\n'));
      f["type"] = std::string(muster_type) == "string" ? "text" : muster_type;
      if (!exact) {
        Tell(PathKey(PathKey(path, "step_variables"), name),
             "variable type '" + type + "' has no Muster finding type; recorded as text");
      }
      findings.push_back(f);
    }
    for (const auto& [name, v] : variables.items()) {
      if (returned.count(name) == 0) {
        Tell(PathKey(PathKey(path, "step_variables"), name),
             "a step variable the step does not return (out_args) is not a finding; left out");
      }
    }
    return findings;
  }

  void ReportStepProperties(const json& step, const std::string& path) {
    for (const auto& [key, value] : step.items()) {
      if (kReadStep.count(key) != 0) continue;
      if (key == "in_args") {
        Tell(PathKey(path, key), "Muster steps take no input variables; left out");
      } else {
        Tell(PathKey(path, key), "not represented in a Muster step; left out");
      }
    }
  }

  ordered_json Step(const json& step, const std::string& key, const std::string& path) {
    const json ext = Extension(step, "step_extensions", path);
    const bool from_muster = ext.is_object();
    ReportStepProperties(step, path);
    ordered_json s;
    const std::string name = Text(step, "name");
    std::string id = Text(ext, "step_id");
    id = id.empty() ? UniqueId(Slug(name, '_'), "step", &step_ids_) : id;
    step_ids_.insert(id);
    step_id_of_[key] = id;
    s["id"] = id;
    s["title"] = name.empty() ? "Step " + std::to_string(step_id_of_.size()) : name;
    s["phase"] = from_muster && ext.contains("phase") ? ext["phase"] : json(kDefaultPhase);
    s["role"] = StepRole(step, path);
    if (step.contains("timeout")) {
      const json& t = step["timeout"];
      if (t.is_number_unsigned() || (t.is_number_integer() && t.get<std::int64_t>() >= 0)) {
        const std::int64_t ms = t.get<std::int64_t>();
        const std::string due = DurationText(ms);
        if (ms % 1000 != 0) {
          Tell(PathKey(path, "timeout"), "Muster counts due times in whole seconds: " +
                                             std::to_string(ms) + " ms became " + due);
        }
        if (due.size() > 16) {
          Tell(PathKey(path, "timeout"), "too long for a Muster due time; left out");
        } else if (ms > 0) {
          s["due_in"] = due;
        }
      } else {
        Tell(PathKey(path, "timeout"), "not a whole number of milliseconds; left out");
      }
    }
    const std::string instructions = Instructions(step, path, from_muster);
    if (!instructions.empty()) s["instructions"] = instructions;
    if (!from_muster) {
      ordered_json findings = Findings(step, path);
      if (!findings.empty()) s["findings"] = findings;
      return s;
    }
    for (const auto& [k, v] : ext.items()) {
      if (kStepMeta.count(k) == 0 && k != "phase") s[k] = v;
    }
    if (s.contains("instructions") && s["instructions"] == "") s.erase("instructions");
    return s;
  }

  ordered_json Steps(const Flow& flow) {
    std::vector<ordered_json> steps;
    for (const FlowAction& action : flow.actions) {
      steps.push_back(
          Step(doc_["workflow"][action.key], action.key, PathKey("$.workflow", action.key)));
    }
    // Dependencies the flow implies, for steps whose extension does not give them.
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (steps[i].contains("depends_on")) {
        if (steps[i]["depends_on"].empty()) steps[i].erase("depends_on");
        continue;
      }
      ordered_json after = ordered_json::array();
      for (const std::string& k : flow.actions[i].after) after.push_back(step_id_of_[k]);
      if (!after.empty()) {
        ordered_json s;
        for (const auto& [k, v] : steps[i].items()) {
          s[k] = v;
          if (k == "role") s["depends_on"] = after;
        }
        steps[i] = s;
      }
    }
    return InOrder(std::move(steps), "step_order");
  }

  // |items| as a list, in the order of the ids the extension lists under |order_key|
  // when it does (those it does not list last), else as they are.
  ordered_json InOrder(std::vector<ordered_json> items, const char* order_key) const {
    const json order = playbook_ext_.is_object() ? playbook_ext_.value(order_key, json()) : json();
    if (order.is_array()) {
      auto place = [&](const ordered_json& item) {
        return std::find(order.begin(), order.end(), item["id"]) - order.begin();
      };
      std::stable_sort(
          items.begin(), items.end(),
          [&](const ordered_json& a, const ordered_json& b) { return place(a) < place(b); });
    }
    ordered_json list = ordered_json::array();
    for (ordered_json& item : items) list.push_back(std::move(item));
    return list;
  }

  // ------------------------------------------------------------------------ playbook

  ordered_json Parameters() {
    ordered_json parameters = ordered_json::array();
    if (!doc_.contains("playbook_variables")) return parameters;
    const json& variables = doc_["playbook_variables"];
    if (!variables.is_object()) {
      Tell("$.playbook_variables", "not an object of variables; left out");
      return parameters;
    }
    std::vector<std::string> names;
    std::map<std::string, json> details;
    const json listed = playbook_ext_.is_object()
                            ? playbook_ext_.value("parameter_details", json::array())
                            : json::array();
    for (const json& d : listed) {
      const std::string name = VariableName(Text(d, "id"));
      if (variables.contains(name)) {
        names.push_back(name);
        details[name] = d;
      }
    }
    for (const auto& [name, v] : variables.items()) {
      if (details.count(name) == 0) names.push_back(name);
    }
    std::set<std::string> ids;
    for (const std::string& name : names) {
      const json& v = variables[name];
      const std::string path = PathKey("$.playbook_variables", name);
      ordered_json x;
      const auto it = details.find(name);
      if (it != details.end()) {
        x["id"] = Text(it->second, "id");
        for (const auto& [k, value] : it->second.items()) {
          if (k != "id") x[k] = value;
        }
      } else {
        const auto [type, exact] = ParameterType(Text(v, "type"));
        x["id"] = UniqueId(Slug(name, '_'), "param", &ids);
        x["type"] = type;
        if (!exact) {
          Tell(PathKey(path, "type"), "variable type '" + Text(v, "type") +
                                          "' has no Muster parameter type; read as a string");
        }
        if (v.value("constant", false)) {
          Tell(PathKey(path, "constant"),
               "Muster parameters may be adjusted by each deployment; the constant is a "
               "default there");
        }
      }
      const json value = v.is_object() && v.contains("value") ? v["value"] : json();
      if (value.is_string() && !value.get<std::string>().empty()) {
        x["default"] = value;
      } else if (value.is_number() || value.is_boolean()) {
        x["default"] = value.dump();
      } else if (!value.is_null() && !value.is_string()) {
        Tell(PathKey(path, "value"), "not a text, number or boolean; no default");
      }
      if (!Text(v, "description").empty()) x["description"] = Text(v, "description");
      parameters.push_back(x);
    }
    return parameters;
  }

  ordered_json Roles() {
    // Roles the Muster extension names that no step used.
    if (doc_.contains("agent_definitions") && doc_["agent_definitions"].is_object()) {
      for (const auto& [key, def] : doc_["agent_definitions"].items()) {
        if (role_of_.count(key) != 0) continue;
        const std::string path = PathKey("$.agent_definitions", key);
        if (def.is_object() && def.contains("agent_target_extensions") &&
            def["agent_target_extensions"].contains(MusterExtensionId())) {
          RoleOf(key, def);
        } else {
          Tell(path, "not the agent of any step Muster imported; left out");
        }
      }
    }
    return InOrder(roles_, "role_order");
  }

  ordered_json Assemble(ordered_json steps) {
    const json& ext = playbook_ext_;
    const bool from_muster = ext.is_object();
    ordered_json p;
    const std::string name = Text(doc_, "name");
    std::string id = Text(ext, "playbook_id");
    if (id.empty()) id = Slug(name, '-');
    p["id"] = id.empty() ? "imported-playbook" : id;
    p["version"] = from_muster && ext.contains("version") ? ext["version"] : json("1.0.0");
    p["title"] = name;
    if (from_muster && ext.contains("hazards")) {
      p["hazards"] = ext["hazards"];
    } else {
      p["hazards"] = {"chemical", "biological", "radiological", "nuclear", "explosive"};
      Tell("$",
           "CACAO does not say which hazards a playbook is for: the import lists all "
           "five; keep only those that apply");
    }
    if (!Text(doc_, "description").empty()) p["summary"] = Text(doc_, "description");
    if (from_muster && ext.contains("authors")) p["authors"] = ext["authors"];
    const std::string marking = Markings();
    if (!marking.empty() && !(from_muster && ext.contains("marking"))) p["marking"] = marking;
    p["roles"] = Roles();
    ordered_json parameters = Parameters();
    if (!parameters.empty()) p["parameters"] = parameters;
    p["phases"] = from_muster && ext.contains("phases")
                      ? ordered_json(ext["phases"])
                      : ordered_json::array({{{"id", kDefaultPhase}, {"title", "Response"}}});
    p["steps"] = std::move(steps);
    if (from_muster) {
      for (const auto& [k, v] : ext.items()) {
        if (kPlaybookMeta.count(k) == 0 && !p.contains(k)) p[k] = v;
      }
    }
    return p;
  }

  const json& doc_;
  const ImportLimits& limits_;
  json playbook_ext_;
  std::vector<Note> notes_;
  std::optional<Note> error_;
  std::vector<ordered_json> roles_;
  std::map<std::string, std::string> role_of_;  // definition key ("" the default) -> role id
  std::set<std::string> role_ids_, step_ids_;
  std::map<std::string, std::string> step_id_of_;  // workflow key -> step id
};

// The deepest nesting of arrays and objects in |text|, counted outside strings, so that
// a hostile document is refused before the parser sees it.
int NestingDepth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

ImportResult ImportPlaybook(std::string_view json_text, const ImportLimits& limits) {
  ImportResult result;
  if (json_text.size() > limits.max_bytes) {
    result.error =
        Note{"$", std::to_string(json_text.size()) + " bytes, more than the " +
                      std::to_string(limits.max_bytes) + " an import reads; is this a playbook?"};
    return result;
  }
  if (NestingDepth(json_text) > limits.max_depth) {
    result.error = Note{
        "$", "arrays and objects nest more than " + std::to_string(limits.max_depth) + " deep"};
    return result;
  }
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::exception& e) {
    result.error = Note{"$", std::string("not JSON: ") + e.what()};
    return result;
  }
  return Importer(doc, limits).Run();
}

}  // namespace muster::playbook::cacao
