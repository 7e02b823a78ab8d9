// Time's part on the member's laptop, by its own clock and offline: opens the occurrences
// of the recurring steps HQ released to the member, and fires the escalations of the
// member's overdue or blocked tasks. core's playbook/schedule.h decides both, as it does
// at HQ; an escalation fired here reaches HQ as a trigger record, and HQ runs it at most
// once, whichever side reached it first. Also what HQ sent the member's role to read.
#pragma once

#include <ostream>

#include "agent_store.h"
#include "muster/clock.h"

namespace muster::agent {

// Brings the laptop's tasks up to |clock|'s now and tells the member what changed.
Status RunSchedule(AgentStore& store, const Clock& clock, std::ostream& out);

// Prints the notices HQ sent the member's role that the member has not seen, once.
Status PrintNewNotices(AgentStore& store, std::ostream& out);

}  // namespace muster::agent
