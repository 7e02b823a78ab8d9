// Ed25519 detached signatures (libsodium) with keys and signatures carried as base64
// text, the form Muster's key files and signature records use: playbook signatures
// (muster/playbook/signature.h) and signed incident archives (muster/archive.h).
// Callers put a domain string at the start of what they sign, so that a signature made
// for one purpose never verifies as another.
//
// Thread-safety: pure functions (libsodium is initialised by the programs before they run).
#pragma once

#include <string>
#include <string_view>

#include "muster/result.h"

namespace muster::ed25519 {

struct KeyPair {
  std::string public_key;  // 32 bytes, base64
  std::string secret_key;  // 64 bytes (libsodium's seed and public key), base64; never logged
};

// A fresh key pair.
KeyPair Generate();

// The short fingerprint of a base64 public key: the first 16 hex digits of its sha256.
// bad_key when |public_key| is not 32 bytes of base64.
[[nodiscard]] Result<std::string> KeyIdOf(const std::string& public_key);

// The base64 signature of |message| by |key|. bad_key, naming |owner| ("Li's key file")
// and ending with |fix|, when a half is malformed or the halves do not belong together
// (a key file whose halves were mixed up would sign with a key nobody trusts).
[[nodiscard]] Result<std::string> Sign(std::string_view message, const KeyPair& key,
                                       const std::string& owner, const std::string& fix);

// Whether |signature| (base64) is |public_key|'s signature of |message|: false when it is
// not; bad_key, naming |owner|, when the key or the signature is not well-formed base64.
[[nodiscard]] Result<bool> Verify(std::string_view message, const std::string& signature,
                                  const std::string& public_key, const std::string& owner);

}  // namespace muster::ed25519
