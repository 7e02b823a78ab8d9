#include "muster/playbook/signature.h"

#include <sodium.h>

#include "../wire/body_reader.h"
#include "muster/digest.h"

namespace muster::playbook {
namespace {

constexpr const char* kKeyFileKind = "muster-playbook-author-key";

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

const unsigned char* Bytes(const std::string& bytes) {
  return reinterpret_cast<const unsigned char*>(bytes.data());
}

// The domain, the hash (64 hex digits, so the author's name after it is unambiguous) and
// the author: a signature relabelled with another name does not verify.
std::string SignedMessage(const std::string& content_hash, const std::string& author) {
  return std::string(kSignatureDomain) + content_hash + "\n" + author;
}

}  // namespace

nlohmann::json AuthorKey::Encode() const {
  return {{"kind", kKeyFileKind},
          {"author", author},
          {"key_id", key_id},
          {"public_key", public_key},
          {"secret_key", secret_key}};
}

Result<AuthorKey> AuthorKey::Decode(const nlohmann::json& body) {
  wire::BodyReader reader(body, "a playbook author's key file");
  if (reader.String("kind") != kKeyFileKind && reader.ok()) {
    reader.Fail(ErrorCode::kBadKey,
                "this is not a playbook author's key file (made by "
                "muster playbook keygen)");
  }
  AuthorKey key;
  key.author = reader.String("author");
  key.key_id = reader.String("key_id");
  key.public_key = reader.String("public_key");
  key.secret_key = reader.String("secret_key");
  return wire::Finish(reader, std::move(key));
}

nlohmann::json Signature::Encode() const {
  return {{"author", author},
          {"key_id", key_id},
          {"public_key", public_key},
          {"content_hash", content_hash},
          {"signature", signature}};
}

Result<Signature> Signature::Decode(const nlohmann::json& body) {
  wire::BodyReader reader(body, "a playbook signature");
  Signature signature;
  signature.author = reader.String("author");
  signature.key_id = reader.String("key_id");
  signature.public_key = reader.String("public_key");
  signature.content_hash = reader.String("content_hash");
  signature.signature = reader.String("signature");
  return wire::Finish(reader, std::move(signature));
}

Result<AuthorKey> GenerateAuthorKey(const std::string& author) {
  if (author.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument, "a key needs its author's name: --author");
  }
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  unsigned char secret_key[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(public_key, secret_key);
  AuthorKey key;
  key.author = author;
  key.public_key = ToBase64(public_key, sizeof public_key);
  key.secret_key = ToBase64(secret_key, sizeof secret_key);
  sodium_memzero(secret_key, sizeof secret_key);
  key.key_id = KeyIdOf(key.public_key).value();
  return key;
}

Result<std::string> KeyIdOf(const std::string& public_key) {
  auto bytes = FromBase64(public_key, crypto_sign_PUBLICKEYBYTES, "the public key");
  if (!bytes.ok()) return bytes.status();
  return Sha256Hex(*bytes).substr(0, 16);
}

Result<Signature> Sign(const std::string& content_hash, const AuthorKey& key) {
  auto secret = FromBase64(key.secret_key, crypto_sign_SECRETKEYBYTES,
                           "the secret key of " + key.author + "'s key file");
  if (!secret.ok()) return secret.status();
  // libsodium's secret key ends with its public half: a key file whose halves were mixed
  // up would sign with a key nobody trusts.
  auto public_key = FromBase64(key.public_key, crypto_sign_PUBLICKEYBYTES,
                               "the public key of " + key.author + "'s key file");
  if (!public_key.ok()) return public_key.status();
  if (secret->compare(crypto_sign_SECRETKEYBYTES - crypto_sign_PUBLICKEYBYTES,
                      crypto_sign_PUBLICKEYBYTES, *public_key) != 0) {
    return Status::Error(ErrorCode::kBadKey, "the halves of " + key.author +
                                                 "'s key file do not belong together; make a "
                                                 "new key with muster playbook keygen");
  }
  const std::string message = SignedMessage(content_hash, key.author);
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, Bytes(message), message.size(), Bytes(*secret));
  sodium_memzero(secret->data(), secret->size());
  Signature signed_record;
  signed_record.author = key.author;
  signed_record.key_id = KeyIdOf(key.public_key).value();
  signed_record.public_key = key.public_key;
  signed_record.content_hash = content_hash;
  signed_record.signature = ToBase64(signature, sizeof signature);
  return signed_record;
}

Status Verify(const Signature& signature, const std::string& content_hash) {
  const std::string signer = signature.author + "'s key " + signature.key_id;
  if (signature.content_hash != content_hash) {
    return Status::Error(ErrorCode::kInvalidPlaybook,
                         "the signature by " + signer + " is for content " +
                             signature.content_hash.substr(0, 12) + ", not for this playbook (" +
                             content_hash.substr(0, 12) + "); sign this version again");
  }
  auto public_key = FromBase64(signature.public_key, crypto_sign_PUBLICKEYBYTES,
                               "the public key in the signature by " + signature.author);
  if (!public_key.ok()) return public_key.status();
  if (KeyIdOf(signature.public_key).value() != signature.key_id) {
    return Status::Error(ErrorCode::kInvalidPlaybook,
                         "the signature by " + signer + " names a key id that is not its key's (" +
                             KeyIdOf(signature.public_key).value() +
                             "); get the signed file from its author");
  }
  auto bytes =
      FromBase64(signature.signature, crypto_sign_BYTES, "the signature by " + signature.author);
  if (!bytes.ok()) return bytes.status();
  const std::string message = SignedMessage(content_hash, signature.author);
  if (crypto_sign_verify_detached(Bytes(*bytes), Bytes(message), message.size(),
                                  Bytes(*public_key)) != 0) {
    return Status::Error(ErrorCode::kInvalidPlaybook,
                         "the signature by " + signer +
                             " does not match this playbook: the text or the signature was "
                             "changed after signing; get the signed file from its author");
  }
  return Status::Ok();
}

Status VerifySource(const std::string& source, const std::string& content_hash,
                    const std::optional<Signature>& signature) {
  const std::string actual = Sha256Hex(source);
  if (actual != content_hash) {
    return Status::Error(ErrorCode::kInvalidPlaybook,
                         "the playbook's text hashes to " + actual.substr(0, 12) +
                             ", not to the hash it came with (" + content_hash.substr(0, 12) +
                             "): it was changed on the way or on disk");
  }
  if (!signature) return Status::Ok();
  return Verify(*signature, content_hash);
}

}  // namespace muster::playbook
