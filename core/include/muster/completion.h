// Shell completion made from a program's CLI11 app itself, so that it always knows every
// verb and option the program has.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace muster {

// A bash script completing |program| (the command name the shell sees, e.g. "muster"):
// `source <(muster completion bash)`.
std::string BashCompletion(const CLI::App& app, const std::string& program);
// The same for zsh, through its bash compatibility layer: for `source <(...)`, or as the
// file _PROGRAM in a folder of $fpath.
std::string ZshCompletion(const CLI::App& app, const std::string& program);

}  // namespace muster
