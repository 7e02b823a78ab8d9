// `muster-agent team`: the teammates' progress as HQ last relayed it, and how old that is.
// HQ queues a "team" snapshot of a deployment whenever one of its tasks changes state
// (coordinator/hq_team.cc); the agent keeps the latest one per deployment.
#pragma once

#include <ostream>

#include "agent_store.h"

namespace muster::agent {

// |clock| is the laptop's; the view's age is counted in HQ's time as the laptop best knows
// it (ClockOfHq, verbs.h).
Status ShowTeam(AgentStore& store, const Clock& clock, bool json, std::ostream& out);

}  // namespace muster::agent
