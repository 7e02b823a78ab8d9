// Sealing the store of an agent set up before the vault existed (`muster-agent unlock
// --set-passphrase` on a laptop with a plain DATA_DIR/agent.db): every row is copied
// into a new sealed store (AgentMigrations() on both, so their schemas are the same), the
// sealed file replaces the plain one, and the plain file is overwritten with zeros
// before it is unlinked, with its -wal and -shm. Stored copies of attached files are
// sealed in place (attachments.h). Run it with the data directory locked (no daemon).
//
// Overwriting is best effort: a copy-on-write or journaling file system, or an SSD's
// wear levelling, may keep old blocks; docs/security.md says so.
#pragma once

#include <string>

#include "muster/result.h"
#include "muster/secret_bytes.h"

namespace muster::agent {

// Seals DATA_DIR/agent.db and the attachment copies with |master|'s subkeys; Ok at once
// when there is no plain store.
Status SealPlainStore(const std::string& data_dir, const SecretBytes& master);

// Overwrites |path| with zeros, syncs and unlinks it; Ok when it does not exist.
Status ShredFile(const std::string& path);

}  // namespace muster::agent
