// Checks on raw YAML text made before yaml-cpp sees it. yaml-cpp's parser recurses once
// per nesting level and would overflow the stack on input nested thousands deep, so the
// depth is estimated here, from the text, without recursion. Internal to the loader.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "muster/playbook/load.h"

namespace muster::playbook {

struct TextIssue {
  SourcePos pos;
  std::string message;
  std::string hint;
};

// The first byte sequence that is not UTF-8, or a control character other than tab,
// line feed and carriage return (YAML forbids them; they mark binary files).
std::optional<TextIssue> CheckEncoding(std::string_view text);

// An upper estimate of the nesting depth of |text|: indentation levels, compact "- "
// entries and flow brackets. Reports the first line where it exceeds |max_depth|.
std::optional<TextIssue> CheckDepth(std::string_view text, int max_depth);

}  // namespace muster::playbook
