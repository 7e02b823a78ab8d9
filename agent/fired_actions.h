// What a fired trigger or escalation does on the member's laptop, at once and offline:
// the same actions HQ runs when the record reaches it (coordinator/domain/deployments.h),
// as far as one laptop can run them, and the words the member reads.
#pragma once

#include <ostream>
#include <vector>

#include "agent_store.h"
#include "muster/playbook/triggers.h"

namespace muster::agent {

// Marks |fired| (a trigger id, or an escalation id from playbook/schedule.h) fired in the
// deployment of |task|, runs its actions locally (activates steps, stands down steps) and
// appends the trigger record that tells HQ. Call inside the verb's transaction.
Status ApplyFired(AgentStore& store, const Task& task, const playbook::Playbook& book,
                  const playbook::FiredTrigger& fired);

// What the fired triggers and escalations do, in the member's words.
void PrintFired(const std::vector<playbook::FiredTrigger>& fired, std::ostream& out);

}  // namespace muster::agent
