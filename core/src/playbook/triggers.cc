#include "muster/playbook/triggers.h"

#include "muster/playbook/expression.h"

namespace muster::playbook {

std::vector<FiredTrigger> EvaluateTriggers(const Playbook& playbook, const FindingValues& values,
                                           const std::set<std::string>& already_fired) {
  std::vector<FiredTrigger> fired;
  for (const Trigger& trigger : playbook.triggers) {
    if (already_fired.count(trigger.id) > 0) continue;
    // The loader accepted only expressions that parse, so a parse error here means the
    // playbook was built by hand; such a trigger never fires.
    const ParsedExpression parsed = ParseExpression(trigger.when);
    if (!parsed.root) continue;
    if (Evaluate(*parsed.root, playbook, values) != Truth::kTrue) continue;
    fired.push_back({trigger.id, trigger.then});
  }
  return fired;
}

std::vector<std::string> StepsStoodDown(const Playbook& playbook, const std::string& trigger_id,
                                        const TriggerAction& action) {
  std::set<std::string> deciding;
  for (const Trigger& trigger : playbook.triggers) {
    if (trigger.id != trigger_id) continue;
    const ParsedExpression parsed = ParseExpression(trigger.when);
    if (parsed.root) deciding = StepsReadBy(*parsed.root);
  }
  std::vector<std::string> ids;
  for (const Step& step : playbook.steps) {
    if (action.phase != kWholeDeployment && step.phase != action.phase) continue;
    if (deciding.count(step.id) == 0) ids.push_back(step.id);
  }
  return ids;
}

}  // namespace muster::playbook
