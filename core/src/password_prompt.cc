#include "muster/password_prompt.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace muster {
namespace {

// One line from the terminal with echo off; nullopt at end of input.
std::optional<std::string> ReadHidden(const std::string& prompt) {
  std::cerr << prompt << std::flush;
  termios saved{};
  const bool terminal = tcgetattr(STDIN_FILENO, &saved) == 0;
  if (terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  const bool read = static_cast<bool>(std::getline(std::cin, line));
  if (terminal) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  std::cerr << "\n";
  if (!read) return std::nullopt;
  return line;
}

}  // namespace

Result<std::string> ReadPassword(const PasswordPrompt& how) {
  if (how.from_stdin) {
    std::string line;
    if (!std::getline(std::cin, line) || line.empty()) {
      return Status::Error(ErrorCode::kInvalidArgument,
                           how.stdin_source + ": standard input holds no password line");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  if (!isatty(STDIN_FILENO)) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "no terminal to ask for the password on; pipe it in with "
                         "--password-stdin");
  }
  std::optional<std::string> first = ReadHidden(how.prompt);
  if (!first || first->empty()) {
    return Status::Error(ErrorCode::kInvalidArgument, "no password given");
  }
  if (how.confirm) {
    std::optional<std::string> again = ReadHidden("again: ");
    if (!again || *again != *first) {
      return Status::Error(ErrorCode::kInvalidArgument,
                           "the two passwords differ; nothing was changed");
    }
  }
  return *first;
}

}  // namespace muster
