#include "fired_actions.h"

#include "muster/display.h"
#include "muster/playbook/schedule.h"
#include "muster/wire/records.h"

namespace muster::agent {

Status ApplyFired(AgentStore& store, const Task& task, const playbook::Playbook& book,
                  const playbook::FiredTrigger& fired) {
  MUSTER_RETURN_IF_ERROR(store.MarkTriggerFired(task.deployment, fired.trigger_id));
  for (const auto& action : fired.actions) {
    if (action.kind == playbook::ActionKind::kActivate) {
      MUSTER_RETURN_IF_ERROR(store.ActivateStep(task.deployment, action.step));
    }
    if (action.kind == playbook::ActionKind::kStandDown) {
      for (const std::string& step : playbook::StepsStoodDown(book, fired.trigger_id, action)) {
        MUSTER_RETURN_IF_ERROR(store.StandDownStep(
            task.deployment, step,
            "stood down by trigger " + fired.trigger_id + ": " + action.message));
      }
    }
  }
  auto seq = store.outbox().Append(wire::TriggerRecord{task.id, fired.trigger_id});
  return seq.ok() ? Status::Ok() : seq.status();
}

void PrintFired(const std::vector<playbook::FiredTrigger>& fired, std::ostream& out) {
  for (const auto& hit : fired) {
    const auto escalation = playbook::ParseEscalationId(hit.trigger_id);
    if (escalation) out << "ESCALATION: task " << ForTerminal(escalation->task) << "\n";
    for (const auto& action : hit.actions) {
      switch (action.kind) {
        case playbook::ActionKind::kActivate:
          out << (escalation ? "ESCALATION" : "TRIGGER " + hit.trigger_id) << ": step "
              << action.step << " is now active\n";
          break;
        case playbook::ActionKind::kAlert:
          out << "ALERT (" << (action.severity.empty() ? "warning" : action.severity)
              << "): " << ForTerminal(action.message) << "\n";
          break;
        case playbook::ActionKind::kNotify:
          out << "HQ will be notified"
              << (action.role.empty() ? "" : ", for the " + action.role + " role") << ": "
              << ForTerminal(action.message) << "\n";
          break;
        case playbook::ActionKind::kStandDown:
          out << "STAND DOWN ("
              << (action.phase == playbook::kWholeDeployment ? "the whole deployment"
                                                              : "phase " + action.phase)
              << "): " << ForTerminal(action.message) << "\n";
          break;
      }
    }
  }
}

}  // namespace muster::agent
