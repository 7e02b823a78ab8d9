// Small file-system helpers with errors as values.
#pragma once

#include <string>

#include "muster/result.h"

namespace muster {

// Reads a whole file; refuses files larger than |max_bytes|.
Result<std::string> ReadFile(const std::string& path, std::size_t max_bytes = 64u << 20);

// Writes |content| to |path| atomically (temporary file, fsync, rename) with |mode|
// (e.g. 0600 for secrets). A crash leaves either the old file or the new one.
Status WriteFileAtomic(const std::string& path, const std::string& content, unsigned mode = 0644);

// Creates |path| and its parents with |mode| if missing.
Status EnsureDirectory(const std::string& path, unsigned mode = 0700);

// Fails when |path| can be read or written by group or others: secret keys and tokens
// must be 0600 (or stricter).
Status CheckPrivateFile(const std::string& path);

// The user's Muster directory of an XDG kind: $|variable| (when absolute), else $HOME +
// |home_fallback|, followed by "/muster"; empty when neither is set. E.g.
// UserMusterDir("XDG_CONFIG_HOME", "/.config") is ~/.config/muster.
std::string UserMusterDir(const char* variable, const char* home_fallback);

}  // namespace muster
