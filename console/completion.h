// Shell completion made from the CLI11 app itself, so that it always knows every verb
// and option the console has.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace muster::console {

// A bash script: `source <(muster completion bash)`.
std::string BashCompletion(const CLI::App& app);
// The same for zsh, through its bash compatibility layer.
std::string ZshCompletion(const CLI::App& app);

}  // namespace muster::console
