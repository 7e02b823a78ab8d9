// The verbs for incidents and the roster: incident create|list|show|update,
// member add|list|update, and tactical reports (report add|list).
#pragma once

#include <CLI/CLI.hpp>

#include "cli_support.h"

namespace muster::console {

// Adds the verbs to |app|; |context| (which coordinator, --json) must outlive parsing.
void RegisterRosterCommands(CLI::App& app, const Context& context);

}  // namespace muster::console
