// Reading a password at a command line: from the terminal with echo off, or the first
// line of standard input (--password-stdin, for scripts and tests). Shared by
// `muster login`, `muster operator add|reset` and `muster-coordinator operator`.
#pragma once

#include <string>

#include "muster/result.h"

namespace muster {

struct PasswordPrompt {
  std::string prompt = "password: ";
  bool from_stdin = false;  // read one line of stdin instead of the terminal
  bool confirm = false;     // a new password: ask twice on the terminal
  // How the caller chose stdin, for the message when it holds nothing.
  std::string stdin_source = "--password-stdin";
};

// The password, without its line end. invalid_argument when there is no terminal and
// --password-stdin was not given, when stdin is empty, or when the two entries differ.
Result<std::string> ReadPassword(const PasswordPrompt& how);

}  // namespace muster
