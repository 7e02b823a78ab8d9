#include "muster/ed25519.h"

#include <sodium.h>

#include "muster/digest.h"

namespace muster::ed25519 {
namespace {

std::string ToBase64(const unsigned char* bytes, std::size_t size) {
  std::string text(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(text.data(), text.size(), bytes, size, sodium_base64_VARIANT_ORIGINAL);
  text.resize(text.size() - 1);  // the terminating NUL
  return text;
}

// Exactly |size| bytes from |text|; bad_key naming |what| otherwise.
Result<std::string> FromBase64(const std::string& text, std::size_t size, const std::string& what) {
  std::string bytes(size, '\0');
  std::size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(),
                        text.size(), nullptr, &length, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size() || length != size) {
    return Status::Error(ErrorCode::kBadKey, what + " is not " + std::to_string(size) +
                                                 " bytes of base64; copy it again from its source");
  }
  return bytes;
}

const unsigned char* Bytes(std::string_view bytes) {
  return reinterpret_cast<const unsigned char*>(bytes.data());
}

}  // namespace

KeyPair Generate() {
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(public_key, secret_key);
  KeyPair key{ToBase64(public_key, sizeof public_key), ToBase64(secret_key, sizeof secret_key)};
  sodium_memzero(secret_key, sizeof secret_key);
  return key;
}

Result<std::string> KeyIdOf(const std::string& public_key) {
  auto bytes = FromBase64(public_key, crypto_sign_PUBLICKEYBYTES, "the public key");
  if (!bytes.ok()) return bytes.status();
  return Sha256Hex(*bytes).substr(0, 16);
}

Result<std::string> Sign(std::string_view message, const KeyPair& key, const std::string& owner,
                         const std::string& fix) {
  auto secret = FromBase64(key.secret_key, crypto_sign_SECRETKEYBYTES, "the secret key of " + owner);
  if (!secret.ok()) return secret.status();
  auto public_key =
      FromBase64(key.public_key, crypto_sign_PUBLICKEYBYTES, "the public key of " + owner);
  if (!public_key.ok()) return public_key.status();
  if (secret->compare(crypto_sign_SECRETKEYBYTES - crypto_sign_PUBLICKEYBYTES,
                      crypto_sign_PUBLICKEYBYTES, *public_key) != 0) {
    sodium_memzero(secret->data(), secret->size());
    return Status::Error(ErrorCode::kBadKey,
                         "the halves of " + owner + " do not belong together; " + fix);
  }
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, Bytes(message), message.size(), Bytes(*secret));
  sodium_memzero(secret->data(), secret->size());
  return ToBase64(signature, sizeof signature);
}

Result<bool> Verify(std::string_view message, const std::string& signature,
                    const std::string& public_key, const std::string& owner) {
  auto key = FromBase64(public_key, crypto_sign_PUBLICKEYBYTES, "the public key of " + owner);
  if (!key.ok()) return key.status();
  auto bytes = FromBase64(signature, crypto_sign_BYTES, "the signature by " + owner);
  if (!bytes.ok()) return bytes.status();
  return crypto_sign_verify_detached(Bytes(*bytes), Bytes(message), message.size(), Bytes(*key)) ==
         0;
}

}  // namespace muster::ed25519
