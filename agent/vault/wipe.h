// Carrying out HQ's wipe order (docs/protocol.md, WIPE) on a lost or seized laptop: every
// file of the data directory (the store and its WAL, the attachment copies, the vault
// header, the key socket) and the files given besides (the installed bundle, which holds
// the agent's secret key) are overwritten with zeros and unlinked, and DATA/WIPED is left
// to say when and by which order, so that a verb can explain why nothing is there.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "muster/clock.h"
#include "muster/result.h"
#include "muster/wipe_order.h"

namespace muster::agent {

// Destroys as much as it can and says what it could not (the first failure); the marker
// is written even then.
Status WipeLaptop(const std::string& data_dir, const std::vector<std::string>& also,
                  const WipeOrder& order, Millis now);

// The explanation a verb gives on a wiped laptop, or nothing when it was not wiped.
std::optional<std::string> WipedNotice(const std::string& data_dir);

}  // namespace muster::agent
