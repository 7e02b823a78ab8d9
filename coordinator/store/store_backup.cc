#include "store/store_backup.h"

#include <SQLiteCpp/Database.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "muster/daemon.h"
#include "muster/private_file.h"
#include "muster/sqlite_store.h"
#include "store/schema.h"

namespace muster::hq {
namespace {

std::string StorePath(const std::string& data_dir) { return data_dir + "/muster.db"; }

bool Exists(const std::string& path) {
  std::error_code ignored;
  return std::filesystem::exists(path, ignored);
}

std::uint64_t FileSize(const std::string& path) {
  std::error_code failed;
  const std::uintmax_t size = std::filesystem::file_size(path, failed);
  return failed ? 0 : static_cast<std::uint64_t>(size);
}

// Reads what |path| holds: refused unless it is an HQ store of a schema this build knows.
Result<StoreCopy> Describe(const std::string& path) {
  if (!Exists(path)) {
    return Status::Error(ErrorCode::kNotFound, path + " does not exist");
  }
  StoreCopy copy{path, "", 0, FileSize(path)};
  Status read = Guarded([&]() -> Status {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    copy.schema_version = SchemaVersion(db);
    if (!db.tableExists("meta")) return Status::Ok();
    SQLite::Statement query(db, "SELECT value FROM meta WHERE key='hq_id'");
    if (query.executeStep()) copy.hq_id = query.getColumn(0).getString();
    return Status::Ok();
  });
  if (!read.ok()) {
    return Status::Error(read.code(), path + " cannot be read as a store: " + read.message());
  }
  if (copy.hq_id.empty()) {
    return Status::Error(ErrorCode::kWrongStore,
                         path +
                             " is not a Muster HQ store (it has no hq_id); give a file made "
                             "by muster-coordinator backup");
  }
  const int newest = HqMigrations().back().version;
  if (copy.schema_version > newest) {
    return Status::Error(ErrorCode::kSchemaTooNew,
                         path + " has schema version " + std::to_string(copy.schema_version) +
                             " but this coordinator knows only up to " + std::to_string(newest) +
                             "; restore it with the Muster version that made it");
  }
  return copy;
}

// "20261206T171500Z": a file-name-safe form of FormatTimestamp.
std::string Stamp(Millis now) {
  std::string stamp;
  for (char c : FormatTimestamp(now)) {
    if (c != '-' && c != ':') stamp += c;
  }
  return stamp;
}

// Folds the store's write-ahead log into the file and removes it, so that the file alone
// is the whole store and no old -wal can be replayed into a store put in its place.
Status Checkpoint(const std::string& path) {
  Status done = Guarded([&]() -> Status {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.setBusyTimeout(5000);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    db.exec("PRAGMA journal_mode=DELETE");  // removes the -wal when the connection closes
    return Status::Ok();
  });
  if (!done.ok()) return done;
  if (Exists(path + "-wal")) {
    return Status::Error(ErrorCode::kStoreIo,
                         path +
                             "-wal is still there after a checkpoint; is a coordinator or "
                             "another program using the store?");
  }
  ::unlink((path + "-shm").c_str());
  return Status::Ok();
}

}  // namespace

Result<StoreCopy> BackupStore(const std::string& data_dir, const std::string& to, bool force) {
  Result<StoreCopy> source = Describe(StorePath(data_dir));
  if (!source.ok()) return source.status();
  Result<PrivateFile> file = PrivateFile::Reserve(to, force, "--to", 0);
  if (!file.ok()) return file.status();
  Result<int> version = CopyStore(source->path, file->temp_path());
  if (!version.ok()) return version.status();
  const std::uint64_t bytes = FileSize(file->temp_path());
  MUSTER_RETURN_IF_ERROR(file->Commit(bytes));
  return StoreCopy{to, source->hq_id, *version, bytes};
}

Result<Restored> RestoreStore(const std::string& data_dir, const std::string& from, bool force,
                              Millis now) {
  Result<DirectoryLock> lock = DirectoryLock::Acquire(data_dir, "muster-coordinator restore");
  if (!lock.ok()) return lock.status();
  Result<StoreCopy> backup = Describe(from);
  if (!backup.ok()) return backup.status();
  const std::string path = StorePath(data_dir);
  Restored restored;
  if (Exists(path)) {
    Result<StoreCopy> current = Describe(path);
    if (current.ok() && current->hq_id != backup->hq_id && !force) {
      return Status::Error(ErrorCode::kConflict,
                           from + " is a store of another HQ (hq_id " + backup->hq_id +
                               ", this one is " + current->hq_id +
                               "): agents enrolled here would refuse it; pass --force to "
                               "restore it all the same");
    }
  }
  Result<PrivateFile> file = PrivateFile::Reserve(path, /*force=*/true, "--data", 0);
  if (!file.ok()) return file.status();
  Result<int> version = CopyStore(from, file->temp_path());
  if (!version.ok()) return version.status();
  if (Exists(path)) {
    MUSTER_RETURN_IF_ERROR(Checkpoint(path));
    restored.replaced = path + ".replaced-" + Stamp(now);
    if (::link(path.c_str(), restored.replaced.c_str()) != 0) {
      return Status::Error(ErrorCode::kIoError, "cannot keep the current store as " +
                                                    restored.replaced + ": " +
                                                    std::strerror(errno) + "; nothing changed");
    }
  }
  const std::uint64_t bytes = FileSize(file->temp_path());
  MUSTER_RETURN_IF_ERROR(file->Commit(bytes));
  restored.store = StoreCopy{path, backup->hq_id, *version, bytes};
  return restored;
}

}  // namespace muster::hq
