// A signed incident archive: a folder a partner agency receives and checks offline
// (docs/programme.md#sharing-with-partners).
//
//   manifest.json   what the archive holds: the incident, who made it when, for which
//                   releasability, what was withheld, HQ's audit head, and every other
//                   file with its size and sha256
//   manifest.sig    HQ's Ed25519 signature of kArchiveSignatureDomain followed by the
//                   sha256 (hex) of manifest.json's exact bytes
//   the files       JSON parts and attachments/…, each named in the manifest
//
// The signature covers the manifest and the manifest covers every file, so one changed,
// missing or added byte anywhere is found. Whether the signing key is HQ's is the one
// thing the folder cannot say: the partner is given HQ's public key out of band
// (`muster archive key`) and checks against it.
//
// Thread-safety: plain values and functions; libsodium is initialised by the programs.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "muster/ed25519.h"
#include "muster/result.h"

namespace muster::archive {

inline constexpr std::string_view kArchiveSignatureDomain = "muster-incident-archive-v1\n";
inline constexpr const char* kManifestName = "manifest.json";
inline constexpr const char* kSignatureName = "manifest.sig";

// HQ's archive signing key (DATA/archive-signing.key, mode 0600).
struct SigningKey {
  std::string key_id;  // ed25519::KeyIdOf(public_key)
  ed25519::KeyPair pair;
  // {"kind": "muster-archive-signing-key", "key_id", "public_key", "secret_key"}.
  [[nodiscard]] nlohmann::json Encode() const;
  [[nodiscard]] static Result<SigningKey> Decode(const nlohmann::json& body);
};

// Reads the key at |path|, or makes one there (mode 0600) when there is none. A key
// readable by others, or one whose halves do not belong together, is refused with the fix.
[[nodiscard]] Result<SigningKey> LoadOrCreateSigningKey(const std::string& path);

// One file of the archive besides the manifest and its signature.
struct ArchiveFile {
  std::string path;  // relative, '/'-separated; IsSafeArchivePath
  std::string sha256;
  std::int64_t bytes = 0;
};

// What a partner's archive left out for its releasability.
struct Withheld {
  int findings = 0;
  int attachments = 0;
  int watchlist = 0;  // audit entries, alerts and timeline entries about persons of interest
  std::vector<std::string> parts;  // whole parts marked above the releasability
};

struct Manifest {
  int format = 1;
  std::string incident;
  std::string hq;  // the HQ store's id
  bool exercise = false;
  std::string created_at;  // ISO 8601, UTC
  std::string created_by;  // the operator
  std::string releasable;  // empty: everything HQ holds
  std::string marking;     // the highest marking of what is included
  Withheld withheld;
  std::string audit_head;  // HQ's audit chain head when the archive was made
  std::vector<ArchiveFile> files;
  [[nodiscard]] nlohmann::json Encode() const;
  // Never throws; a missing or mistyped field is malformed, naming it.
  [[nodiscard]] static Result<Manifest> Decode(const nlohmann::json& body);
};

// manifest.sig.
struct ManifestSignature {
  std::string key_id;
  std::string public_key;  // base64
  std::string signature;   // base64
  [[nodiscard]] nlohmann::json Encode() const;
  [[nodiscard]] static Result<ManifestSignature> Decode(const nlohmann::json& body);
};

// Signs the exact bytes |manifest_text| (what manifest.json will hold).
[[nodiscard]] Result<ManifestSignature> SignManifest(std::string_view manifest_text,
                                                     const SigningKey& key);

// Whether |path| may name a file of an archive: relative, '/'-separated parts of letters,
// digits, '.', '_' and '-', none empty, "." or "..", none hidden, at most 200 characters,
// and neither manifest file.
bool IsSafeArchivePath(std::string_view path);

// A name for an attached file inside the archive: |name| with every character outside
// [A-Za-z0-9._-] made '_', a leading '.' made '_', at most 80 characters ("file" when
// nothing is left).
std::string SafeFileName(std::string_view name);

// What checking a folder found. valid() only when every check passed.
struct Verdict {
  std::optional<Manifest> manifest;  // when it could be read
  std::string key_id;                // the signer's key id, when the signature could be read
  bool signed_by_trusted_key = false;
  int files_checked = 0;
  std::vector<std::string> problems;  // each names the file and the fix
  bool valid() const { return problems.empty(); }
};

// Checks the folder |dir| against |trusted_public_key| (base64): the signature is by that
// key over manifest.json, every file the manifest lists is there with its size and
// sha256, and nothing else is. Reads nothing outside |dir| and follows no link.
// invalid_argument when |trusted_public_key| is not a key; other problems are the verdict's.
[[nodiscard]] Result<Verdict> VerifyFolder(const std::string& dir,
                                           const std::string& trusted_public_key);

}  // namespace muster::archive
