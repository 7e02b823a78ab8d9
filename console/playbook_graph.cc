#include "playbook_graph.h"

#include "muster/display.h"
#include "muster/playbook/triggers.h"

namespace muster::console {
namespace {

namespace pb = muster::playbook;
using nlohmann::json;

json StepNode(const pb::Playbook& p, const pb::Step& s) {
  const pb::Role* role = p.FindRole(s.role);
  return {{"id", s.id},
          {"kind", "step"},
          {"label", s.title},
          {"phase", s.phase},
          {"role", s.role},
          {"role_required", role == nullptr || role->required},
          {"on_trigger", s.on_trigger}};
}

// A trigger's node, and the nodes and edges of what it reads and does.
void AddTrigger(const pb::Trigger& t, json& nodes, json& edges) {
  const std::string id = "trigger:" + t.id;
  nodes.push_back({{"id", id}, {"kind", "trigger"}, {"label", t.id}, {"when", t.when}});
  for (const pb::StepReads& read : pb::FindingsRead(t)) {
    edges.push_back(
        {{"from", id}, {"to", read.step}, {"kind", "reads"}, {"findings", read.findings}});
  }
  // The else branch's actions are numbered after then's; their edges say "else".
  std::vector<std::pair<const pb::TriggerAction*, bool>> actions;
  for (const pb::TriggerAction& a : t.then) actions.emplace_back(&a, false);
  for (const pb::TriggerAction& a : t.otherwise) actions.emplace_back(&a, true);
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const pb::TriggerAction& a = *actions[i].first;
    json edge = {{"from", id}};
    if (actions[i].second) edge["branch"] = "else";
    if (a.kind == pb::ActionKind::kActivate) {
      edge["to"] = a.step;
      edge["kind"] = "activates";
      edges.push_back(std::move(edge));
      continue;
    }
    const bool alert = a.kind == pb::ActionKind::kAlert;
    const bool stand_down = a.kind == pb::ActionKind::kStandDown;
    const std::string kind = alert ? "alert" : stand_down ? "stand_down" : "notify";
    json node = {{"id", kind + ":" + t.id + ":" + std::to_string(i + 1)},
                 {"kind", kind},
                 {"label", a.message}};
    if (alert) node["severity"] = a.severity;
    if (stand_down) node["phase"] = a.phase;
    edge["to"] = node["id"];
    edge["kind"] = alert ? "alerts" : stand_down ? "stands_down" : "notifies";
    edges.push_back(std::move(edge));
    nodes.push_back(std::move(node));
  }
}

// ------------------------------------------------------------------------------- DOT

std::string DotQuote(const std::string& text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    if (c == '\n') {
      quoted += "\\n";  // a line break inside the label
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

// A label of several lines; each line is made safe to show, then the whole is quoted.
std::string DotLabel(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += (text.empty() ? "" : "\n") + ForTerminal(line);
  return DotQuote(text);
}

std::string Text(const json& node, const char* key) { return node.value(key, std::string()); }

void WriteStepNode(const json& node, std::ostream& out) {
  const bool optional = !node["role_required"].get<bool>();
  std::string style = "rounded";
  if (node["on_trigger"].get<bool>()) style += ",dashed";
  if (optional) style += ",filled";
  out << "    " << DotQuote(Text(node, "id")) << " [label="
      << DotLabel({Text(node, "label"), Text(node, "id"),
                   Text(node, "role") + (optional ? " (optional role)" : "")})
      << ", tooltip=" << DotLabel({Text(node, "id")}) << ", style=" << DotQuote(style)
      << (optional ? ", fillcolor=\"gray90\"" : "") << "];\n";
}

void WriteOtherNode(const json& node, std::ostream& out) {
  const std::string kind = Text(node, "kind");
  out << "  " << DotQuote(Text(node, "id")) << " [";
  if (kind == "trigger") {
    out << "shape=diamond, label=" << DotLabel({Text(node, "label")})
        << ", tooltip=" << DotLabel({"when " + Text(node, "when")});
  } else {
    const std::string head = kind == "alert"        ? "alert (" + Text(node, "severity") + ")"
                             : kind == "stand_down" ? "stand down " + Text(node, "phase")
                                                    : std::string("notify HQ");
    out << "shape=note, label=" << DotLabel({head, Text(node, "label")});
  }
  out << "];\n";
}

void WriteEdge(const json& edge, std::ostream& out) {
  const std::string kind = Text(edge, "kind");
  out << "  " << DotQuote(Text(edge, "from")) << " -> " << DotQuote(Text(edge, "to"));
  if (kind == "reads") {
    std::vector<std::string> findings = edge["findings"];
    std::string label = "reads";
    for (const std::string& f : findings) label += " " + f;
    out << " [style=dotted, constraint=false, label=" << DotLabel({label}) << "]";
  } else if (Text(edge, "branch") == "else") {
    out << " [style=dashed, label=\"else\"]";
  } else if (kind != "depends_on") {
    out << " [style=dashed]";
  }
  out << ";\n";
}

}  // namespace

json GraphJson(const pb::Playbook& p) {
  json phases = json::array();
  json nodes = json::array();
  json edges = json::array();
  for (const pb::Phase& phase : p.phases) {
    phases.push_back({{"id", phase.id}, {"title", phase.title}});
    for (const pb::Step& s : p.steps) {
      if (s.phase == phase.id) nodes.push_back(StepNode(p, s));
    }
  }
  for (const pb::Step& s : p.steps) {
    for (const std::string& dep : s.depends_on) {
      edges.push_back({{"from", dep}, {"to", s.id}, {"kind", "depends_on"}});
    }
  }
  for (const pb::Trigger& t : p.triggers) AddTrigger(t, nodes, edges);
  return {{"playbook", p.id},
          {"version", p.version},
          {"phases", phases},
          {"nodes", nodes},
          {"edges", edges}};
}

void WriteDot(const pb::Playbook& p, std::ostream& out) {
  const json graph = GraphJson(p);
  out << "digraph " << DotQuote(p.id) << " {\n"
      << "  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n";
  for (const json& phase : graph["phases"]) {
    out << "  subgraph " << DotQuote("cluster_" + Text(phase, "id"))
        << " {\n    label=" << DotLabel({Text(phase, "title")})
        << ";\n    tooltip=" << DotLabel({Text(phase, "id")}) << ";\n";
    for (const json& node : graph["nodes"]) {
      if (Text(node, "kind") == "step" && node["phase"] == phase["id"]) WriteStepNode(node, out);
    }
    out << "  }\n";
  }
  for (const json& node : graph["nodes"]) {
    if (Text(node, "kind") != "step") WriteOtherNode(node, out);
  }
  for (const json& edge : graph["edges"]) WriteEdge(edge, out);
  out << "}\n";
}

}  // namespace muster::console
