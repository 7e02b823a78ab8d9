// Shell completion made from a program's CLI11 app itself, so that it always knows every
// verb and option the program has.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace muster {

// A bash script completing |program| (the command name the shell sees, e.g. "muster"):
// `source <(muster completion bash)`. It completes verbs and options from |app|; file
// names after the options that take a file (--out, --playbook, --bundle, --to, --from,
// --config, --db, --token-file, --ca, --attach) and for the playbook verbs' arguments;
// directories after --data; and ids where a verb takes one (INCIDENT, TASK, MEMBER,
// AGENT, an alert's ID, and --incident, --member, --task) by asking the program itself:
// `PROGRAM __complete KIND` (with the line's --data, --api, --token-file, --ca, --pin and
// --config) prints the ids it knows, one per line (kCompleteVerb).
// Subcommands in no help group (hidden, like __complete) are not offered.
std::string BashCompletion(const CLI::App& app, const std::string& program);
std::string BashCompletion(const CLI::App& app, const std::string& program);
// The same for zsh, through its bash compatibility layer: for `source <(...)`, or as the
// file _PROGRAM in a folder of $fpath.
std::string ZshCompletion(const CLI::App& app, const std::string& program);

// The hidden verb the scripts call for ids: `PROGRAM __complete KIND`, KIND one of
// incident, task, member, agent, alert. It prints nothing (and exits 0) when it cannot
// answer: completion must never show an error.
inline constexpr const char* kCompleteVerb = "__complete";

}  // namespace muster
