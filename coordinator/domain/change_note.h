// How an officer's edit is told in the timeline and the audit log: each changed field's
// old and new value (incidents and roster entries alike).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace muster::hq {

// Adds |field| to |changes| ({from, to}) and to the one-line |summary| when its value
// changed; nothing when it did not.
inline void NoteChange(const std::string& field, const nlohmann::json& before,
                       const nlohmann::json& after, nlohmann::json& changes, std::string& summary) {
  if (before == after) return;
  changes[field] = {{"from", before}, {"to", after}};
  const auto text = [](const nlohmann::json& value) -> std::string {
    if (value.is_array()) {
      std::string words;
      for (const auto& item : value) words += (words.empty() ? "" : ", ") + item.get<std::string>();
      return words.empty() ? "none" : words;
    }
    if (value.is_string()) {
      return value.get<std::string>().empty() ? "none" : value.get<std::string>();
    }
    return value.dump();
  };
  summary += (summary.empty() ? "" : "; ") + field + " " + text(before) + " -> " + text(after);
}

}  // namespace muster::hq
