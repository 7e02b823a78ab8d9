// `muster playbook lint|show|graph`: the playbook author's verbs. They work on files
// only and need no coordinator.
#pragma once

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>
#include <vector>

#include "muster/playbook/load.h"

namespace muster::console {

// Adds the `playbook` subcommand to |app|. Callbacks signal their exit status with
// CLI::RuntimeError: 0 every file valid, 1 a file has errors, 2 a usage error (a path
// that does not exist, a folder without YAML files). |global_json| is the console's own
// --json flag, read when a verb runs: `muster --json playbook lint` answers JSON too.
void RegisterPlaybookCommands(CLI::App& app, const bool& global_json);

// The verbs without CLI11, for tests. Each writes to |out| and |err| and returns the
// exit status.
int LintCommand(const std::vector<std::string>& paths, bool json, std::ostream& out,
                std::ostream& err);
int ShowCommand(const std::string& path, bool json, std::ostream& out, std::ostream& err);
// DOT for Graphviz, or with |json| the same graph as {"nodes": [...], "edges": [...]}.
int GraphCommand(const std::string& path, bool json, std::ostream& out, std::ostream& err);

// The YAML files |path| names: itself, or every *.yaml / *.yml below it, sorted.
// Empty when |path| does not exist.
std::vector<std::string> PlaybookFiles(const std::string& path);

}  // namespace muster::console
