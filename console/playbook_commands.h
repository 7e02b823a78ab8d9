// `muster playbook lint|show|graph|import|export|keygen|sign|verify`: the playbook author's
// verbs (the last three in signature_commands.h). They work on files only and need no
// coordinator.
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

// `import --from cacao FILE`: the CACAO 2.0 playbook in |path| as Muster playbook YAML,
// written to |output| (or |out| when empty). Each note (what could not be represented)
// goes to |err| as "FILE: note: PATH: MESSAGE". 0 when the YAML loads as a playbook,
// 1 when the document cannot be imported or the YAML does not load (the loader's
// diagnostics are printed; the YAML is still written), 2 on a usage error. With |json|,
// |out| gets one JSON object instead: {file, output, yaml (when not written to a file),
// notes [{path, message}], valid}.
int ImportCommand(const std::string& format, const std::string& path, const std::string& output,
                  std::ostream& out, std::ostream& err, bool json = false);
// `export --to cacao FILE`: the playbook in |path| as CACAO 2.0 JSON, to |output| or |out|,
// with |timestamp| (UTC, milliseconds) as its created and modified time. Notes go to |err|
// as for import. 0 on success, 1 when the playbook has errors, 2 on a usage error (a step
// library, a missing file, a format other than cacao). With |json|, |out| gets
// {file, output, cacao (the document, when not written to a file), notes}.
int ExportCommand(const std::string& format, const std::string& path, const std::string& output,
                  const std::string& timestamp, std::ostream& out, std::ostream& err,
                  bool json = false);

// The YAML files |path| names: itself, or every *.yaml / *.yml below it, sorted.
// Empty when |path| does not exist.
std::vector<std::string> PlaybookFiles(const std::string& path);

}  // namespace muster::console
