// The verbs for running a deployment: task, deployment, alert, timeline, sitrep, watch
// and completion. Each talks to the coordinator's API (docs/api.md).
#pragma once

#include <CLI/CLI.hpp>

#include "cli_support.h"

namespace muster::console {

// Adds the verbs to |app|; |context| (which coordinator, --json) must outlive parsing.
void RegisterOpsCommands(CLI::App& app, const Context& context);

}  // namespace muster::console
