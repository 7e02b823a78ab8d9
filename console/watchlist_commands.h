// The verbs for persons of interest (docs/programme.md): watchlist set FILE (entries from
// a JSON file), list, remove NOTICE, assign INCIDENT [NOTICE...] [--region CC],
// unassign INCIDENT NOTICE..., show INCIDENT. Officers and administrators only.
#pragma once

#include <CLI/CLI.hpp>

#include "cli_support.h"

namespace muster::console {

// Adds the verbs to |app|; |context| must outlive parsing.
void RegisterWatchlistCommands(CLI::App& app, const Context& context);

}  // namespace muster::console
