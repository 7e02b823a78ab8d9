// The agent's CURVE secret key at rest: `muster-agent unlock --set-passphrase` seals it
// in the installed bundle ("secret_key": "sealed:HEX", crypto_secretbox with the vault's
// secret-key subkey, vault/vault.h), and the bundle's old plain bytes are overwritten.
// The daemon and `sync` unseal it in memory with the key the member unlocked; the other
// verbs do not need it.
#pragma once

#include <string>

#include "muster/bundle.h"
#include "muster/result.h"
#include "muster/secret_bytes.h"

namespace muster::agent {

// Rewrites the bundle file at |path| with its secret key sealed by |master| (the plain
// file's blocks are overwritten with zeros once the sealed one is in place). Ok when it
// is sealed already.
Status SealBundleSecret(const std::string& path, const SecretBytes& master);

// Fills |bundle|.secret_key from its sealed form; damaged when |master| does not open it.
// Ok at once for a bundle whose key is plain.
Status UnsealBundleSecret(Bundle& bundle, const SecretBytes& master);

}  // namespace muster::agent
