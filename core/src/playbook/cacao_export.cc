// Muster playbook -> CACAO 2.0 JSON. docs/playbook-exchange.md gives the mapping.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "cacao_common.h"
#include "muster/playbook/cacao.h"

namespace muster::playbook::cacao {
namespace {

using nlohmann::ordered_json;

const char* WhenEmptyText(WhenEmpty when_empty) {
  return when_empty == WhenEmpty::kWait ? "wait" : "skip";
}

// The CACAO variable type that holds a value of a Muster finding or parameter type.
const char* VariableType(bool is_number, bool is_boolean) {
  return is_number ? "float" : is_boolean ? "bool" : "string";
}

// A finding as the playbook YAML writes it: the extension carries it whole.
ordered_json FindingYaml(const FieldSpec& f) {
  ordered_json j = {{"id", f.id}};
  if (f.label != f.id) j["label"] = f.label;
  j["type"] = ToString(f.type);
  if (f.required) j["required"] = true;
  if (!f.unit.empty()) j["unit"] = f.unit;
  if (f.min) j["min"] = *f.min;
  if (f.max) j["max"] = *f.max;
  if (!f.options.empty()) j["options"] = f.options;
  if (!f.pattern.empty()) j["pattern"] = f.pattern;
  if (f.report != ReportRole::kNone) j["report"] = ToString(f.report);
  return j;
}

ordered_json ActionsYaml(const std::vector<TriggerAction>& actions) {
  ordered_json then = ordered_json::array();
  for (const TriggerAction& a : actions) {
    switch (a.kind) {
      case ActionKind::kActivate:
        then.push_back({{"activate", a.step}});
        break;
      case ActionKind::kAlert:
        then.push_back({{"alert", a.message}, {"severity", a.severity}});
        break;
      case ActionKind::kNotify:
        then.push_back({{"notify", a.message}});
        if (!a.role.empty()) then.back()["to"] = a.role;
        break;
      case ActionKind::kStandDown:
        then.push_back({{"stand_down", a.phase}, {"reason", a.message}});
        break;
    }
  }
  return then;
}

ordered_json TriggerYaml(const Trigger& t) {
  ordered_json trigger = {{"id", t.id}, {"when", t.when}, {"then", ActionsYaml(t.then)}};
  if (!t.otherwise.empty()) trigger["else"] = ActionsYaml(t.otherwise);
  return trigger;
}

ordered_json EscalationsYaml(const std::vector<Escalation>& escalations) {
  ordered_json list = ordered_json::array();
  for (const Escalation& e : escalations) {
    ordered_json item = {{"when", ToString(e.when)}};
    if (e.after_ms > 0) item["after"] = DurationText(e.after_ms);
    item["then"] = ActionsYaml(e.then);
    list.push_back(item);
  }
  return list;
}

// Steps grouped so that every step's dependencies lie in earlier groups: group i holds
// the steps whose longest chain of dependencies has i links. Document order within one.
std::vector<std::vector<const Step*>> Layers(const Playbook& p) {
  std::map<std::string, int> depth;
  bool changed = true;
  while (changed) {  // a loaded playbook has no cycle, so this settles
    changed = false;
    for (const Step& s : p.steps) {
      int d = 0;
      for (const std::string& dep : s.depends_on) d = std::max(d, depth[dep] + 1);
      if (depth[s.id] != d) {
        depth[s.id] = d;
        changed = true;
      }
    }
  }
  std::vector<std::vector<const Step*>> layers;
  for (const Step& s : p.steps) {
    const std::size_t d = static_cast<std::size_t>(depth[s.id]);
    if (layers.size() <= d) layers.resize(d + 1);
    layers[d].push_back(&s);
  }
  return layers;
}

class Exporter {
 public:
  Exporter(const Playbook& p, const ExportOptions& options) : p_(p), options_(options) {}

  ExportResult Run() {
    ordered_json doc;
    doc["type"] = "playbook";
    doc["spec_version"] = kSpecVersion;
    doc["id"] = DerivedId("playbook", Seed("playbook"));
    doc["name"] = p_.title;
    if (!p_.summary.empty()) doc["description"] = p_.summary;
    doc["created_by"] = Creator();
    doc["created"] = options_.timestamp;
    doc["modified"] = options_.timestamp;
    doc["workflow_start"] = DerivedId("start", Seed("start"));
    doc["workflow"] = Workflow();
    doc["agent_definitions"] = Agents();
    if (!p_.parameters.empty()) doc["playbook_variables"] = Variables();
    doc["extension_definitions"] = {{MusterExtensionId(), ExtensionDefinition()}};
    doc["playbook_extensions"] = {{MusterExtensionId(), PlaybookExtension()}};
    AddMarkings(doc);
    return {doc.dump(2), std::move(notes_)};
  }

 private:
  std::string Seed(const std::string& what) const { return "muster:" + p_.id + ":" + what; }
  static std::string Creator() { return DerivedId("identity", "muster:identity:exchange"); }
  std::string ActionKey(const Step& s) const { return DerivedId("action", Seed("step:" + s.id)); }
  std::string AgentKey(const Role& r) const {
    return DerivedId(r.count > 1 ? "group" : "individual", Seed("role:" + r.id));
  }

  // The playbook's marking as CACAO data markings: its TLP level as the standard
  // definition of that level, its classification as a statement.
  void AddMarkings(ordered_json& doc) const {
    if (p_.marking.empty()) return;
    ordered_json definitions = ordered_json::object();
    ordered_json applied = ordered_json::array();
    if (p_.marking.tlp != Tlp::kNone) {
      const std::string id = TlpMarkingId(p_.marking.tlp);
      definitions[id] = {{"type", "marking-tlp"},
                         {"id", id},
                         {"created_by", kTlpMarkingCreator},
                         {"created", kTlpMarkingCreated},
                         {"tlpv2_level", ToString(p_.marking.tlp)}};
      applied.push_back(id);
    }
    if (p_.marking.classification != Classification::kNone) {
      const std::string level = ToString(Marking{Tlp::kNone, p_.marking.classification});
      const std::string id = DerivedId("marking-statement", "muster:classification:" + level);
      definitions[id] = {{"type", "marking-statement"},
                         {"id", id},
                         {"created_by", Creator()},
                         {"created", options_.timestamp},
                         {"statement", kClassificationPrefix + level}};
      applied.push_back(id);
    }
    doc["markings"] = applied;
    doc["data_marking_definitions"] = definitions;
  }

  ordered_json ExtensionDefinition() const {
    return {{"type", "extension-definition"},
            {"name", kExtensionName},
            {"description",
             "What a Muster playbook says that CACAO has no property for: phases, hazards, "
             "roles' sizes and qualifications, step priorities, checklists, typed findings, "
             "exact dependencies and triggers. Keys are those of Muster's playbook YAML."},
            {"created_by", Creator()},
            {"schema",
             "Muster's playbook YAML (docs/playbooks.md); the keys used here and how they map "
             "are in docs/playbook-exchange.md of the Muster source"},
            {"version", kExtensionVersion}};
  }

  ordered_json Agents() const {
    ordered_json agents = ordered_json::object();
    for (const Role& r : p_.roles) {
      ordered_json ext = {{"role_id", r.id}};
      if (r.count != 1) ext["count"] = r.count;
      if (!r.required) ext["required"] = false;
      if (r.when_empty != WhenEmpty::kUnsaid) ext["when_empty"] = WhenEmptyText(r.when_empty);
      if (!r.qualifications.empty()) ext["qualifications"] = r.qualifications;
      agents[AgentKey(r)] = {{"type", r.count > 1 ? "group" : "individual"},
                             {"name", r.title},
                             {"agent_target_extensions", {{MusterExtensionId(), ext}}}};
    }
    return agents;
  }

  ordered_json Variables() const {
    ordered_json variables = ordered_json::object();
    for (const Parameter& x : p_.parameters) {
      ordered_json v = {
          {"type", VariableType(x.type == ParamType::kNumber, x.type == ParamType::kBoolean)}};
      if (!x.description.empty()) v["description"] = x.description;
      if (!x.default_value.empty()) v["value"] = x.default_value;
      v["constant"] = false;
      v["external"] = true;
      variables[VariableName(x.id)] = v;
    }
    return variables;
  }

  ordered_json PlaybookExtension() const {
    ordered_json ext = {{"playbook_id", p_.id}, {"version", p_.version}};
    ordered_json hazards = ordered_json::array();
    for (Hazard h : p_.hazards) hazards.push_back(ToString(h));
    ext["hazards"] = hazards;
    if (!p_.authors.empty()) ext["authors"] = p_.authors;
    if (!p_.marking.empty()) ext["marking"] = ToString(p_.marking);
    ordered_json phases = ordered_json::array();
    for (const Phase& x : p_.phases) phases.push_back({{"id", x.id}, {"title", x.title}});
    ext["phases"] = phases;
    ordered_json order = ordered_json::array();
    for (const Role& r : p_.roles) order.push_back(r.id);
    ext["role_order"] = order;
    order = ordered_json::array();
    for (const Step& s : p_.steps) order.push_back(s.id);
    ext["step_order"] = order;
    ordered_json details = ordered_json::array();
    for (const Parameter& x : p_.parameters) {
      ordered_json d = {{"id", x.id}, {"type", ToString(x.type)}};
      if (!x.unit.empty()) d["unit"] = x.unit;
      details.push_back(d);
    }
    if (!details.empty()) ext["parameter_details"] = details;
    if (!p_.triggers.empty()) {
      ordered_json triggers = ordered_json::array();
      for (const Trigger& t : p_.triggers) triggers.push_back(TriggerYaml(t));
      ext["triggers"] = triggers;
      notes_.push_back({"$.playbook_extensions['" + MusterExtensionId() + "'].triggers",
                        std::to_string(p_.triggers.size()) +
                            " trigger(s) travel only in the Muster extension: their conditions "
                            "are Muster expressions, not STIX patterns, and their alerts, "
                            "notifications and stand-downs have no CACAO step"});
    }
    return ext;
  }

  // The triggers that activate |s|, for the description of a dormant step.
  std::string ActivatedBy(const Step& s) const {
    std::string ids;
    for (const Trigger& t : p_.triggers) {
      for (const auto* actions : {&t.then, &t.otherwise}) {
        for (const TriggerAction& a : *actions) {
          if (a.kind == ActionKind::kActivate && a.step == s.id)
            ids += (ids.empty() ? "" : ", ") + t.id;
        }
      }
    }
    return ids;
  }

  ordered_json StepExtension(const Step& s) const {
    ordered_json ext = {{"step_id", s.id}, {"phase", s.phase}, {"depends_on", s.depends_on}};
    if (s.priority != Priority::kNormal) ext["priority"] = ToString(s.priority);
    if (s.on_trigger) ext["on_trigger"] = true;
    if (s.completion != Completion::kAll) ext["completion"] = ToString(s.completion);
    if (!s.marking.empty()) ext["marking"] = ToString(s.marking);
    if (s.every_ms > 0) ext["every"] = DurationText(s.every_ms);
    if (s.times > 0) ext["times"] = s.times;
    if (!s.escalate.empty()) ext["escalate"] = EscalationsYaml(s.escalate);
    if (s.instructions.empty()) ext["instructions"] = "";
    if (!s.checklist.empty()) ext["checklist"] = s.checklist;
    if (!s.findings.empty()) {
      ordered_json findings = ordered_json::array();
      for (const FieldSpec& f : s.findings) findings.push_back(FindingYaml(f));
      ext["findings"] = findings;
    }
    if (!s.from_library.empty()) ext["from_library"] = s.from_library;
    return ext;
  }

  ordered_json Action(const Step& s, const std::string& next) {
    const std::string key = ActionKey(s);
    const std::string path = PathKey("$.workflow", key);
    ordered_json a = {{"type", "action"}, {"name", s.title}};
    if (s.on_trigger) {
      a["description"] =
          "Dormant: runs only when a Muster trigger activates it (" + ActivatedBy(s) + ").";
      notes_.push_back({path, "step '" + s.id +
                                  "' is dormant until a trigger activates it; a CACAO reader "
                                  "without the Muster extension sees an ordinary step"});
    }
    if (s.every_ms > 0) {
      notes_.push_back({path, "step '" + s.id + "' recurs every " + DurationText(s.every_ms) +
                                  "; CACAO has no recurring step: it travels in the Muster "
                                  "extension, and a reader without it runs the step once"});
    }
    if (!s.escalate.empty()) {
      notes_.push_back({path, "step '" + s.id +
                                  "' escalates when overdue or blocked; CACAO has no "
                                  "escalation: it travels in the Muster extension only"});
    }
    a["on_completion"] = next;
    if (s.due_in_ms > 0) a["timeout"] = s.due_in_ms;
    a["commands"] = ordered_json::array(
        {{{"type", "manual"}, {"command", s.instructions.empty() ? s.title : s.instructions}}});
    const Role* role = p_.FindRole(s.role);
    a["agent"] = role != nullptr ? AgentKey(*role) : "";
    if (!s.findings.empty()) {
      ordered_json variables = ordered_json::object();
      ordered_json out = ordered_json::array();
      for (const FieldSpec& f : s.findings) {
        variables[VariableName(f.id)] = {
            {"type", VariableType(f.type == FieldType::kNumber, f.type == FieldType::kBoolean)},
            {"description", f.label},
            {"value", nullptr}};
        out.push_back(VariableName(f.id));
      }
      a["step_variables"] = variables;
      a["out_args"] = out;
    }
    a["step_extensions"] = {{MusterExtensionId(), StepExtension(s)}};
    if (!s.from_library.empty()) {
      notes_.push_back({path, "step '" + s.id + "' came from the step library '" + s.from_library +
                                  "'; an import writes it into the playbook itself"});
    }
    return a;
  }

  ordered_json Workflow() {
    const auto layers = Layers(p_);
    const std::string end = DerivedId("end", Seed("end"));
    std::vector<std::string> heads;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      heads.push_back(layers[i].size() == 1
                          ? ActionKey(*layers[i][0])
                          : DerivedId("parallel", Seed("parallel:" + std::to_string(i))));
    }
    ordered_json workflow = ordered_json::object();
    workflow[DerivedId("start", Seed("start"))] = {
        {"type", "start"}, {"name", "Start"}, {"on_completion", heads.empty() ? end : heads[0]}};
    bool stricter = false;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const std::string next = i + 1 < layers.size() ? heads[i + 1] : end;
      if (layers[i].size() == 1) {
        workflow[heads[i]] = Action(*layers[i][0], next);
        continue;
      }
      ordered_json branches = ordered_json::array();
      for (const Step* s : layers[i]) {
        const std::string branch_end = DerivedId("end", Seed("end:" + s->id));
        workflow[ActionKey(*s)] = Action(*s, branch_end);
        workflow[branch_end] = {{"type", "end"}, {"name", "End of " + s->title}};
        branches.push_back(ActionKey(*s));
      }
      workflow[heads[i]] = {{"type", "parallel"},
                            {"name", "Steps that may run at the same time"},
                            {"next_steps", branches},
                            {"on_completion", next}};
      if (i + 1 < layers.size()) {
        for (const Step* s : layers[i + 1]) {
          stricter = stricter || s->depends_on.size() < layers[i].size();
        }
      }
    }
    workflow[end] = {{"type", "end"}, {"name", "End"}};
    if (stricter) {
      notes_.push_back({"$.workflow",
                        "CACAO's flow runs the steps in rounds, each after the whole round "
                        "before it, which makes some steps wait for more than their "
                        "dependencies; the exact depends_on travel in the Muster extension"});
    }
    return workflow;
  }

  const Playbook& p_;
  const ExportOptions& options_;
  mutable std::vector<Note> notes_;
};

}  // namespace

ExportResult ExportPlaybook(const Playbook& playbook, const ExportOptions& options) {
  return Exporter(playbook, options).Run();
}

}  // namespace muster::playbook::cacao
