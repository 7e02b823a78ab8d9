// SHA-256 (libsodium), as lowercase hex: content hashes of playbooks and attachments.
#pragma once

#include <sodium.h>

#include <string>
#include <string_view>

namespace muster {

// Hashes data given in pieces, e.g. a file read chunk by chunk.
class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  // The digest of everything given so far, as 64 lowercase hex digits. Call once.
  std::string HexDigest();

 private:
  crypto_hash_sha256_state state_;
};

// The sha256 of |data| as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);

// Whether |text| looks like a Sha256Hex result.
bool IsSha256Hex(std::string_view text);

// A TLS certificate's fingerprint as Muster shows and takes it everywhere (the
// coordinator's log and coordinator.json, the console's --pin): "sha256:" and the
// Sha256Hex of the certificate's DER bytes.
std::string TlsFingerprint(std::string_view der);
// Whether |text| is shaped like a TlsFingerprint result.
bool IsTlsFingerprint(std::string_view text);
// |bytes| random bytes from libsodium as 2 × |bytes| lowercase hex digits: tokens, ids.
std::string RandomHex(std::size_t bytes);

}  // namespace muster
