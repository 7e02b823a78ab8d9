#include "muster/sqlite_store.h"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <cerrno>

#include "muster/sealed_vfs.h"

namespace muster {

namespace {

// The directory that holds the store: where space must be freed.
std::string StoreDirectory(SQLite::Database& db) {
  const std::string file = db.getFilename();
  const auto slash = file.rfind('/');
  return slash == std::string::npos ? std::string(".") : file.substr(0, slash);
}

// SQLite reports a refused write as SQLITE_FULL only for ENOSPC; a quota (EDQUOT) or a
// file size limit (EFBIG) arrive as SQLITE_IOERR. The handle keeps the system error only
// on some paths, so the errno seen where the exception was caught counts as well.
bool OutOfSpace(int code, SQLite::Database* db, int caught_errno) {
  if (code == SQLITE_FULL) return true;
  if (db == nullptr || code != SQLITE_IOERR) return false;
  int system = sqlite3_system_errno(db->getHandle());
  if (system == 0) system = caught_errno;
  return system == ENOSPC || system == EDQUOT || system == EFBIG;
}

}  // namespace

Status StatusFromSqlite(const std::exception& error, SQLite::Database* db, int caught_errno) {
  if (const auto* sqlite = dynamic_cast<const SQLite::Exception*>(&error)) {
    const int code = sqlite->getErrorCode() & 0xff;
    if (OutOfSpace(code, db, caught_errno)) {
      return Status::Error(ErrorCode::kDiskFull,
                           "disk full: free space is needed at " +
                               (db ? StoreDirectory(*db) : std::string("the store's disk")) +
                               "; nothing recorded before is lost (only this last change was "
                               "not saved). Free space and try again");
    }
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
      return Status::Error(ErrorCode::kStoreBusy,
                           std::string("the store is busy: ") + sqlite->what());
    }
    if (sqlite->getExtendedErrorCode() == SQLITE_IOERR_DATA) {  // a sealed page's tag failed
      return Status::Error(ErrorCode::kStoreCorrupt,
                           std::string("the store is damaged: a page fails its check (") +
                               sqlite->what() + "); restore it from a backup");
    }
    if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_IOERR) {
      return Status::Error(ErrorCode::kStoreIo,
                           std::string("the store cannot be written: ") + sqlite->what());
    }
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
      return Status::Error(
          ErrorCode::kStoreCorrupt,
          std::string("the store is damaged: ") + sqlite->what() + "; restore it from a backup");
    }
  }
  return Status::Error(ErrorCode::kStoreError, error.what());
}

Status Guarded(const std::function<Status()>& body) {
  try {
    return body();
  } catch (const std::exception& error) {
    return StatusFromSqlite(error, nullptr, 0);
  }
}

Status Guarded(SQLite::Database& db, const std::function<Status()>& body) {
  try {
    return body();
  } catch (const std::exception& error) {
    const int system_errno = errno;  // read first: the failed write's reason
    return StatusFromSqlite(error, &db, system_errno);
  }
}

int SchemaVersion(SQLite::Database& db) {
  return db.execAndGet("PRAGMA user_version").getInt();
}

Status InTransaction(SQLite::Database& db, const std::function<Status()>& body) {
  return Guarded(db, [&]() -> Status {
    SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
    Status status = body();
    if (!status.ok()) return status;  // the Transaction destructor rolls back
    transaction.commit();
    return Status::Ok();
  });
}

namespace {

// A sealed store's pages must keep room for their nonce and tag: fixed before the first
// page of a new file is written (SQLite ignores both on an existing file).
void PrepareSealed(SQLite::Database& db) {
  db.exec("PRAGMA temp_store=MEMORY");
  db.exec("PRAGMA page_size=" + std::to_string(kSealedPageSize));
  int reserve = kSealedReservedBytes;
  sqlite3_file_control(db.getHandle(), "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
}

bool Unopenable(const std::exception& error) {
  const auto* sqlite = dynamic_cast<const SQLite::Exception*>(&error);
  if (sqlite == nullptr) return false;
  return sqlite->getExtendedErrorCode() == SQLITE_IOERR_DATA ||
         (sqlite->getErrorCode() & 0xff) == SQLITE_NOTADB;
}

}  // namespace

Result<std::unique_ptr<SQLite::Database>> OpenStore(const std::string& path,
                                                    const std::vector<Migration>& migrations,
                                                    const SecretBytes* key) {
  std::string vfs;
  if (key != nullptr) {
    auto name = SealedVfsFor(*key);
    if (!name.ok()) return name.status();
    vfs = *name;
  }
  std::unique_ptr<SQLite::Database> db;
  auto open = [&]() -> Status {
    db = std::make_unique<SQLite::Database>(
        path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX, 0,
        vfs);  // empty: the default VFS
    db->setBusyTimeout(5000);
    if (key != nullptr) PrepareSealed(*db);
    // Switching a new file to WAL needs an exclusive lock, and SQLite answers BUSY at once,
    // without the busy handler, while another program opens the same new file (the
    // daemon and a CLI verb on first start): retry for up to the busy timeout.
    for (int attempt = 0;; ++attempt) {
      try {
        db->exec("PRAGMA journal_mode=WAL");
        break;
      } catch (const SQLite::Exception& error) {
        if (error.getErrorCode() != SQLITE_BUSY || attempt >= 100) throw;
        sqlite3_sleep(50);
      }
    }
    db->exec("PRAGMA synchronous=FULL");
    db->exec("PRAGMA foreign_keys=ON");
    const int current = SchemaVersion(*db);
    const int newest = migrations.empty() ? 0 : migrations.back().version;
    if (current > newest) {
      return Status::Error(ErrorCode::kSchemaTooNew,
                           path + " has schema version " + std::to_string(current) +
                               " but this program knows only up to " + std::to_string(newest) +
                               "; run a newer Muster");
    }
    for (const Migration& migration : migrations) {
      if (migration.version <= current) continue;
      Status step = InTransaction(*db, [&]() -> Status {
        // Another program opening the same store at the same moment (the daemon and a
        // CLI verb) may have applied this step since |current| was read.
        if (SchemaVersion(*db) >= migration.version) return Status::Ok();
        db->exec(migration.sql);
        db->exec("PRAGMA user_version=" + std::to_string(migration.version));
        return Status::Ok();
      });
      if (!step.ok()) return step;
    }
    return Status::Ok();
  };
  Status status;
  try {
    status = open();
  } catch (const std::exception& error) {
    const int system_errno = errno;
    status = key != nullptr && Unopenable(error)
                 ? Status::Error(ErrorCode::kStoreCorrupt,
                                 "the store cannot be opened: wrong passphrase or damaged file (" +
                                     path + ")")
                 : StatusFromSqlite(error, db.get(), system_errno);
  }
  if (!status.ok()) return status;
  return db;
}

Result<int> CopyStore(const std::string& source, const std::string& dest) {
  std::unique_ptr<SQLite::Database> to;
  Status opened = Guarded([&]() -> Status {
    to = std::make_unique<SQLite::Database>(dest, SQLite::OPEN_READWRITE);
    return Status::Ok();
  });
  if (!opened.ok()) return opened;
  int version = 0;
  Status copied = Guarded(*to, [&]() -> Status {
    SQLite::Database from(source, SQLite::OPEN_READONLY);
    from.setBusyTimeout(5000);
    SQLite::Backup backup(*to, from);
    backup.executeStep();  // every page in one step: one snapshot of the source
    to->exec("PRAGMA journal_mode=DELETE");
    const std::string check = to->execAndGet("PRAGMA quick_check").getString();
    if (check != "ok") {
      return Status::Error(ErrorCode::kStoreCorrupt,
                           "the copy of " + source + " fails SQLite's check: " + check);
    }
    version = SchemaVersion(*to);
    return Status::Ok();
  });
  if (!copied.ok()) return copied;
  return version;
}

}  // namespace muster
