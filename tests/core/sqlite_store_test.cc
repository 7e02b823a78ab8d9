#include "muster/sqlite_store.h"

#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "muster/files.h"
#include "temp_dir.h"

namespace muster {
namespace {

using muster::testing::TempDir;

// Migration 2 records that it ran after migration 1 by reading what 1 created.
const std::vector<Migration> kMigrations = {
    {1, "CREATE TABLE log(step INTEGER NOT NULL); INSERT INTO log VALUES(1);"},
    {2, "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT);"
        "INSERT INTO log SELECT MAX(step) + 1 FROM log;"},
    {3, "INSERT INTO log SELECT MAX(step) + 1 FROM log;"},
};

std::vector<int> LogSteps(SQLite::Database& db) {
  std::vector<int> steps;
  SQLite::Statement query(db, "SELECT step FROM log ORDER BY rowid");
  while (query.executeStep()) steps.push_back(query.getColumn(0).getInt());
  return steps;
}

TEST(OpenStoreTest, TurnsOnWalFullSyncAndForeignKeys) {
  TempDir dir;
  auto db = OpenStore(dir.File("s.db"), kMigrations);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->execAndGet("PRAGMA journal_mode").getString(), "wal");
  EXPECT_EQ((*db)->execAndGet("PRAGMA synchronous").getInt(), 2);  // FULL
  EXPECT_EQ((*db)->execAndGet("PRAGMA foreign_keys").getInt(), 1);
}

TEST(OpenStoreTest, AppliesMigrationsInOrder) {
  TempDir dir;
  auto db = OpenStore(dir.File("s.db"), kMigrations);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(SchemaVersion(**db), 3);
  EXPECT_EQ(LogSteps(**db), (std::vector<int>{1, 2, 3}));
}

TEST(OpenStoreTest, AppliesEachMigrationOnlyOnce) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  {
    auto db = OpenStore(path, {kMigrations[0], kMigrations[1]});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ(SchemaVersion(**db), 2);
    EXPECT_EQ(LogSteps(**db), (std::vector<int>{1, 2}));
  }
  {
    // Upgrading applies only what is new.
    auto db = OpenStore(path, kMigrations);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ(SchemaVersion(**db), 3);
    EXPECT_EQ(LogSteps(**db), (std::vector<int>{1, 2, 3}));
  }
  {
    auto db = OpenStore(path, kMigrations);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ(LogSteps(**db), (std::vector<int>{1, 2, 3}));
  }
}

TEST(OpenStoreTest, RefusesASchemaNewerThanTheProgram) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  ASSERT_TRUE(OpenStore(path, kMigrations).ok());
  auto old = OpenStore(path, {kMigrations[0], kMigrations[1]});
  EXPECT_FALSE(old.ok());
  EXPECT_EQ(old.status().code(), ErrorCode::kSchemaTooNew);
  EXPECT_NE(old.status().message().find("3"), std::string::npos) << old.status().message();
  // The store itself is untouched.
  auto db = OpenStore(path, kMigrations);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(LogSteps(**db), (std::vector<int>{1, 2, 3}));
}

TEST(OpenStoreTest, AFailingMigrationLeavesTheEarlierVersion) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  std::vector<Migration> broken = {kMigrations[0],
                                   {2, "CREATE TABLE half(x); INSERT INTO nowhere VALUES(1);"}};
  auto failed = OpenStore(path, broken);
  EXPECT_FALSE(failed.ok());
  auto db = OpenStore(path, {kMigrations[0]});
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(SchemaVersion(**db), 1);
  // The step rolled back as a whole: its first statement left nothing behind.
  EXPECT_EQ((*db)->execAndGet("SELECT COUNT(*) FROM sqlite_master WHERE name='half'").getInt(),
            0);
}

TEST(OpenStoreTest, NoMigrationsIsVersionZero) {
  TempDir dir;
  auto db = OpenStore(dir.File("s.db"), {});
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(SchemaVersion(**db), 0);
}

TEST(OpenStoreTest, AFileThatIsNotADatabaseIsReportedAsDamaged) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  ASSERT_TRUE(WriteFileAtomic(path, std::string(8192, 'g')).ok());
  auto db = OpenStore(path, kMigrations);
  EXPECT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), ErrorCode::kStoreCorrupt) << db.status().ToString();
}

TEST(OpenStoreTest, MissingDirectoryIsAnIoError) {
  TempDir dir;
  auto db = OpenStore(dir.File("missing/s.db"), kMigrations);
  EXPECT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), ErrorCode::kStoreIo) << db.status().ToString();
}

TEST(OpenStoreTest, ConcurrentFirstOpensAllSucceed) {
  // Two programs (the daemon and a CLI verb) may migrate the same store at once. Each
  // must find the schema complete; none may fail re-running a migration the other ran.
  // Half the rounds start from a file already in WAL mode, half from no file at all.
  for (int round = 0; round < 40; ++round) {
    TempDir dir;
    const std::string path = dir.File("s.db");
    if (round % 2 == 0) {
      ASSERT_TRUE(OpenStore(path, {}).ok());
    }
    std::vector<Status> results(4);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < results.size(); ++i) {
      threads.emplace_back([&, i] {
        auto db = OpenStore(path, kMigrations);
        results[i] = db.ok() ? Status::Ok() : db.status();
      });
    }
    for (auto& thread : threads) thread.join();
    for (const Status& status : results) {
      ASSERT_TRUE(status.ok()) << "round " << round << ": " << status.ToString();
    }
    auto db = OpenStore(path, kMigrations);
    ASSERT_TRUE(db.ok());
    EXPECT_EQ(LogSteps(**db), (std::vector<int>{1, 2, 3})) << "round " << round;
  }
}

TEST(InTransactionTest, CommitsOnOkAndRollsBackOnError) {
  TempDir dir;
  auto db = OpenStore(dir.File("s.db"), kMigrations);
  ASSERT_TRUE(db.ok());
  SQLite::Database& store = **db;
  ASSERT_TRUE(InTransaction(store, [&] {
                store.exec("INSERT INTO items(name) VALUES('kept')");
                return Status::Ok();
              }).ok());
  Status failed = InTransaction(store, [&] {
    store.exec("INSERT INTO items(name) VALUES('dropped')");
    return Status::Error(ErrorCode::kConflict, "changed my mind");
  });
  EXPECT_EQ(failed.code(), ErrorCode::kConflict);
  EXPECT_EQ(store.execAndGet("SELECT group_concat(name) FROM items").getString(), "kept");
}

TEST(InTransactionTest, SqliteExceptionsBecomeStatusAndRollBack) {
  TempDir dir;
  auto db = OpenStore(dir.File("s.db"), kMigrations);
  ASSERT_TRUE(db.ok());
  SQLite::Database& store = **db;
  Status failed = InTransaction(store, [&] {
    store.exec("INSERT INTO items(name) VALUES('dropped')");
    store.exec("INSERT INTO no_such_table VALUES(1)");
    return Status::Ok();
  });
  EXPECT_EQ(failed.code(), ErrorCode::kStoreError);
  EXPECT_EQ(store.execAndGet("SELECT COUNT(*) FROM items").getInt(), 0);
}

TEST(GuardedTest, PassesStatusThroughAndCatchesExceptions) {
  EXPECT_EQ(Guarded([] { return Status::Error(ErrorCode::kInternal, "y"); }).code(),
            ErrorCode::kInternal);
  EXPECT_TRUE(Guarded([] { return Status::Ok(); }).ok());
  Status caught = Guarded([]() -> Status { throw std::runtime_error("bang"); });
  EXPECT_EQ(caught.code(), ErrorCode::kStoreError);
  EXPECT_EQ(caught.message(), "bang");
}

TEST(GuardedTest, BusyStoreIsReportedAsBusy) {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto first = OpenStore(path, kMigrations);
  auto second = OpenStore(path, kMigrations);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  (*second)->setBusyTimeout(0);  // fail at once instead of waiting for the writer
  Status outer = InTransaction(**first, [&] {
    (*first)->exec("INSERT INTO items(name) VALUES('a')");
    Status inner = InTransaction(**second, [&] { return Status::Ok(); });
    EXPECT_EQ(inner.code(), ErrorCode::kStoreBusy) << inner.ToString();
    return Status::Ok();
  });
  EXPECT_TRUE(outer.ok()) << outer.ToString();
}

}  // namespace
}  // namespace muster
