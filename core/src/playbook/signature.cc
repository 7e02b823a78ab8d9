#include "muster/playbook/signature.h"

#include "../wire/body_reader.h"
#include "muster/digest.h"
#include "muster/ed25519.h"

namespace muster::playbook {
namespace {

constexpr const char* kKeyFileKind = "muster-playbook-author-key";

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
  reader.ExpectKind(kKeyFileKind, ErrorCode::kBadKey,
                    "this is not a playbook author's key file (made by muster playbook keygen)");
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
  const ed25519::KeyPair pair = ed25519::Generate();
  AuthorKey key;
  key.author = author;
  key.public_key = pair.public_key;
  key.secret_key = pair.secret_key;
  key.key_id = KeyIdOf(key.public_key).value();
  return key;
}

Result<std::string> KeyIdOf(const std::string& public_key) {
  return ed25519::KeyIdOf(public_key);
}

Result<Signature> Sign(const std::string& content_hash, const AuthorKey& key) {
  auto signature = ed25519::Sign(SignedMessage(content_hash, key.author),
                                 {key.public_key, key.secret_key}, key.author + "'s key file",
                                 "make a new key with muster playbook keygen");
  if (!signature.ok()) return signature.status();
  Signature signed_record;
  signed_record.author = key.author;
  signed_record.key_id = KeyIdOf(key.public_key).value();
  signed_record.public_key = key.public_key;
  signed_record.content_hash = content_hash;
  signed_record.signature = *signature;
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
  auto key_id = KeyIdOf(signature.public_key);
  if (!key_id.ok()) {
    return Status::Error(ErrorCode::kBadKey, "the public key in the signature by " +
                                                 signature.author + " is not 32 bytes of base64; "
                                                 "copy it again from its source");
  }
  if (*key_id != signature.key_id) {
    return Status::Error(ErrorCode::kInvalidPlaybook,
                         "the signature by " + signer + " names a key id that is not its key's (" +
                             *key_id + "); get the signed file from its author");
  }
  auto matches = ed25519::Verify(SignedMessage(content_hash, signature.author),
                                 signature.signature, signature.public_key, signature.author);
  if (!matches.ok()) return matches.status();
  if (!*matches) {
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
