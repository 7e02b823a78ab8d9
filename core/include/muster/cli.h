// Parsing a command line the same way in every Muster program (header-only: only the
// programs link CLI11).
#pragma once

#include <optional>

#include <CLI/CLI.hpp>

namespace muster {

// Parses |argv| into |app| and runs the chosen verb's callback. Returns the exit status
// when the program is done: the verb's own (it threw CLI::RuntimeError), 0 after --help,
// 2 for a usage error such as a missing argument or an unknown option (CLI11 prints it).
// Returns nullopt when parsing succeeded and the program goes on.
inline std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& verdict) {
    return verdict.get_exit_code();
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;
  }
  return std::nullopt;
}

}  // namespace muster
