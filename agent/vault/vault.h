// The agent's vault: the member's passphrase turned into the key that seals the store,
// the attached files' copies and the agent's secret key (docs/security.md, "a lost
// laptop").
//
// DATA_DIR/vault.json (mode 0600) is a small plain header: the argon2id salt and limits
// and a check value (a subkey of the master key, which reveals nothing of it) that tells a
// wrong passphrase from a damaged store before anything is opened. The master key comes
// from crypto_pwhash (argon2id) and never touches the disk; each use has its own subkey
// (crypto_kdf), so a key found in one place opens nothing else.
#pragma once

#include <cstdint>
#include <string>

#include "muster/result.h"
#include "muster/secret_bytes.h"

namespace muster::agent {

// argon2id's cost. Unlocking happens once a shift, so the moderate limits (about a
// second and 256 MiB on a laptop) are affordable; tests pass the minimum.
struct VaultLimits {
  unsigned long long ops = 0;
  std::size_t mem = 0;
};
VaultLimits ModerateVaultLimits();
VaultLimits MinimumVaultLimits();

// What each subkey seals. Never renumber: the number is part of the derivation.
enum class Subkey : std::uint64_t { kCheck = 1, kStore = 2, kAttachments = 3, kSecretKey = 4 };

inline constexpr std::size_t kMasterKeyBytes = 32;
inline constexpr std::size_t kMinPassphraseBytes = 8;

std::string VaultPath(const std::string& data_dir);
bool HasVault(const std::string& data_dir);

// Makes DATA_DIR/vault.json for |passphrase| with a fresh salt and returns the master key.
// Refuses a passphrase shorter than kMinPassphraseBytes and an existing vault.
Result<SecretBytes> CreateVault(const std::string& data_dir, const std::string& passphrase,
                                const VaultLimits& limits = ModerateVaultLimits());

// The master key for |passphrase|; bad_key ("wrong passphrase") when the check value
// does not match.
Result<SecretBytes> UnlockVault(const std::string& data_dir, const std::string& passphrase);

// Whether |master| is this vault's key (a key handed over by the daemon, say).
Status CheckMasterKey(const std::string& data_dir, const SecretBytes& master);

SecretBytes DeriveSubkey(const SecretBytes& master, Subkey which);

}  // namespace muster::agent
