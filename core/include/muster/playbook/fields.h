// Turning what a member typed ("dose_rate=12.5") into a typed finding value, checked
// against the step's finding schema. Used by the agent at entry (offline) and by HQ.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "muster/playbook/model.h"
#include "muster/playbook/triggers.h"
#include "muster/result.h"

namespace muster::playbook {

struct CheckedValue {
  Value value;
  // The value is valid for its type but outside the playbook's expected range. It is
  // accepted only when the member confirms it: reality wins over the playbook.
  bool out_of_range = false;
  std::string note;  // why it is out of range, for people
};

// Parses |text| as a value of |field|'s type. Errors name the field, what was given and
// what is expected ("dose_rate: expected a number in µSv/h, got 'high'").
Result<CheckedValue> ParseFieldValue(const FieldSpec& field, const std::string& text);

// The JSON-ish text form of a value, for display: 12.5, true, "Cs-137".
std::string FormatValue(const Value& value);

// A finding value as stored in JSON (number, boolean or string); nullopt for anything else.
std::optional<Value> ValueFromJson(const nlohmann::json& value);

// Required fields of |step| that |given| does not name.
std::vector<std::string> MissingRequiredFields(const Step& step,
                                               const std::vector<std::string>& given);

}  // namespace muster::playbook
