#include "access/password.h"

#include <sodium.h>

namespace muster::hq {

Status CheckPasswordPolicy(const std::string& password) {
  if (password.size() < kMinPasswordLength || password.size() > kMaxPasswordLength) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "a password needs " + std::to_string(kMinPasswordLength) + " to " +
                             std::to_string(kMaxPasswordLength) +
                             " characters; a passphrase of a few words is easiest to type");
  }
  return Status::Ok();
}

Result<std::string> HashPassword(const std::string& password) {
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::Error(ErrorCode::kInternal,
                         "hashing the password ran out of memory (argon2id needs 64 MiB)");
  }
  return std::string(hash);
}

bool VerifyPassword(const std::string& hash, const std::string& password) {
  if (hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void VerifyNothing(const std::string& password) {
  static const std::string kDecoy = [] {
    Result<std::string> decoy = HashPassword("decoy password for unknown names");
    return decoy.ok() ? *decoy : std::string();
  }();
  VerifyPassword(kDecoy, password);
}

}  // namespace muster::hq
