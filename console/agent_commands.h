// `muster agent enroll|revoke|rotate`: giving a member's laptop a key, cutting an agent
// off, and re-keying it. Keys are made here: the secret goes only into the bundle file.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "audit_commands.h"

namespace muster::console {

// Adds `enroll`, `revoke` and `rotate` under the console's `agent` subcommand.
void RegisterAgentKeyCommands(CLI::App& agent, Connector connect, const bool& json);

}  // namespace muster::console
