#include "store/hq_database.h"

#include <SQLiteCpp/Statement.h>
#include <sodium.h>

#include <cstdio>
#include <vector>

#include "muster/digest.h"
#include "muster/sqlite_store.h"
#include "store/schema.h"

namespace muster::hq {
HqDatabase::HqDatabase(std::unique_ptr<SQLite::Database> db, const Clock& clock, std::string hq_id)
    : db_(std::move(db)), statements_(*db_), clock_(clock), hq_id_(std::move(hq_id)) {}

Result<std::unique_ptr<HqDatabase>> HqDatabase::Open(const std::string& path, const Clock& clock) {
  if (sodium_init() < 0) {
    return Status::Error(ErrorCode::kCryptoUnavailable, "libsodium failed to start");
  }
  auto db = OpenStore(path, HqMigrations());
  if (!db.ok()) return db.status();
  std::string hq_id;
  Status status = Guarded([&]() -> Status {
    // With thousands of agents the store outgrows SQLite's default page cache (2 MB) and
    // each record's statements read pages again from the OS: 32 MiB per connection (the
    // router, the API and the ZAP handler each hold one), filled only as pages are used.
    (*db)->exec("PRAGMA cache_size=-32768");
    // Ingest opens a savepoint per batch and per record; past 64 KiB SQLite spills their
    // journal to a temporary file, one write(2) per page touched. Kept in memory it costs
    // a copy: a transaction's pages are bounded by its group of batches.
    (*db)->exec("PRAGMA temp_store=MEMORY");
    SQLite::Statement read(**db, "SELECT value FROM meta WHERE key='hq_id'");
    if (read.executeStep()) {
      hq_id = read.getColumn(0).getString();
      return Status::Ok();
    }
    hq_id = RandomHex(16);
    SQLite::Statement write(**db, "INSERT INTO meta(key, value) VALUES('hq_id', ?)");
    write.bind(1, hq_id);
    write.exec();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return std::unique_ptr<HqDatabase>(new HqDatabase(std::move(db).value(), clock, hq_id));
}

}  // namespace muster::hq
