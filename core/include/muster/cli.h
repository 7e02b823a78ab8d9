// Parsing a command line the same way in every Muster program (header-only, for the
// programs, which link CLI11).
#pragma once

#include <algorithm>
#include <iostream>
#include <optional>
#include <string_view>

#include <CLI/CLI.hpp>

#include "muster/display.h"

namespace muster {

// `PROGRAM --version` prints "PROGRAM VERSION" (the project's version, CMakeLists.txt).
inline void AddVersionFlag(CLI::App& app, const std::string& program) {
  app.set_version_flag("--version", program + " " + MUSTER_VERSION);
}

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

// What a program's output passes through on its way to a terminal: field text cannot act
// on it (muster/display.h). Standard output is left alone when the command line asks for
// JSON (--json), which escapes control characters itself and must stay lossless.
class ProgramOutput {
 public:
  ProgramOutput(int argc, char** argv) : errors_(std::cerr) {
    const bool json = std::any_of(argv + 1, argv + argc,
                                  [](const char* arg) { return std::string_view(arg) == "--json"; });
    if (!json) text_.emplace(std::cout);
  }

 private:
  std::optional<TerminalSafeOutput> text_;
  TerminalSafeOutput errors_;
};

}  // namespace muster
