// Loading and validating playbooks. One entry point for every program.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "muster/playbook/model.h"

namespace muster::playbook {

enum class Severity { kError, kWarning };

// One problem found in a playbook, in the form compilers use:
// "FILE:LINE:COL: error: MESSAGE" followed by the hint, if any.
struct Diagnostic {
  Severity severity = Severity::kError;
  std::string file;
  SourcePos pos;
  std::string message;  // what is wrong
  std::string hint;     // how to fix it; may be empty
  std::string ToString() const;
};

struct Limits {
  std::size_t max_bytes = 1 << 20;  // 1 MiB of YAML
  int max_depth = 64;               // nesting of maps and sequences
  std::size_t max_nodes = 100'000;  // after alias expansion
};

struct LoadOptions {
  // Where `include:` looks for step libraries; the including file's folder when empty.
  std::string library_dir;
  // When false, every included library must be carried in the text (the `source` form);
  // agents and the coordinator load published sources this way.
  bool read_libraries_from_disk = true;
  Limits limits;
};

// How published sources (Playbook::source) are loaded by the coordinator and the agents:
// every library comes from the text itself, nothing from this machine's disk.
inline LoadOptions PublishedSourceOptions() {
  LoadOptions options;
  options.read_libraries_from_disk = false;
  return options;
}

// A step library read on its own: what it offers to the playbooks that include it.
struct StepLibrary {
  std::string id;       // the `library:` key
  std::string version;  // empty when the library gives none
  std::string title;
  std::string description;
  std::vector<Role> roles;  // placeholders an including playbook maps: id and title only
  std::vector<Step> steps;  // without phase; their roles are placeholders
};

struct LoadResult {
  std::optional<Playbook> playbook;  // set only when there is no error
  std::vector<Diagnostic> diagnostics;
  bool is_library = false;  // LintFile only: the file is a step library, not a playbook
  std::optional<StepLibrary> library;  // a library checked on its own, when it has no error
  bool ok() const { return playbook.has_value(); }
};

// Counts the errors (not the warnings) among |diagnostics|.
int ErrorCount(const std::vector<Diagnostic>& diagnostics);

// Parses and validates |text|; |file| names it in diagnostics and anchors includes.
// Never throws; reports every error it can find, not only the first.
LoadResult LoadText(std::string_view text, const std::string& file,
                    const LoadOptions& options = {});
// Reads |path| and calls LoadText.
LoadResult LoadFile(const std::string& path, const LoadOptions& options = {});

// Whether |text| is a step library: its top-level map has a `library:` key.
bool IsLibraryText(std::string_view text);
// Checks a step library on its own: everything that does not need an including playbook
// (keys, types, findings, the library's roles and internal dependencies). The result's
// |library| is set when there is no error.
LoadResult CheckLibraryText(std::string_view text, const std::string& file,
                            const LoadOptions& options = {});
// For `muster playbook lint`: checks |path| as a library when it is one, else loads it
// as a playbook.
LoadResult LintFile(const std::string& path, const LoadOptions& options = {});

}  // namespace muster::playbook
