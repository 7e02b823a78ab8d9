// Opening SQLite stores the same way everywhere: WAL, full synchronous commits, foreign
// keys, a busy timeout, and versioned schema migrations.
#pragma once

#include <SQLiteCpp/Database.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "muster/result.h"
#include "muster/secret_bytes.h"

namespace muster {

// One schema step: applied once, in order, inside a transaction. Migration N takes the
// schema from version N-1 to N (PRAGMA user_version). Never edit a released step; add one.
struct Migration {
  int version;
  const char* sql;
};

// Opens (creating if needed) the database at |path| and brings its schema up to date.
//
// Durability: journal_mode=WAL so that readers (the CLI, the HTTP API) never block the
// writer, and synchronous=FULL so that a transaction that returned is on disk even if the
// power fails the next instant. "Recorded" and "acknowledged" are promises to people;
// NORMAL would let the last commits vanish on power loss, which is exactly the failure
// Muster exists to prevent. The cost is one extra fsync per commit, paid per batch.
//
// Sealed: with a |key| (32 bytes) every page on disk is encrypted (muster/sealed_vfs.h):
// a new file gets 4096-byte pages with 40 reserved bytes before its first write, and
// temporary tables stay in memory. A file the key does not open (a wrong key, a plain
// store, a damaged page) is store_corrupt: "the store cannot be opened: wrong passphrase
// or damaged file". HQ's store is not sealed.
Result<std::unique_ptr<SQLite::Database>> OpenStore(const std::string& path,
                                                    const std::vector<Migration>& migrations,
                                                    const SecretBytes* key = nullptr);

// The schema version of an open store.
int SchemaVersion(SQLite::Database& db);

// Copies the store at |source| into the new, empty file |dest| with SQLite's online
// backup: one consistent snapshot while other connections (another process) keep
// writing, since WAL readers block no writer. The copy is a single file (rollback
// journal, no -wal beside it) and passes SQLite's quick_check. Its schema version is
// returned.
Result<int> CopyStore(const std::string& source, const std::string& dest);

// Runs |body| inside one transaction; commits when it returns Ok, rolls back otherwise.
// SQLite exceptions become Status values; a full disk is reported as "disk_full".
Status InTransaction(SQLite::Database& db, const std::function<Status()>& body);

// Runs |body| and turns any SQLite exception into a Status (for reads and single
// statements outside InTransaction).
Status Guarded(const std::function<Status()>& body);
// The same for writes to |db|: a write refused for want of space (a full disk, a quota, a
// file size limit) becomes "disk_full", naming the directory where space must be freed.
Status Guarded(SQLite::Database& db, const std::function<Status()>& body);

// Maps a caught SQLite exception to a Status with a useful message; |db| (may be null) is
// the connection that failed, for the system error and the store's path; |caught_errno|
// is errno as read first thing in the catch block.
Status StatusFromSqlite(const std::exception& error, SQLite::Database* db, int caught_errno);

}  // namespace muster
