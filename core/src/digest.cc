#include "muster/digest.h"

#include <vector>

namespace muster {

Sha256::Sha256() { crypto_hash_sha256_init(&state_); }

void Sha256::Update(std::string_view data) {
  crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(data.data()),
                            data.size());
}

std::string Sha256::HexDigest() {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state_, digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * sizeof digest);
  for (const unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0x0F]);
  }
  return hex;
}

std::string Sha256Hex(std::string_view data) {
  Sha256 hash;
  hash.Update(data);
  return hash.HexDigest();
}

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 2 * crypto_hash_sha256_BYTES) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string TlsFingerprint(std::string_view der) { return "sha256:" + Sha256Hex(der); }

bool IsTlsFingerprint(std::string_view text) {
  constexpr std::string_view kPrefix = "sha256:";
  return text.substr(0, kPrefix.size()) == kPrefix && IsSha256Hex(text.substr(kPrefix.size()));
}

std::string RandomHex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string hex(2 * bytes + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  hex.pop_back();
  return hex;
}

}  // namespace muster
