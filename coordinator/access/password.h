// Operators' passwords: the policy, and argon2id hashes (libsodium's crypto_pwhash_str,
// at its "interactive" cost: 64 MiB and about 0.1 s per hash on HQ's machine, so a
// stolen store costs an attacker that much per guess per account).
//
// Thread-safe; each call takes the time and memory of one hash.
#pragma once

#include <string>

#include "muster/result.h"

namespace muster::hq {

inline constexpr std::size_t kMinPasswordLength = 12;
inline constexpr std::size_t kMaxPasswordLength = 256;

// invalid_argument unless |password| has kMinPasswordLength..kMaxPasswordLength bytes.
Status CheckPasswordPolicy(const std::string& password);
// The self-describing hash ("$argon2id$v=19$m=…"); internal when memory runs out.
Result<std::string> HashPassword(const std::string& password);
// Whether |password| matches |hash|; false for a hash that is not one.
bool VerifyPassword(const std::string& hash, const std::string& password);
// Spends the time of one verification, for a name that has no account: a login for an
// unknown name then takes as long as one with a wrong password.
void VerifyNothing(const std::string& password);

}  // namespace muster::hq
