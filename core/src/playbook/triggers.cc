#include "muster/playbook/triggers.h"

#include <algorithm>

#include "muster/playbook/expression.h"

namespace muster::playbook {
namespace {

// Adds |finding| of |step| to |reads| unless it is there already.
void AddRead(std::vector<StepReads>& reads, const std::string& step, const std::string& finding) {
  auto it =
      std::find_if(reads.begin(), reads.end(), [&](const StepReads& r) { return r.step == step; });
  if (it == reads.end()) it = reads.insert(reads.end(), {step, {}});
  if (std::find(it->findings.begin(), it->findings.end(), finding) == it->findings.end()) {
    it->findings.push_back(finding);
  }
}

}  // namespace

std::vector<StepReads> FindingsRead(const Trigger& trigger) {
  std::vector<StepReads> reads;
  const ParsedExpression parsed = ParseExpression(trigger.when);
  if (!parsed.root) return reads;
  std::vector<const ExprNode*> stack{parsed.root.get()};
  while (!stack.empty()) {
    const ExprNode* node = stack.back();
    stack.pop_back();
    if (node->kind == ExprNode::Kind::kRef && node->scope != kParamScope) {
      AddRead(reads, node->scope, node->name);
    }
    // Children go on the stack last first, so that they are visited in written order.
    for (auto child = node->children.rbegin(); child != node->children.rend(); ++child) {
      stack.push_back(child->get());
    }
  }
  return reads;
}

namespace {

constexpr std::string_view kElseSuffix = "/else";

// Every step the condition of |trigger| reads is done.
bool ReadsDone(const Trigger& trigger, const std::set<std::string>& steps_done) {
  const std::vector<StepReads> reads = FindingsRead(trigger);
  return !reads.empty() && std::all_of(reads.begin(), reads.end(), [&](const StepReads& r) {
    return steps_done.count(r.step) > 0;
  });
}

}  // namespace

std::string ElseId(const std::string& trigger_id) {
  return trigger_id + std::string(kElseSuffix);
}

FiredBranch FindFired(const Playbook& playbook, const std::string& fired_id) {
  const bool otherwise = fired_id.size() > kElseSuffix.size() &&
                         fired_id.compare(fired_id.size() - kElseSuffix.size(),
                                          kElseSuffix.size(), kElseSuffix) == 0;
  const std::string id =
      otherwise ? fired_id.substr(0, fired_id.size() - kElseSuffix.size()) : fired_id;
  for (const Trigger& trigger : playbook.triggers) {
    if (trigger.id != id) continue;
    if (otherwise && trigger.otherwise.empty()) return {};
    return {&trigger, otherwise ? &trigger.otherwise : &trigger.then};
  }
  return {};
}

std::vector<FiredTrigger> EvaluateTriggers(const Playbook& playbook, const FindingValues& values,
                                           const std::set<std::string>& already_fired,
                                           const std::set<std::string>& steps_done) {
  std::vector<FiredTrigger> fired;
  for (const Trigger& trigger : playbook.triggers) {
    if (already_fired.count(trigger.id) > 0 || already_fired.count(ElseId(trigger.id)) > 0) {
      continue;
    }
    // The loader accepted only expressions that parse, so a parse error here means the
    // playbook was built by hand; such a trigger never fires.
    const ParsedExpression parsed = ParseExpression(trigger.when);
    if (!parsed.root) continue;
    const Truth truth = Evaluate(*parsed.root, playbook, values);
    if (truth == Truth::kTrue) {
      fired.push_back({trigger.id, trigger.then});
    } else if (truth == Truth::kFalse && !trigger.otherwise.empty() &&
               ReadsDone(trigger, steps_done)) {
      fired.push_back({ElseId(trigger.id), trigger.otherwise});
    }
  }
  return fired;
}

std::vector<std::string> StepsStoodDown(const Playbook& playbook, const std::string& trigger_id,
                                        const TriggerAction& action) {
  std::set<std::string> deciding;
  if (const FiredBranch fired = FindFired(playbook, trigger_id); fired.trigger != nullptr) {
    for (const StepReads& read : FindingsRead(*fired.trigger)) deciding.insert(read.step);
  }
  std::vector<std::string> ids;
  for (const Step& step : playbook.steps) {
    if (action.phase != kWholeDeployment && step.phase != action.phase) continue;
    if (deciding.count(step.id) == 0) ids.push_back(step.id);
  }
  return ids;
}

}  // namespace muster::playbook
