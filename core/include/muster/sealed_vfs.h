// The "sealed" SQLite VFS: a shim over the default unix VFS that encrypts, below SQLite,
// every page of a main database file, every page image in its WAL and every page record
// of a rollback journal, with XChaCha20-Poly1305 (libsodium). SQLite above it sees plain
// pages; the disk sees none.
//
// Layout (docs/security.md, "the agent's store at rest"): pages are 4096 bytes and the
// last 40 are SQLite's reserved bytes, which hold the page's random 24-byte nonce and its
// 16-byte tag; the first 4056 bytes are the ciphertext. The associated data binds each
// page to its place (the file kind and the page number, the WAL frame number or the
// journal offset), so pages cannot be swapped unnoticed. WAL and journal headers and the
// WAL frame headers stay plain: they hold page numbers, salts and checksums (computed by
// SQLite over the plain pages), no content. The -shm file holds no content and is not
// sealed. Temporary files are not sealed: a sealed store runs with temp_store=MEMORY.
//
// A read of any range (SQLite reads the 100-byte header first, WAL recovery whole frames)
// is served by opening the covering pages. A page that fails to open (a wrong key, a
// flipped byte) is SQLITE_IOERR_DATA; nothing unauthenticated reaches SQLite. A write of
// page 1 whose header does not say 4096-byte pages with 40 reserved bytes is refused
// (SQLITE_IOERR_WRITE): SQLite would otherwise keep content where the tag goes.
//
// Threads: the VFS is registered once per key and lives as long as the process; its
// files follow SQLite's rules (one connection's files, one thread at a time).
#pragma once

#include <string>

#include "muster/result.h"
#include "muster/secret_bytes.h"

namespace muster {

inline constexpr int kSealedPageSize = 4096;
inline constexpr int kSealedReservedBytes = 40;  // 24-byte nonce + 16-byte tag

// The name of the sealed VFS for |key| (32 bytes), registered on first use (not as the
// default VFS); pass it to sqlite3_open_v2. The same key gives the same name. The key
// is copied into locked memory that the VFS keeps.
Result<std::string> SealedVfsFor(const SecretBytes& key);

}  // namespace muster
