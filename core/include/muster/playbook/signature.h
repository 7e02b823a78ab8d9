// Playbook signatures: an author's Ed25519 key signs a published playbook's content hash,
// HQ checks the signature against the authors it trusts before it publishes, and the
// agent checks it again before it applies the playbook (docs/security.md#playbook-signatures).
//
// What is signed is kSignatureDomain, the content hash (sha256 of Playbook::source,
// lowercase hex), a line feed and the author's name: the domain keeps a playbook
// signature from ever meaning anything else the same key might sign, the hash covers the
// exact self-contained text, libraries included, and the name cannot be changed after
// signing.
//
// Thread-safety: plain values and pure functions (libsodium is initialised by the
// programs before they run).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "muster/result.h"

namespace muster::playbook {

inline constexpr std::string_view kSignatureDomain = "muster-playbook-signature-v1\n";

// An author's key pair. The secret half stays in the author's key file (mode 0600); HQ
// and agents only ever see the public half.
struct AuthorKey {
  std::string author;
  std::string key_id;      // KeyIdOf(public_key)
  std::string public_key;  // 32 bytes, base64
  std::string secret_key;  // 64 bytes (libsodium's seed and public key), base64
  // The key file: {"kind": "muster-playbook-author-key", "author", "key_id", "public_key",
  // "secret_key"}.
  [[nodiscard]] nlohmann::json Encode() const;
  [[nodiscard]] static Result<AuthorKey> Decode(const nlohmann::json& body);
};

// A detached signature of one playbook version (FILE.sig next to the YAML, and what HQ
// stores and sends to agents beside the source).
struct Signature {
  std::string author;
  std::string key_id;
  std::string public_key;    // base64
  std::string content_hash;  // what was signed (after kSignatureDomain)
  std::string signature;     // 64 bytes, base64
  [[nodiscard]] nlohmann::json Encode() const;
  // Never throws; a missing or mistyped field is malformed, naming the field.
  [[nodiscard]] static Result<Signature> Decode(const nlohmann::json& body);
};

// A fresh key pair for |author| (a non-empty name).
[[nodiscard]] Result<AuthorKey> GenerateAuthorKey(const std::string& author);

// The short fingerprint of a base64 public key: the first 16 hex digits of its sha256.
// bad_key when |public_key| is not 32 bytes of base64.
[[nodiscard]] Result<std::string> KeyIdOf(const std::string& public_key);

// Signs |content_hash| with |key|. bad_key when the key file's halves are malformed or
// do not belong together.
[[nodiscard]] Result<Signature> Sign(const std::string& content_hash, const AuthorKey& key);

// Whether |signature| is its public key's signature over |content_hash|. invalid_playbook,
// naming the author and key, when the signature is for another hash or does not match
// (a changed byte); bad_key when a key or signature is not well-formed base64.
[[nodiscard]] Status Verify(const Signature& signature, const std::string& content_hash);

// What the agent checks of a playbook it is sent, and of one it reads back from its store:
// |source| hashes to |content_hash| and, when there is a |signature|, it verifies for
// that hash. invalid_playbook saying which does not hold.
[[nodiscard]] Status VerifySource(const std::string& source, const std::string& content_hash,
                                  const std::optional<Signature>& signature);

}  // namespace muster::playbook
