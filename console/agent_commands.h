// `muster agent revoke|rotate`: cutting an agent off, and giving it a new key.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "audit_commands.h"

namespace muster::console {

// Adds `revoke` and `rotate` under the console's `agent` subcommand.
void RegisterAgentKeyCommands(CLI::App& agent, Connector connect, const bool& json);

// Writes the bundle of an enrolment or rotation answer to |path| (mode 0600) and drops
// it from the answer, so that the secret key is in the file and not on the screen.
Result<json> SaveBundle(Result<json> answer, const std::string& path);

}  // namespace muster::console
