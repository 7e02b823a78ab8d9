// CURVE keys (Curve25519, Z85-encoded as ZeroMQ expects them: 40 characters each).
#pragma once

#include <string>

#include "muster/result.h"

namespace muster {

struct KeyPair {
  std::string public_key;  // Z85, 40 characters
  std::string secret_key;  // Z85, 40 characters; never logged
};

// A fresh keypair from libzmq's CURVE implementation.
Result<KeyPair> GenerateKeyPair();

// True when |key| is 40 characters of the Z85 alphabet that decode to 32 bytes.
bool IsValidZ85Key(const std::string& key);

// Loads DIR/NAME.secret (must be mode 0600) and DIR/NAME.public, or creates both on
// first use. A secret readable by others is refused, not silently repaired.
Result<KeyPair> LoadOrCreateKeyPair(const std::string& dir, const std::string& name);

// A short fingerprint of a public key for logs, audit entries and tables: the first 8
// bytes of the SHA-256 of the decoded key, as 16 lowercase hex digits (Z85's '=', '.' and
// '&' would break key=value log lines).
std::string KeyFingerprint(const std::string& public_key);

}  // namespace muster
