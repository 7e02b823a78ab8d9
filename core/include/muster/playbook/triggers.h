// Trigger evaluation: the same code decides on the agent (offline, at once) and at HQ.
#pragma once

#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "muster/playbook/model.h"

namespace muster::playbook {

// A recorded finding value, typed as the step's FieldSpec says.
using Value = std::variant<double, bool, std::string>;

// The latest value of every field recorded in one deployment, keyed "step_id.field_id".
using FindingValues = std::map<std::string, Value>;

struct FiredTrigger {
  std::string trigger_id;  // the trigger's id, or ElseId of it when its else ran
  std::vector<TriggerAction> actions;
};

// The id under which a trigger's else branch is marked fired and sent to HQ: "ID/else".
// A trigger is decided once, by whichever branch ran first.
std::string ElseId(const std::string& trigger_id);

// The trigger |fired_id| names (its own id or its ElseId) in |playbook| and the actions of
// that branch; nullptr when the playbook has no such trigger.
struct FiredBranch {
  const Trigger* trigger = nullptr;
  const std::vector<TriggerAction>* actions = nullptr;
};
FiredBranch FindFired(const Playbook& playbook, const std::string& fired_id);

// The findings of one step that a trigger's condition reads.
struct StepReads {
  std::string step;                   // a step id
  std::vector<std::string> findings;  // its field ids, each once, in the order first read
};

// What |trigger|'s condition reads, by step in the order the steps first appear;
// parameters (`param.NAME`) are left out. Every node of the parsed condition is walked,
// whatever its kind. Empty when the condition does not parse.
std::vector<StepReads> FindingsRead(const Trigger& trigger);

// The triggers not yet decided (neither their id nor their ElseId in |already_fired|), in
// document order, whose `when` holds for |values|; and those with an `else` whose
// condition is false (not unknown) once every step it reads is in |steps_done|. A trigger
// is decided at most once per deployment: the caller records the ids it acted on and
// passes them back next time.
std::vector<FiredTrigger> EvaluateTriggers(const Playbook& playbook, const FindingValues& values,
                                           const std::set<std::string>& already_fired,
                                           const std::set<std::string>& steps_done = {});

// The ids of the steps that the stand-down |action| of trigger |trigger_id| (or its ElseId)
// closes: every
// step of its phase (or of the playbook), except the steps whose findings the trigger's
// condition reads. Those decided the stand-down; their members finish them as usual, so
// that a completion that travels behind its finding is never a conflict.
std::vector<std::string> StepsStoodDown(const Playbook& playbook, const std::string& trigger_id,
                                        const TriggerAction& action);

}  // namespace muster::playbook
