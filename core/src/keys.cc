#include "muster/keys.h"

#include <zmq.h>

#include <array>
#include <filesystem>

#include "muster/digest.h"
#include "muster/files.h"

namespace muster {

Result<KeyPair> GenerateKeyPair() {
  std::array<char, 41> public_key{};
  std::array<char, 41> secret_key{};
  if (zmq_curve_keypair(public_key.data(), secret_key.data()) != 0) {
    return Status::Error(ErrorCode::kCryptoUnavailable,
                         "libzmq was built without CURVE support; install Debian's libzmq5");
  }
  return KeyPair{public_key.data(), secret_key.data()};
}

bool IsValidZ85Key(const std::string& key) {
  if (key.size() != 40) return false;
  std::array<std::uint8_t, 32> decoded{};
  return zmq_z85_decode(decoded.data(), key.c_str()) != nullptr;
}

Result<KeyPair> LoadOrCreateKeyPair(const std::string& dir, const std::string& name) {
  const std::string secret_path = dir + "/" + name + ".secret";
  const std::string public_path = dir + "/" + name + ".public";
  if (!std::filesystem::exists(secret_path)) {
    Result<KeyPair> fresh = GenerateKeyPair();
    if (!fresh.ok()) return fresh;
    MUSTER_RETURN_IF_ERROR(WriteFileAtomic(secret_path, fresh->secret_key + "\n", 0600));
    MUSTER_RETURN_IF_ERROR(WriteFileAtomic(public_path, fresh->public_key + "\n", 0644));
    return fresh;
  }
  MUSTER_RETURN_IF_ERROR(CheckPrivateFile(secret_path));
  Result<std::string> secret = ReadFile(secret_path, 1024);
  if (!secret.ok()) return secret.status();
  const std::string secret_key = secret->substr(0, secret->find_first_of("\r\n"));
  // The public key follows from the secret one: a crash between the two writes above
  // leaves no public file, and a public file of another pair must not be used.
  std::array<char, 41> derived{};
  if (!IsValidZ85Key(secret_key) || zmq_curve_public(derived.data(), secret_key.c_str()) != 0) {
    return Status::Error(ErrorCode::kBadKey,
                         "the key file " + secret_path +
                             " does not hold a 40-character Z85 key; move it away "
                             "to have a new pair generated");
  }
  KeyPair pair{derived.data(), secret_key};
  if (!std::filesystem::exists(public_path)) {
    MUSTER_RETURN_IF_ERROR(WriteFileAtomic(public_path, pair.public_key + "\n", 0644));
    return pair;
  }
  Result<std::string> pub = ReadFile(public_path, 1024);
  if (!pub.ok()) return pub.status();
  if (pub->substr(0, pub->find_first_of("\r\n")) != pair.public_key) {
    return Status::Error(ErrorCode::kBadKey, public_path + " does not hold the public key of " +
                                                 secret_path +
                                                 "; move both away to have a new pair "
                                                 "generated");
  }
  return pair;
}

std::string KeyFingerprint(const std::string& public_key) {
  std::array<std::uint8_t, 32> decoded{};
  const bool z85 = IsValidZ85Key(public_key) && zmq_z85_decode(decoded.data(), public_key.c_str());
  const std::string digest =
      z85 ? Sha256Hex(std::string_view(reinterpret_cast<const char*>(decoded.data()), decoded.size()))
          : Sha256Hex(public_key);
  return digest.substr(0, 16);
}

}  // namespace muster
