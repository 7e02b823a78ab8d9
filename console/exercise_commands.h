// The verbs of exercises (docs/programme.md, "Exercises"): exercise start INCIDENT SCRIPT
// (play a script of injects on an exercise incident), exercise status INCIDENT (the
// injects, planned and fired) and exercise report INCIDENT [--out FOLDER] (the
// after-action report as Markdown, JSON and PNG charts).
#pragma once

#include <CLI/CLI.hpp>

#include "cli_support.h"

namespace muster::console {

// Adds the verbs to |app|; |context| must outlive parsing.
void RegisterExerciseCommands(CLI::App& app, const Context& context);

}  // namespace muster::console
