// Checks that need the whole playbook: unique ids, references between steps, roles,
// phases and triggers, dependency cycles, steps that can never become ready, and trigger
// conditions.
#include <algorithm>
#include <map>
#include <set>

#include "loader.h"
#include "muster/playbook/expression.h"
#include "muster/playbook/triggers.h"
#include "suggest.h"

namespace muster::playbook {
namespace {

template <typename T>
std::vector<std::string> IdsOf(const std::vector<T>& items) {
  std::vector<std::string> ids;
  for (const T& item : items) ids.push_back(item.id);
  return ids;
}

// Reports every id of |kind| that repeats an earlier one.
template <typename T, typename WhereOf>
void CheckUnique(const std::vector<T>& items, const std::string& kind, WhereOf where_of,
                 Reporter& reporter) {
  std::map<std::string, int> first_line;
  for (const T& item : items) {
    const std::string& id = item.id;
    if (id.empty()) continue;
    const Where where = where_of(item);
    const auto [it, inserted] = first_line.emplace(id, where.pos.line);
    if (!inserted) {
      reporter.Error(where, "two " + kind + "s have the id " + Quote(id),
                     "rename one; the first is at line " + std::to_string(it->second));
    }
  }
}

}  // namespace

// The dependency graph between steps, by index, with cycle detection.
class StepGraph {
 public:
  explicit StepGraph(const std::vector<StepDraft>& steps) : steps_(steps), edges_(steps.size()) {
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < steps.size(); ++i) index.emplace(steps[i].step.id, i);
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const auto& deps = steps[i].step.depends_on;
      for (std::size_t d = 0; d < deps.size(); ++d) {
        const auto found = index.find(deps[d]);
        if (found != index.end()) edges_[i].push_back({found->second, d});
      }
    }
  }

  struct Edge {
    std::size_t to;
    std::size_t dep_index;  // into depends_on / depends_at
  };

  // Every cycle closed by a back edge of a depth-first search, as step indices with the
  // first step repeated at the end. Iterative: hostile input may chain thousands of steps.
  std::vector<std::vector<std::size_t>> Cycles() const {
    enum Colour { kWhite, kGrey, kBlack };
    std::vector<Colour> colour(steps_.size(), kWhite);
    std::vector<std::vector<std::size_t>> cycles;
    for (std::size_t start = 0; start < steps_.size(); ++start) {
      if (colour[start] != kWhite) continue;
      std::vector<std::pair<std::size_t, std::size_t>> stack{{start, 0}};  // node, next edge
      colour[start] = kGrey;
      while (!stack.empty()) {
        auto& [node, next] = stack.back();
        if (next == edges_[node].size()) {
          colour[node] = kBlack;
          stack.pop_back();
          continue;
        }
        const std::size_t to = edges_[node][next++].to;
        if (colour[to] == kWhite) {
          colour[to] = kGrey;
          stack.push_back({to, 0});
        } else if (colour[to] == kGrey) {
          cycles.push_back(PathFrom(stack, to));
        }
      }
    }
    return cycles;
  }

  const std::vector<Edge>& EdgesOf(std::size_t i) const { return edges_[i]; }

  // For every step that (transitively) waits on a step in |roots|: the edge through which
  // it does. Breadth first from the roots over reversed edges.
  std::map<std::size_t, Edge> Blocked(const std::set<std::size_t>& roots) const {
    std::vector<std::vector<Edge>> reverse(steps_.size());
    for (std::size_t i = 0; i < steps_.size(); ++i) {
      for (const Edge& e : edges_[i]) reverse[e.to].push_back({i, e.dep_index});
    }
    std::map<std::size_t, Edge> blocked;
    std::vector<std::size_t> queue(roots.begin(), roots.end());
    for (std::size_t q = 0; q < queue.size(); ++q) {
      for (const Edge& e : reverse[queue[q]]) {
        if (roots.count(e.to) > 0 || blocked.count(e.to) > 0) continue;
        blocked.emplace(e.to, Edge{queue[q], e.dep_index});
        queue.push_back(e.to);
      }
    }
    return blocked;
  }

 private:
  static std::vector<std::size_t> PathFrom(
      const std::vector<std::pair<std::size_t, std::size_t>>& stack, std::size_t to) {
    std::vector<std::size_t> cycle;
    bool on = false;
    for (const auto& frame : stack) {
      on = on || frame.first == to;
      if (on) cycle.push_back(frame.first);
    }
    // Start at the step written first so that the message is stable.
    std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
    cycle.push_back(cycle.front());
    return cycle;
  }

  const std::vector<StepDraft>& steps_;
  std::vector<std::vector<Edge>> edges_;
};

void Loader::Validate() {
  draft_.playbook.steps.clear();
  for (const StepDraft& s : draft_.steps) draft_.playbook.steps.push_back(s.step);
  draft_.playbook.triggers.clear();
  for (const TriggerDraft& t : draft_.triggers) draft_.playbook.triggers.push_back(t.trigger);
  ValidateUniqueIds();
  ValidateStepReferences();
  ValidateCycles();
  ValidateTriggers();
  ValidateUsage();
  ValidateMarkings();
  ValidateConditionalWaits();
}

// Dependencies whose step may never be done: one that waits for a trigger, and one whose
// role a deployment may leave empty. Both are legal; what they do is documented in
// docs/playbooks.md ("Steps"), and lint says it where it happens.
void Loader::ValidateConditionalWaits() {
  const Playbook& p = draft_.playbook;
  std::set<std::string> unsaid;  // optional roles warned about, once each
  for (const StepDraft& d : draft_.steps) {
    for (std::size_t k = 0; k < d.step.depends_on.size() && k < d.depends_at.size(); ++k) {
      const Step* dep = p.FindStep(d.step.depends_on[k]);
      if (dep == nullptr) continue;
      if (dep->on_trigger && !d.step.on_trigger) {
        reporter_.Warning(d.depends_at[k],
                          "step " + Quote(d.step.id) + " waits on " + Quote(dep->id) +
                              ", which is on_trigger: if no trigger activates " +
                              Quote(dep->id) + ", " + Quote(d.step.id) + " is never ready",
                          "make " + Quote(d.step.id) +
                              " on_trigger too and activate it with the same trigger, or "
                              "stand " + Quote(dep->id) + " down when it is not needed");
      }
      const Role* role = p.FindRole(dep->role);
      if (role != nullptr && !role->required && role->when_empty == WhenEmpty::kUnsaid &&
          role->id != d.step.role && unsaid.insert(role->id).second) {
        reporter_.Warning({file_, role->pos},
                          "optional role " + Quote(role->id) + " does not say what " +
                              Quote(d.step.id) + ", which waits on its step " + Quote(dep->id) +
                              ", does when a deployment leaves the role empty",
                          "add 'when_empty: skip' (steps that wait on its steps go ahead) or "
                          "'when_empty: wait' (they wait until HQ adds a member to the role)");
      }
    }
  }
}

void Loader::ValidateUniqueIds() {
  const Playbook& p = draft_.playbook;
  const auto in_file = [&](const auto& item) { return Where{file_, item.pos}; };
  CheckUnique(p.roles, "role", in_file, reporter_);
  CheckUnique(p.parameters, "parameter", in_file, reporter_);
  CheckUnique(p.phases, "phase", in_file, reporter_);
  std::vector<Step> steps;
  std::vector<Where> at;
  for (const StepDraft& s : draft_.steps) {
    steps.push_back(s.step);
    at.push_back(s.at);
  }
  CheckUnique(
      steps, "step", [&](const Step& s) { return at[&s - steps.data()]; }, reporter_);
  CheckUnique(p.triggers, "trigger", in_file, reporter_);
  for (const Step& step : steps) {
    if (step.id == kParamScope) {
      reporter_.Error(at[&step - steps.data()], "a step cannot be called 'param'",
                      "conditions read parameters as param.NAME; rename the step");
    }
  }
}

void Loader::ValidateStepReferences() {
  const Playbook& p = draft_.playbook;
  const std::vector<std::string> roles = IdsOf(p.roles);
  const std::vector<std::string> phases = IdsOf(p.phases);
  const std::vector<std::string> steps = IdsOf(p.steps);
  // Sets for lookups: a hostile file may hold thousands of steps.
  const std::set<std::string> role_set(roles.begin(), roles.end());
  const std::set<std::string> phase_set(phases.begin(), phases.end());
  const std::set<std::string> step_set(steps.begin(), steps.end());
  for (const StepDraft& d : draft_.steps) {
    const Step& s = d.step;
    const std::string what = Named("step", s.id);
    if (!s.role.empty() && role_set.count(s.role) == 0) {
      reporter_.Error(d.role_at, what + " names role " + Quote(s.role) + ", which is not defined",
                      SuggestHint(s.role, roles, "roles are"));
    }
    if (!s.phase.empty() && phase_set.count(s.phase) == 0) {
      reporter_.Error(d.phase_at,
                      what + " names phase " + Quote(s.phase) + ", which is not defined",
                      SuggestHint(s.phase, phases, "phases are"));
    }
    for (std::size_t i = 0; i < s.depends_on.size(); ++i) {
      const std::string& dep = s.depends_on[i];
      if (dep == s.id) {
        reporter_.Error(d.depends_at[i], what + " depends on itself",
                        "remove " + Quote(dep) + " from its depends_on");
      } else if (step_set.count(dep) == 0 && failed_uses_.count(dep) == 0) {
        reporter_.Error(d.depends_at[i],
                        what + " depends on " + Quote(dep) + ", which is not a step",
                        SuggestHint(dep, steps, "steps are"));
      } else if (std::find(s.depends_on.begin(), s.depends_on.begin() + i, dep) !=
                 s.depends_on.begin() + i) {
        reporter_.Warning(d.depends_at[i], what + " lists " + Quote(dep) + " twice in depends_on",
                          "remove one");
      }
    }
  }
}

void Loader::ValidateCycles() {
  const StepGraph graph(draft_.steps);
  const std::set<std::size_t> in_cycle = ReportCycles(graph);
  const std::set<std::size_t> dormant = ReportDormantSteps();
  std::set<std::size_t> roots = dormant;
  roots.insert(in_cycle.begin(), in_cycle.end());
  for (const auto& [i, edge] : graph.Blocked(roots)) {
    const StepDraft& d = draft_.steps[i];
    const std::string& dep = draft_.steps[edge.to].step.id;
    const std::string why = in_cycle.count(edge.to) > 0  ? "is in a dependency cycle"
                            : dormant.count(edge.to) > 0 ? "is on_trigger and never activated"
                                                         : "can never become ready";
    reporter_.Error(d.depends_at[edge.dep_index],
                    Named("step", d.step.id) + " can never become ready: it waits on " +
                        Quote(dep) + ", which " + why,
                    "fix " + Quote(dep) + " first, or remove it from depends_on");
  }
}

// Reports each dependency cycle once, at the depends_on entry of its first step that
// closes it, and returns the steps in cycles.
std::set<std::size_t> Loader::ReportCycles(const StepGraph& graph) {
  std::set<std::size_t> in_cycle;
  std::set<std::pair<std::size_t, std::size_t>> reported;  // one message per closing edge
  for (const auto& cycle : graph.Cycles()) {
    if (cycle.size() <= 2) continue;  // a step depending on itself is reported already
    in_cycle.insert(cycle.begin(), cycle.end());
    if (!reported.insert({cycle[0], cycle[1]}).second) continue;
    std::string path;
    for (const std::size_t i : cycle) {
      path += (path.empty() ? "" : " -> ") + draft_.steps[i].step.id;
    }
    const auto& edges = graph.EdgesOf(cycle[0]);
    const auto edge =
        std::find_if(edges.begin(), edges.end(), [&](const auto& e) { return e.to == cycle[1]; });
    reporter_.Error(draft_.steps[cycle[0]].depends_at[edge->dep_index], "dependency cycle: " + path,
                    "steps in a cycle wait on each other forever; remove one of these "
                    "depends_on entries");
  }
  return in_cycle;
}

// Reports the on_trigger steps that no trigger activates, and returns them.
std::set<std::size_t> Loader::ReportDormantSteps() {
  std::set<std::string> activated;
  for (const TriggerDraft& t : draft_.triggers) {
    for (const auto* actions : {&t.trigger.then, &t.trigger.otherwise}) {
      for (const TriggerAction& a : *actions) {
        if (a.kind == ActionKind::kActivate) activated.insert(a.step);
      }
    }
  }
  for (const StepDraft& d : draft_.steps) {
    for (const Escalation& escalation : d.step.escalate) {
      for (const TriggerAction& a : escalation.then) {
        if (a.kind == ActionKind::kActivate) activated.insert(a.step);
      }
    }
  }
  std::set<std::size_t> dormant;
  for (std::size_t i = 0; i < draft_.steps.size(); ++i) {
    const StepDraft& d = draft_.steps[i];
    if (!d.step.on_trigger || activated.count(d.step.id) > 0) continue;
    reporter_.Error(
        d.at, Named("step", d.step.id) + " is on_trigger, but no trigger activates it",
        "add '- activate: " + d.step.id + "' to a trigger's or an escalation's then, or remove "
        "on_trigger");
    dormant.insert(i);
  }
  return dormant;
}

// Checks conditions and activations, except those that name a step whose `use:` failed:
// why it failed is reported already (at the `use:`, or in its library).
void Loader::ValidateTriggers() {
  for (const TriggerDraft& t : draft_.triggers) {
    const std::vector<StepReads> reads = FindingsRead(t.trigger);
    const bool reads_failed_use = std::any_of(reads.begin(), reads.end(), [&](const StepReads& r) {
      return failed_uses_.count(r.step) > 0;
    });
    if (t.when_at.pos.line > 0 && !reads_failed_use) ValidateTriggerExpression(t);  // read as text
    for (std::size_t i = 0; i < t.trigger.then.size(); ++i) {
      ValidateActionTargets(Named("trigger", t.trigger.id), t.trigger.then[i], t.action_at[i]);
    }
    for (std::size_t i = 0; i < t.trigger.otherwise.size(); ++i) {
      ValidateActionTargets("the else of " + Named("trigger", t.trigger.id),
                            t.trigger.otherwise[i], t.else_at[i]);
    }
    if (!t.trigger.otherwise.empty() && reads.empty() && t.when_at.pos.line > 0) {
      reporter_.Error(t.when_at,
                      Named("trigger", t.trigger.id) +
                          " has an else, but its condition reads no step's findings",
                      "else runs once the steps the condition reads are done; read a finding "
                      "(STEP.FIELD), or remove else");
    }
  }
  for (const StepDraft& d : draft_.steps) {
    for (std::size_t e = 0; e < d.step.escalate.size(); ++e) {
      const Escalation& escalation = d.step.escalate[e];
      const std::string who = "the " + std::string(ToString(escalation.when)) +
                              " escalation of " + Named("step", d.step.id);
      for (std::size_t i = 0; i < escalation.then.size(); ++i) {
        ValidateActionTargets(who, escalation.then[i], d.escalate_action_at[e][i]);
      }
    }
  }
}

void Loader::ValidateActionTargets(const std::string& who, const TriggerAction& action,
                                   const Where& at) {
  if (action.kind == ActionKind::kNotify && !action.role.empty() &&
      draft_.playbook.FindRole(action.role) == nullptr) {
    reporter_.Error(at, who + " notifies " + Quote(action.role) + ", which is not a role",
                    SuggestHint(action.role, IdsOf(draft_.playbook.roles), "roles are"));
  }
  if (action.kind != ActionKind::kActivate || failed_uses_.count(action.step) > 0) return;
  const Step* step = draft_.playbook.FindStep(action.step);
  if (step == nullptr) {
    reporter_.Error(at, who + " activates " + Quote(action.step) + ", which is not a step",
                    SuggestHint(action.step, IdsOf(draft_.playbook.steps), "steps are"));
  } else if (!step->on_trigger) {
    reporter_.Error(at, who + " activates step " + Quote(action.step) + ", which is not on_trigger",
                    "add 'on_trigger: true' to step " + Quote(action.step) +
                        " so that it waits for the activation");
  }
}

void Loader::ValidateTriggerExpression(const TriggerDraft& t) {
  const auto at = [&](std::size_t offset) {
    Where where = t.when_at;
    if (t.when_is_plain_line) where.pos.column += static_cast<int>(offset);
    return where;
  };
  const ParsedExpression parsed = ParseExpression(t.trigger.when);
  if (parsed.error) {
    reporter_.Error(
        at(parsed.error->offset),
        "in the condition of " + Named("trigger", t.trigger.id) + ": " + parsed.error->message,
        parsed.error->hint);
    return;
  }
  for (const ExpressionIssue& issue : CheckExpression(*parsed.root, draft_.playbook)) {
    const std::string message =
        "in the condition of " + Named("trigger", t.trigger.id) + ": " + issue.message;
    if (issue.warning) {
      reporter_.Warning(at(issue.offset), message, issue.hint);
    } else {
      reporter_.Error(at(issue.offset), message, issue.hint);
    }
  }
}

// A step may raise its playbook's marking, never lower it: work on it would then travel
// further than the playbook allows.
void Loader::ValidateMarkings() {
  const Marking& floor = draft_.playbook.marking;
  for (const StepDraft& d : draft_.steps) {
    if (d.marking_at.pos.line == 0 || !Lowers(d.step.marking, floor)) continue;
    reporter_.Error(d.marking_at,
                    "the marking of " + Named("step", d.step.id) + " (" + ToString(d.step.marking) +
                        ") is lower than the playbook's (" + ToString(floor) + ")",
                    "a step may raise the playbook's marking, never lower it; write at least " +
                        ToString(Raise(d.step.marking, floor)));
  }
}

void Loader::ValidateUsage() {
  const Playbook& p = draft_.playbook;
  std::set<std::string> used_roles;
  std::set<std::string> used_phases;
  for (const Step& s : p.steps) {
    used_roles.insert(s.role);
    used_phases.insert(s.phase);
  }
  for (const Role& role : p.roles) {
    if (!role.id.empty() && used_roles.count(role.id) == 0) {
      reporter_.Warning({file_, role.pos}, "role " + Quote(role.id) + " has no steps",
                        "give it a step, or remove it");
    }
  }
  for (const Phase& phase : p.phases) {
    if (!phase.id.empty() && used_phases.count(phase.id) == 0) {
      reporter_.Warning({file_, phase.pos}, "phase " + Quote(phase.id) + " has no steps",
                        "give it a step, or remove it");
    }
  }
}

}  // namespace muster::playbook
