// Finding values against the step's finding schema: turning what a member typed
// ("dose_rate=12.5") into a typed value (the agent, at entry and offline), and checking a
// typed value that arrived in a record (HQ, before it stores it). Both apply one set of
// rules.
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

// A file a finding record describes in its `attachments`: the file's name and, when the
// member attached it through an attachment field, that field's id.
struct AttachedFile {
  std::string name;
  std::string field;  // empty: attached to the finding as a whole
};

// What a finding record says about a value besides the value itself.
struct ValueContext {
  // The member confirmed this field's out-of-range value (the record's `confirmed`).
  bool confirmed = false;
  // Every file the record describes; only attachment fields look at them.
  std::vector<AttachedFile> files;
};

// Checks |value|, a finding value as it travels in a record (a JSON number, boolean or
// string), against |field| with the rules ParseFieldValue applies to what a member typed:
// the same code, so that HQ stores only what an agent could have recorded. A number must
// be finite and in range unless |context.confirmed|; a boolean field takes a boolean;
// every other type takes a string that passes its type's rule (enum option, UTC time,
// place, sample id pattern, required text). A non-empty attachment value must be the name
// of one of |context.files| that is attached through this field or through none.
// Errors are `invalid_value` naming the field, what was given and what is expected;
// `invalid_playbook` when the playbook's sample id pattern cannot be used.
Status CheckFieldValue(const FieldSpec& field, const nlohmann::json& value,
                       const ValueContext& context);

// Why RE2 cannot use |pattern| as a sample id pattern, or nullopt when it can. Patterns
// are RE2 syntax (ECMAScript's without backreferences or lookaround) and match in time
// linear in the value: no pattern makes a value take long to check.
std::optional<std::string> PatternProblem(const std::string& pattern);
// Whether |text| matches |pattern| whole; false when the pattern cannot be used.
bool MatchesPattern(const std::string& pattern, const std::string& text);

// The JSON-ish text form of a value, for display: 12.5, true, "Cs-137".
std::string FormatValue(const Value& value);

// A finding value as stored in JSON (number, boolean or string); nullopt for anything else.
std::optional<Value> ValueFromJson(const nlohmann::json& value);

// A check-in's position (wire::PositionRecord): a required geolocation field named
// `position`, so that the agent and HQ check it with the rules above.
const FieldSpec& PositionField();

// Required fields of |step| that |given| does not name.
std::vector<std::string> MissingRequiredFields(const Step& step,
                                               const std::vector<std::string>& given);

}  // namespace muster::playbook
