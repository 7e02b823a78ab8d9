// Parsing a command line the same way in every Muster program (header-only, for the
// programs, which link CLI11).
#pragma once

#include <algorithm>
#include <iostream>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include "muster/display.h"

namespace muster {

// `PROGRAM --version` prints "PROGRAM VERSION" (the project's version, CMakeLists.txt).
inline void AddVersionFlag(CLI::App& app, const std::string& program) {
  app.set_version_flag("--version", program + " " + MUSTER_VERSION);
}

// Whether the command line asks for JSON output (--json anywhere in it).
inline bool AsksForJson(int argc, char** argv) {
  return std::any_of(argv + 1, argv + argc,
                     [](const char* arg) { return std::string_view(arg) == "--json"; });
}

// For options that take a whole number: "ID: 'abc' is not a whole number" rather than
// CLI11's "Could not convert".
inline CLI::Validator WholeNumber() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const std::size_t digits = text.find_first_not_of("0123456789", text[0] == '-' ? 1 : 0);
        const bool whole = !text.empty() && text != "-" && digits == std::string::npos &&
                           text.size() <= 18;
        return whole ? "" : "'" + text + "' is not a whole number";
      },
      "NUMBER");
}

// The word of |candidates| closest to |word| (edit distance, adjacent swaps counting
// one), if it is close enough to be a slip: at most 1 edit for words up to 4 letters, 2
// beyond. Empty when none is.
inline std::string Closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = word.size() <= 4 ? 2 : 3;
  for (const std::string& candidate : candidates) {
    const std::size_t n = word.size(), m = candidate.size();
    std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
    for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= n; ++i) {
      for (std::size_t j = 1; j <= m; ++j) {
        const std::size_t cost = word[i - 1] == candidate[j - 1] ? 0 : 1;
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
        if (i > 1 && j > 1 && word[i - 1] == candidate[j - 2] && word[i - 2] == candidate[j - 1]) {
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    if (d[n][m] < best_distance) {
      best_distance = d[n][m];
      best = candidate;
    }
  }
  return best;
}

// The program's name as typed, without its directory.
inline std::string ProgramName(const CLI::App& app) {
  const std::string& name = app.get_name();
  return name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
}

// Names an unknown verb or option on the command line, with the closest known one: the
// message CLI11 gives for them ("A subcommand is required", "The following argument was
// not expected") does not say which word was wrong. Empty when every verb and option is
// known (the error is something else).
inline std::string UnknownWordHint(CLI::App& app, int argc, char** argv) {
  std::vector<CLI::App*> chain = {&app};  // the verbs named so far; options fall through
  std::string path = ProgramName(app);
  auto find_option = [&](const std::string& name) -> const CLI::Option* {
    for (CLI::App* level : chain) {
      for (const CLI::Option* option : level->get_options()) {
        if (option->check_name(name)) return option;
      }
    }
    return nullptr;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.size() > 1 && arg[0] == '-') {
      const std::string name = arg.substr(0, arg.find('='));
      const CLI::Option* option = find_option(name);
      if (option == nullptr) {
        std::vector<std::string> known;
        for (CLI::App* level : chain) {
          for (const CLI::Option* candidate : level->get_options()) {
            for (const std::string& long_name : candidate->get_lnames()) {
              known.push_back("--" + long_name);
            }
          }
        }
        const std::string near = Closest(name, known);
        return "unknown option '" + name + "'" +
               (near.empty() ? "" : "; did you mean '" + near + "'?") + " (see '" + path +
               " --help')";
      }
      if (arg.find('=') == std::string::npos && option->get_expected_max() > 0) ++i;
      continue;
    }
    CLI::App* current = chain.back();
    std::vector<std::string> verbs;
    for (CLI::App* sub : current->get_subcommands([](CLI::App*) { return true; })) {
      verbs.push_back(sub->get_name());
      if (sub->check_name(arg)) {
        chain.push_back(sub);
        path += " " + sub->get_name();
        verbs.clear();
        break;
      }
    }
    if (verbs.empty()) continue;  // a verb, or a value for a verb without sub-verbs
    const bool takes_words = current->get_options([](CLI::Option* option) {
                                         return option->get_positional();
                                       }).size() > 0;
    if (takes_words) continue;
    const std::string near = Closest(arg, verbs);
    return "unknown command '" + arg + "' for '" + path + "'" +
           (near.empty() ? "" : "; did you mean '" + near + "'?") + " (see '" + path +
           " --help')";
  }
  return "";
}

// Parses |argv| into |app| and runs the chosen verb's callback. Returns the exit status
// when the program is done: the verb's own (it threw CLI::RuntimeError), 0 after --help,
// 2 for a usage error such as a missing argument or an unknown option, named with the
// closest known word. With --json on the command line a usage error is printed as JSON
// on standard output ({"error": {"code": "invalid_argument", "message"}}), as the API's
// errors are. Returns nullopt when parsing succeeded and the program goes on.
inline std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& verdict) {
    return verdict.get_exit_code();
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
    std::string message = UnknownWordHint(app, argc, argv);
    if (message.empty()) message = error.what();
    if (AsksForJson(argc, argv)) {
      std::cout << nlohmann::json{{"error", {{"code", "invalid_argument"}, {"message", message}}}}
                       .dump(2)
                << "\n";
    } else {
      std::cerr << ProgramName(app) << ": " << message << "\n";
      if (message == error.what()) std::cerr << "Run with --help for more information.\n";
    }
    return 2;
  }
  return std::nullopt;
}

// What a program's output passes through on its way to a terminal: field text cannot act
// on it (muster/display.h). Standard output is left alone when the command line asks for
// JSON (--json), which escapes control characters itself and must stay lossless.
class ProgramOutput {
 public:
  ProgramOutput(int argc, char** argv) : errors_(std::cerr) {
    if (!AsksForJson(argc, argv)) text_.emplace(std::cout);
  }

 private:
  std::optional<TerminalSafeOutput> text_;
  TerminalSafeOutput errors_;
};

}  // namespace muster
