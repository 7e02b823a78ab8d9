#include "reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "suggest.h"

namespace muster::playbook {
namespace {

// Counts nodes depth first with an explicit stack, so hostile nesting cannot recurse.
class BudgetWalker {
 public:
  BudgetWalker(const Limits& limits, std::size_t used) : limits_(limits), used_(used) {}

  // Returns the node where a limit was hit, or nothing.
  std::optional<std::pair<YAML::Node, bool>> Walk(const YAML::Node& root) {
    std::vector<std::pair<YAML::Node, int>> stack{{root, 1}};
    while (!stack.empty()) {
      auto [node, depth] = stack.back();
      stack.pop_back();
      if (++used_ > limits_.max_nodes) return std::make_pair(node, true);
      if (depth > limits_.max_depth) return std::make_pair(node, false);
      if (node.IsSequence()) {
        for (const YAML::Node& child : node) stack.push_back({child, depth + 1});
      } else if (node.IsMap()) {
        for (const auto& pair : node) {
          stack.push_back({pair.first, depth + 1});
          stack.push_back({pair.second, depth + 1});
        }
      }
    }
    return std::nullopt;
  }
  std::size_t used() const { return used_; }

 private:
  const Limits& limits_;
  std::size_t used_;
};

}  // namespace

std::string KindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      return Quote(node.Scalar());
    default:
      return "nothing";
  }
}

Where NodeReader::At(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {file_, {}};
  return {file_, {mark.line + 1, mark.column + 1}};
}

Where NodeReader::ScalarStart(const YAML::Node& node, bool* verbatim) const {
  Where where = At(node);
  *verbatim = false;
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.pos < 0 || static_cast<std::size_t>(mark.pos) >= text_.size()) {
    return where;
  }
  std::size_t pos = static_cast<std::size_t>(mark.pos);
  const char first = text_[pos];
  if (first == '"' || first == '\'') {
    ++pos;
    ++where.pos.column;
  }
  const std::string& value = node.Scalar();
  *verbatim = text_.substr(pos, value.size()) == value && value.find('\n') == std::string::npos;
  return where;
}

std::optional<std::vector<Entry>> NodeReader::Keys(const YAML::Node& map, const std::string& what,
                                                   const std::vector<std::string>& allowed,
                                                   const std::vector<std::string>& required) {
  if (!map.IsMap()) {
    reporter_.Error(At(map), what + " must be a map of keys, not " + KindOf(map),
                    "write it as 'key: value' lines; keys are " + JoinList(allowed));
    return std::nullopt;
  }
  std::vector<Entry> entries;
  for (const auto& pair : map) {
    if (!pair.first.IsScalar()) {
      reporter_.Error(At(pair.first), "a key of " + what + " is " + KindOf(pair.first),
                      "keys are plain words: " + JoinList(allowed));
      continue;
    }
    const std::string key = pair.first.Scalar();
    const auto same = [&](const Entry& e) { return e.key == key; };
    if (const auto first = std::find_if(entries.begin(), entries.end(), same);
        first != entries.end()) {
      reporter_.Error(
          At(pair.first), "key " + Quote(key) + " appears twice in " + what,
          "keep one; the first is at line " + std::to_string(At(first->key_node).pos.line));
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      reporter_.Error(At(pair.first), "unknown key " + Quote(key) + " in " + what,
                      SuggestHint(key, allowed, "keys are", allowed.size()));
      continue;
    }
    entries.push_back({key, pair.first, pair.second});
  }
  for (const std::string& key : required) {
    const bool present =
        std::any_of(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; });
    if (!present) {
      reporter_.Error(At(map), what + " has no " + Quote(key), "add '" + key + ":' to it");
    }
  }
  return entries;
}

std::optional<std::string> NodeReader::Text(const Entry& entry, const std::string& what) {
  if (entry.value.IsScalar()) return entry.value.Scalar();
  reporter_.Error(
      entry.value.IsNull() ? At(entry.key_node) : At(entry.value),
      Quote(entry.key) + " of " + what + " must be text, not " + KindOf(entry.value),
      entry.value.IsNull() ? "give it a value or remove the key" : "write it as one value");
  return std::nullopt;
}

std::optional<double> NodeReader::Number(const Entry& entry, const std::string& what) {
  const std::optional<std::string> text = Text(entry, what);
  if (!text) return std::nullopt;
  double number = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, number);
  if (ec == std::errc() && ptr == end && std::isfinite(number)) return number;
  reporter_.Error(At(entry.value),
                  Quote(entry.key) + " of " + what + " must be a number, not " + Quote(*text),
                  "write a number such as 100 or 0.5");
  return std::nullopt;
}

std::optional<bool> NodeReader::Bool(const Entry& entry, const std::string& what) {
  const std::optional<std::string> text = Text(entry, what);
  if (!text) return std::nullopt;
  if (*text == "true") return true;
  if (*text == "false") return false;
  reporter_.Error(At(entry.value),
                  Quote(entry.key) + " of " + what + " must be true or false, not " + Quote(*text),
                  "write true or false");
  return std::nullopt;
}

std::optional<int> NodeReader::Count(const Entry& entry, const std::string& what) {
  const std::optional<std::string> text = Text(entry, what);
  if (!text) return std::nullopt;
  int count = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, count);
  if (ec == std::errc() && ptr == end && count >= 1 && count <= 1000) return count;
  reporter_.Error(At(entry.value),
                  Quote(entry.key) + " of " + what +
                      " must be a whole number from 1 to 1000, not " + Quote(*text),
                  "e.g. count: 2");
  return std::nullopt;
}

bool NodeReader::IsList(const Entry& entry, const std::string& what) {
  if (entry.value.IsSequence()) return true;
  reporter_.Error(entry.value.IsNull() ? At(entry.key_node) : At(entry.value),
                  Quote(entry.key) + " of " + what + " must be a list, not " + KindOf(entry.value),
                  "write the items as '- item' lines or as [a, b]");
  return false;
}

std::vector<std::string> NodeReader::TextList(const Entry& entry, const std::string& what,
                                              std::vector<Where>* at) {
  std::vector<std::string> items;
  if (!IsList(entry, what)) return items;
  for (const YAML::Node& item : entry.value) {
    if (!item.IsScalar()) {
      reporter_.Error(
          At(item),
          "an item of " + Quote(entry.key) + " in " + what + " is " + KindOf(item) + ", not text",
          "each item is one value");
      continue;
    }
    items.push_back(item.Scalar());
    if (at != nullptr) at->push_back(At(item));
  }
  return items;
}

std::optional<std::string> NodeReader::OneOf(const Entry& entry, const std::string& what,
                                             const std::vector<std::string>& options) {
  const std::optional<std::string> text = Text(entry, what);
  if (!text) return std::nullopt;
  if (std::find(options.begin(), options.end(), *text) != options.end()) return text;
  reporter_.Error(At(entry.value), Quote(entry.key) + " of " + what + " cannot be " + Quote(*text),
                  SuggestHint(*text, options, "it is one of"));
  return std::nullopt;
}

bool CheckNodeBudget(const YAML::Node& root, const Limits& limits, NodeReader& reader,
                     std::size_t* used) {
  BudgetWalker walker(limits, *used);
  const auto hit = walker.Walk(root);
  *used = walker.used();
  if (!hit) return true;
  if (hit->second) {
    reader.reporter().Error(
        reader.At(hit->first),
        "the document expands to more than " + std::to_string(limits.max_nodes) +
            " YAML nodes (aliases count every time they are used)",
        "a playbook needs a few thousand nodes; remove repeated aliases (*name) or split it");
  } else {
    reader.reporter().Error(
        reader.At(hit->first),
        "the document nests deeper than " + std::to_string(limits.max_depth) +
            " levels once aliases are expanded",
        "an alias (*name) must not refer to a node that contains it; flatten the structure");
  }
  return false;
}

const Entry* FindEntry(const std::vector<Entry>& entries, std::string_view key) {
  for (const Entry& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

}  // namespace muster::playbook
