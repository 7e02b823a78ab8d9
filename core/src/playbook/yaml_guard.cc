#include "yaml_guard.h"

#include <cstdint>
#include <cstdio>
#include <vector>

namespace muster::playbook {
namespace {

// Length of the UTF-8 sequence starting at |s[i]|, or 0 when it is not well formed
// (truncated, overlong, a surrogate, or beyond U+10FFFF).
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t code = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kMinimum[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

std::string Hex(std::uint8_t byte) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%02X", byte);
  return buffer;
}

// Tracks the line and column (1-based, in bytes) while walking the text.
struct Cursor {
  int line = 1;
  int column = 1;
  void Step(char c) {
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
};

// Estimates nesting line by line: the stack of indentation columns in block context,
// plus compact "- " and "? " entries, plus open flow brackets.
class DepthScanner {
 public:
  explicit DepthScanner(int max_depth) : max_depth_(max_depth) {}

  std::optional<TextIssue> Scan(std::string_view text) {
    int line_number = 0;
    std::size_t start = 0;
    while (start <= text.size() && !issue_) {
      std::size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      ScanLine(text.substr(start, end - start), ++line_number);
      start = end + 1;
    }
    return issue_;
  }

 private:
  void ScanLine(std::string_view line, int line_number) {
    line_ = line_number;
    if (flow_ > 0) {
      ScanFlow(line, 0);
      return;
    }
    std::size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size() || line[i] == '#' || line[i] == '\r') return;
    if (i == 0 && IsDocumentMarker(line)) {
      // A document starts or ends: nesting starts again from nothing. A value may follow
      // "--- " on the same line.
      indents_.clear();
      base_ = 0;
      const std::size_t value = FindValueStart(line, 3);
      if (value < line.size() && (line[value] == '[' || line[value] == '{')) ScanFlow(line, value);
      return;
    }
    while (!indents_.empty() && indents_.back() >= i) indents_.pop_back();
    indents_.push_back(i);
    base_ = static_cast<int>(indents_.size());
    Check(i);
    i = SkipEntryMarkers(line, i);
    const std::size_t value = FindValueStart(line, i);
    if (value < line.size() && (line[value] == '[' || line[value] == '{')) ScanFlow(line, value);
  }

  // Each "- " or "? " opens one more level; "- - - x" is three sequences deep.
  std::size_t SkipEntryMarkers(std::string_view line, std::size_t i) {
    while (i < line.size() && (line[i] == '-' || line[i] == '?') &&
           (i + 1 == line.size() || line[i + 1] == ' ' || line[i + 1] == '\t')) {
      ++base_;
      Check(i);
      ++i;
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    }
    return i;
  }

  // Where the value of "key: value" (or of a bare entry) starts, past anchors and tags.
  static std::size_t FindValueStart(std::string_view line, std::size_t i) {
    i = SkipProperties(line, i);
    if (i < line.size() && line[i] != '[' && line[i] != '{') {
      const std::size_t colon = line.find(": ", i);
      if (colon == std::string_view::npos) return line.size();
      i = SkipProperties(line, colon + 2);
    }
    return i;
  }

  // Skips spaces and the anchors (&name) and tags (!tag) that may precede a node.
  static std::size_t SkipProperties(std::string_view line, std::size_t i) {
    while (i < line.size()) {
      while (i < line.size() && line[i] == ' ') ++i;
      if (i >= line.size() || (line[i] != '&' && line[i] != '!')) break;
      while (i < line.size() && line[i] != ' ') ++i;
    }
    return i;
  }

  void ScanFlow(std::string_view line, std::size_t i) {
    char previous = ' ';
    for (; i < line.size() && !issue_; ++i) {
      const char c = line[i];
      if (quote_ != 0) {
        ScanQuoted(line, i);
        continue;
      }
      if (c == '"' || (c == '\'' && IsOneOf(previous, " [{,:"))) {
        quote_ = c;
      } else if (c == '#' && (previous == ' ' || previous == '\t')) {
        return;
      } else if (c == '[' || c == '{') {
        ++flow_;
        Check(i);
      } else if ((c == ']' || c == '}') && --flow_ <= 0) {
        flow_ = 0;
        return;
      }
      if (c != ' ') previous = c;
    }
  }

  void ScanQuoted(std::string_view line, std::size_t& i) {
    const char c = line[i];
    if (quote_ == '"' && c == '\\') {
      ++i;
    } else if (c == quote_) {
      if (quote_ == '\'' && i + 1 < line.size() && line[i + 1] == '\'') {
        ++i;
      } else {
        quote_ = 0;
      }
    }
  }

  static bool IsDocumentMarker(std::string_view line) {
    const std::string_view marker = line.substr(0, 3);
    return (marker == "---" || marker == "...") &&
           (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
  }

  static bool IsOneOf(char c, std::string_view set) {
    return set.find(c) != std::string_view::npos;
  }

  void Check(std::size_t column) {
    if (issue_ || base_ + flow_ <= max_depth_) return;
    issue_ = TextIssue{{line_, static_cast<int>(column) + 1},
                       "the document nests deeper than " + std::to_string(max_depth_) + " levels",
                       "playbooks need a handful of levels; flatten the structure (the limit "
                       "protects the loader from hostile input)"};
  }

  int max_depth_;
  std::vector<std::size_t> indents_;
  int base_ = 0;
  int flow_ = 0;
  char quote_ = 0;
  int line_ = 0;
  std::optional<TextIssue> issue_;
};

}  // namespace

std::optional<TextIssue> CheckEncoding(std::string_view text) {
  Cursor cursor;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<std::uint8_t>(text[i]);
    const std::size_t length = Utf8Length(text, i);
    if (length == 0) {
      return TextIssue{{cursor.line, cursor.column},
                       "byte " + Hex(byte) + " is not valid UTF-8",
                       "save the file as UTF-8 text; binary files are not playbooks"};
    }
    if (length == 1 && (byte < 0x20 || byte == 0x7F) && byte != '\t' && byte != '\n' &&
        byte != '\r') {
      return TextIssue{{cursor.line, cursor.column},
                       "control character " + Hex(byte) + " is not allowed in YAML",
                       "remove it; binary files are not playbooks"};
    }
    cursor.Step(text[i]);
    i += length;
  }
  return std::nullopt;
}

std::optional<TextIssue> CheckDepth(std::string_view text, int max_depth) {
  return DepthScanner(max_depth).Scan(text);
}

}  // namespace muster::playbook
