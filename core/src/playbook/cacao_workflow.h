// Follows a CACAO 2.0 workflow from its start step and says, for every action step it
// reaches, which action steps must be complete before that one starts. This is how the
// importer turns CACAO's flow of steps into Muster's dependencies, and how tests compare
// two workflows by what they mean rather than by how their steps are wired.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "muster/playbook/cacao.h"

namespace muster::playbook::cacao {

struct FlowAction {
  std::string key;                 // its key in `workflow`: "action--…"
  std::vector<std::string> after;  // keys of the action steps it waits on, first reached first
};

struct Flow {
  std::vector<FlowAction> actions;   // in the order the flow first reaches them
  std::vector<std::string> reached;  // every workflow key the flow reached, of any type
};

struct FlowResult {
  std::optional<Flow> flow;   // unless |error|
  std::optional<Note> error;  // a missing or dangling reference, a cycle, an unknown type
  std::vector<Note> notes;    // branches and paths Muster cannot represent, and what was done
};

// Reads `workflow_start` and `workflow` of |document|. Parallel branches, both branches of
// an if-condition, every case of a switch-condition and the body of a while-condition
// (once) are followed; on_failure paths and playbook-action steps are not.
FlowResult FollowWorkflow(const nlohmann::json& document, const ImportLimits& limits);

}  // namespace muster::playbook::cacao
