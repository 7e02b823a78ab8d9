// Typed access to yaml-cpp nodes that reports what is wrong instead of throwing.
// Internal to the loader. Every accessor takes the map that holds the key, so that a
// missing key is reported at the map and a bad value at the value.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "draft.h"

namespace muster::playbook {

// One key of a map, with its node (for positions) and its value. Copy-construct entries
// but never assign them: YAML::Node's assignment changes the document node itself.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

// The entry with |key|, or nullptr.
const Entry* FindEntry(const std::vector<Entry>& entries, std::string_view key);

class NodeReader {
 public:
  // |text| is the document |file| holds; it is read to place columns inside scalars.
  NodeReader(std::string file, std::string_view text, Reporter& reporter)
      : file_(std::move(file)), text_(text), reporter_(reporter) {}

  const std::string& file() const { return file_; }
  Reporter& reporter() { return reporter_; }
  Where At(const YAML::Node& node) const;

  // The entries of |map| after checking its keys: unknown keys (with "did you mean"),
  // repeated keys and missing required keys are reported. |what| names the map in
  // messages ("step 'survey'"). Returns nothing when |map| is not a map.
  std::optional<std::vector<Entry>> Keys(const YAML::Node& map, const std::string& what,
                                         const std::vector<std::string>& allowed,
                                         const std::vector<std::string>& required);

  // Typed values; each reports a wrong type at |value| and returns nothing.
  std::optional<std::string> Text(const Entry& entry, const std::string& what);
  std::optional<double> Number(const Entry& entry, const std::string& what);
  std::optional<bool> Bool(const Entry& entry, const std::string& what);
  std::optional<int> Count(const Entry& entry, const std::string& what);
  // A list of scalars; |at| receives the position of each item.
  std::vector<std::string> TextList(const Entry& entry, const std::string& what,
                                    std::vector<Where>* at = nullptr);
  // A sequence; reports anything else.
  bool IsList(const Entry& entry, const std::string& what);
  // A scalar that must be one of |options|.
  std::optional<std::string> OneOf(const Entry& entry, const std::string& what,
                                   const std::vector<std::string>& options);

  // Where the characters of scalar |node| start in the file, and whether its value is
  // spelled out on one line exactly as written (so offsets into the value are columns).
  Where ScalarStart(const YAML::Node& node, bool* verbatim) const;

 private:
  std::string file_;
  std::string_view text_;
  Reporter& reporter_;
};

// Counts the nodes under |root| with aliases expanded, stopping at |max_nodes| or when
// nesting passes |max_depth| (an alias can nest a subtree below itself). Returns false
// when a limit was hit and reports it.
bool CheckNodeBudget(const YAML::Node& root, const Limits& limits, NodeReader& reader,
                     std::size_t* used);

// The word for a node's kind in messages: "a list", "a map", "text", "nothing".
std::string KindOf(const YAML::Node& node);

}  // namespace muster::playbook
