// "Did you mean" for misspelt keys and ids. Internal to the playbook loader.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace muster::playbook {

// Edit distance between |a| and |b|: insertions, deletions, substitutions and swaps of
// neighbouring characters.
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to |word| when it is a plausible misspelling (at most two edits,
// and fewer edits than half the word) or the only candidate that |word| begins; empty
// otherwise.
std::string Nearest(std::string_view word, const std::vector<std::string>& candidates);

// "did you mean 'x'?" when a near candidate exists, else "expected one of: a, b, c"
// (|what_list| names the list in the fallback, e.g. "roles are"). Empty candidates are
// left out: an id that is missing or not valid is stored empty and reported where it is
// written, never offered as a name. The fallback lists at most |max| names (a fixed set of
// keys is listed whole; a playbook's ids may be many).
std::string SuggestHint(std::string_view word, const std::vector<std::string>& candidates,
                        std::string_view what_list, std::size_t max = 12);

// |text| in single quotes for a message; text longer than 60 bytes is cut (at a UTF-8
// character boundary) and ends in "...", so that hostile input cannot flood the output.
std::string Quote(std::string_view text);

// "step 'x'" for a message about the item of |kind| with |id|, or "a step" when |id| is
// empty: an id that is missing or not valid is reported where it is written, never shown
// as ''.
std::string Named(std::string_view kind, std::string_view id);

// "a, b, c" (at most |max| items, then ", ...").
std::string JoinList(const std::vector<std::string>& items, std::size_t max = 12);

}  // namespace muster::playbook
