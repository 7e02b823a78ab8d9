// How long free text may be, field by field (docs/api.md, "Text limits"). The API refuses
// longer operator text (invalid_argument), HQ refuses a longer record (invalid_value, the
// record kept with its refusal), and the agent refuses it at entry, so that a member
// learns it while still on the scene. Lengths count characters (Unicode code points).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "muster/result.h"

namespace muster::limits {

inline constexpr std::size_t kShort = 200;  // a title, a location, a name, a contact
inline constexpr std::size_t kLine = 1000;  // a reason, an alert message, a need
inline constexpr std::size_t kText = 8000;  // a report's conditions or actions, a
                                            // finding's text value (a note is bounded by
                                            // the record's size, protocol.h)
inline constexpr std::size_t kFileName = 255;

// The number of characters of |text| (a byte that is not UTF-8 counts as one).
std::size_t Characters(std::string_view text);

// |code| naming |field|, its length and the limit when |text| is over |limit| characters.
[[nodiscard]] Status CheckLength(std::string_view field, std::string_view text, std::size_t limit,
                                 ErrorCode code = ErrorCode::kInvalidArgument);

// |text| cut to |limit| characters with a mark saying how long it was; unchanged when it
// fits. For a safety alert's message, which is never refused for its length.
std::string Cut(std::string_view text, std::size_t limit);

}  // namespace muster::limits
