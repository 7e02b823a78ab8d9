#include "vault/seal_store.h"

#include <SQLiteCpp/Statement.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "agent_store.h"
#include "attachments.h"
#include "muster/sqlite_store.h"
#include "vault/vault.h"

namespace muster::agent {

namespace {

// Copies every row of every table of |from| into the same table of |to|, replacing what
// the migrations put there (sqlite_sequence included, so no seq is ever given twice).
Status CopyRows(SQLite::Database& from, SQLite::Database& to) {
  to.exec("PRAGMA foreign_keys=OFF");
  Status copied = InTransaction(to, [&]() -> Status {
    SQLite::Statement tables(from, "SELECT name FROM sqlite_master WHERE type='table'");
    while (tables.executeStep()) {
      const std::string table = tables.getColumn(0).getString();
      const std::string quoted = "\"" + table + "\"";
      to.exec("DELETE FROM " + quoted);
      SQLite::Statement rows(from, "SELECT * FROM " + quoted);
      const int columns = rows.getColumnCount();
      std::string insert = "INSERT INTO " + quoted + " VALUES (";
      for (int i = 0; i < columns; ++i) insert += i == 0 ? "?" : ",?";
      SQLite::Statement add(to, insert + ")");
      while (rows.executeStep()) {
        add.reset();
        for (int i = 0; i < columns; ++i) {
          const SQLite::Column value = rows.getColumn(i);
          switch (value.getType()) {
            case SQLITE_INTEGER:
              add.bind(i + 1, value.getInt64());
              break;
            case SQLITE_FLOAT:
              add.bind(i + 1, value.getDouble());
              break;
            case SQLITE_TEXT:
              add.bind(i + 1, value.getString());
              break;
            case SQLITE_BLOB:
              add.bind(i + 1, value.getBlob(), value.getBytes());
              break;
            default:
              add.bind(i + 1);
              break;
          }
        }
        add.exec();
      }
    }
    return Status::Ok();
  });
  to.exec("PRAGMA foreign_keys=ON");
  return copied;
}

}  // namespace

Status ShredFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::Error(ErrorCode::kIoError, "cannot overwrite " + path + ": " + strerror(errno));
  }
  struct stat info {};
  ::fstat(fd, &info);
  const std::vector<char> zeros(64 << 10, 0);
  bool ok = true;
  for (off_t done = 0; ok && done < info.st_size;) {
    const auto chunk = static_cast<std::size_t>(
        std::min<off_t>(static_cast<off_t>(zeros.size()), info.st_size - done));
    const ssize_t written = ::pwrite(fd, zeros.data(), chunk, done);
    ok = written > 0;
    done += written > 0 ? written : 0;
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::unlink(path.c_str()) != 0) {
    return Status::Error(ErrorCode::kIoError,
                         "cannot overwrite and remove " + path + ": " + strerror(errno));
  }
  return Status::Ok();
}

Status SealPlainStore(const std::string& data_dir, const SecretBytes& master) {
  const std::string plain_path = data_dir + "/agent.db";
  const std::string sealed_path = data_dir + "/agent.db.sealing";
  struct stat info {};
  if (::stat(plain_path.c_str(), &info) != 0) return Status::Ok();
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    ::unlink((sealed_path + suffix).c_str());  // a sealing cut short before
  }
  {
    auto plain = OpenStore(plain_path, AgentMigrations());
    if (!plain.ok()) return plain.status();
    const SecretBytes store_key = DeriveSubkey(master, Subkey::kStore);
    auto sealed = OpenStore(sealed_path, AgentMigrations(), &store_key);
    if (!sealed.ok()) return sealed.status();
    if (Status copied = CopyRows(**plain, **sealed); !copied.ok()) return copied;
    Status checkpointed = Guarded(**sealed, [&]() -> Status {
      (*sealed)->exec("PRAGMA wal_checkpoint(TRUNCATE)");
      return Status::Ok();
    });
    if (!checkpointed.ok()) return checkpointed;
  }  // both closed: their WALs are checkpointed and removed
  if (Status sealed = SealPlainCopies(data_dir, DeriveSubkey(master, Subkey::kAttachments));
      !sealed.ok())
    return sealed;
  // The plain file goes: first its WAL (which may still hold pages), then the file.
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    if (Status gone = ShredFile(plain_path + suffix); !gone.ok()) return gone;
  }
  // Move the plain file aside before the sealed one takes its name, so that a crash
  // between the two leaves one of them in place.
  const std::string aside = plain_path + ".plain";
  if (::rename(plain_path.c_str(), aside.c_str()) != 0 ||
      ::rename(sealed_path.c_str(), plain_path.c_str()) != 0) {
    return Status::Error(ErrorCode::kIoError, "cannot put the sealed store in place of " +
                                                  plain_path + ": " + strerror(errno));
  }
  return ShredFile(aside);
}

}  // namespace muster::agent
