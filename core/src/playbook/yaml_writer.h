// Writes a JSON value as YAML text for people to read and edit: block maps and lists in
// the order given, multi-line text as literal blocks where that keeps it byte for byte,
// and text that YAML would read as a number, boolean or null in quotes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace muster::playbook {

// The YAML text of |value|, ending with a line feed.
std::string WriteYaml(const nlohmann::ordered_json& value);

}  // namespace muster::playbook
