// A playbook's window of validity: `valid_from` and `valid_until` (docs/playbooks.md#metadata).
// A date (YYYY-MM-DD) means the whole day in UTC: from its first millisecond when it starts
// the window, to its last when it ends it; a UTC time (YYYY-MM-DDTHH:MM[:SS]Z) means that
// instant. HQ refuses to deploy a playbook outside its window, by HQ's clock.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "muster/playbook/model.h"
#include "muster/result.h"

namespace muster::playbook {

// The instant |text| names, in milliseconds since the epoch (UTC); a date is its first
// millisecond, or its last when |end_of_day|. Empty when |text| is neither form or names
// no real day.
std::optional<std::int64_t> ParseValidityTime(const std::string& text, bool end_of_day);

// Whether |book| may be deployed at |now_ms|: invalid_playbook, naming the window and
// the fix, before valid_from or after valid_until.
Status CheckValidity(const Playbook& book, std::int64_t now_ms);

}  // namespace muster::playbook
