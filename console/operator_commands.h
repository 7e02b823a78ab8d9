// The verbs for operators: login, logout and whoami for everyone, and the administrator's
// operator add|list|disable|enable|reset|end-sessions (docs/operations.md#operators).
#pragma once

#include <CLI/CLI.hpp>

#include "cli_support.h"

namespace muster::console {

// Adds the verbs to |app|; |context| must outlive parsing.
void RegisterOperatorCommands(CLI::App& app, const Context& context);

}  // namespace muster::console
