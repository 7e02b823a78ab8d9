// The self-contained `source` form of a playbook (docs/playbooks.md, "Source"): the
// playbook file followed by each included library, each library after a marker line
//   --- # muster-library: lib/common-steps.yaml
// The result is still a YAML stream. Internal to the loader.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace muster::playbook {

inline constexpr std::string_view kLibraryMarker = "--- # muster-library: ";

struct EmbeddedLibrary {
  std::string path;       // as the playbook's include names it
  std::string_view text;  // the library file's text
  int marker_line = 0;    // line of the marker in the whole source
};

struct SplitSource {
  std::string_view playbook;  // the playbook file's text
  std::vector<EmbeddedLibrary> libraries;
};

// Splits |text| at marker lines; text without markers is all playbook.
SplitSource Split(std::string_view text);

// Appends |text| to |out| and ends it with a line feed if it does not have one.
void AppendDocument(std::string& out, std::string_view text);


}  // namespace muster::playbook
