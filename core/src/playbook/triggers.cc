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

}  // namespace muster::playbook
