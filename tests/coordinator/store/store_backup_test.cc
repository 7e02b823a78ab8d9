// Backups and restores of HQ's store with the real coordinator: an online copy while it
// serves, private and consistent; a restore that checks what it is given, refuses while
// the coordinator runs and keeps the store it replaces.
#include "store/store_backup.h"

#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "coordinator_fixture.h"
#include "hq_fixture.h"
#include "muster/files.h"

namespace muster::coordtest {
namespace {

class StoreBackupTest : public CoordinatorTest {
 protected:
  void AddIncident(const std::string& id) { Post("/v1/incidents", {{"id", id}, {"title", id}}); }
  static std::vector<std::string> IncidentsIn(const std::string& store) {
    std::vector<std::string> ids;
    SQLite::Database db(store, SQLite::OPEN_READONLY);
    SQLite::Statement query(db, "SELECT id FROM incidents ORDER BY id");
    while (query.executeStep()) ids.push_back(query.getColumn(0).getString());
    return ids;
  }
  std::string Store() const { return config_.data_dir + "/muster.db"; }
};

TEST_F(StoreBackupTest, AnOnlineBackupIsPrivateConsistentAndSingleFile) {
  StartHq();
  AddIncident("INC-1");
  AddIncident("INC-2");
  const std::string to = dir_.File("backup.db");
  auto copy = hq::BackupStore(config_.data_dir, to, false);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(FileMode(to), 0600);
  EXPECT_FALSE(std::filesystem::exists(to + "-wal"));
  EXPECT_EQ(copy->bytes, std::filesystem::file_size(to));
  EXPECT_GT(copy->schema_version, 0);
  EXPECT_EQ(IncidentsIn(to), (std::vector<std::string>{"INC-1", "INC-2"}));
  // The coordinator went on serving.
  AddIncident("INC-3");
  EXPECT_EQ(IncidentsIn(to).size(), 2u);
}

TEST_F(StoreBackupTest, AnExistingFileIsReplacedOnlyWhenForced) {
  StartHq();
  const std::string to = dir_.File("backup.db");
  ASSERT_TRUE(WriteFileAtomic(to, "keep me\n", 0600).ok());
  auto refused = hq::BackupStore(config_.data_dir, to, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kConflict);
  EXPECT_NE(refused.status().message().find("--force"), std::string::npos);
  EXPECT_EQ(*ReadFile(to), "keep me\n");
  ASSERT_TRUE(hq::BackupStore(config_.data_dir, to, true).ok());
  EXPECT_TRUE(IncidentsIn(to).empty());
}

TEST_F(StoreBackupTest, ABackupIntoAMissingDirectoryLeavesNothing) {
  StartHq();
  auto failed = hq::BackupStore(config_.data_dir, dir_.File("nowhere/backup.db"), false);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("--to"), std::string::npos) << failed.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir_.File("nowhere")));
}

TEST_F(StoreBackupTest, ARestoreBringsBackTheBackupAndKeepsTheStoreItReplaced) {
  StartHq();
  AddIncident("INC-1");
  const std::string backup = dir_.File("backup.db");
  ASSERT_TRUE(hq::BackupStore(config_.data_dir, backup, false).ok());
  AddIncident("INC-2");  // after the backup: lost by the restore, kept aside

  auto while_running = hq::RestoreStore(config_.data_dir, backup, false, clock_.Now());
  ASSERT_FALSE(while_running.ok());
  EXPECT_NE(while_running.status().message().find("pid"), std::string::npos)
      << while_running.status().message();

  hq_.reset();  // stopped, its connections closed: as when the process has exited
  auto restored = hq::RestoreStore(config_.data_dir, backup, false, clock_.Now());
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(IncidentsIn(Store()), (std::vector<std::string>{"INC-1"}));
  EXPECT_EQ(IncidentsIn(restored->replaced), (std::vector<std::string>{"INC-1", "INC-2"}));
  EXPECT_FALSE(std::filesystem::exists(Store() + "-wal"));
  EXPECT_EQ(FileMode(Store()), 0600);

  StartHq();  // the restored store serves, with its own hq_id
  auto incidents = api_->Get("/v1/incidents");
  ASSERT_TRUE(incidents.ok());
  ASSERT_EQ(incidents->size(), 1u);
  EXPECT_EQ((*incidents)[0]["id"], "INC-1");
}

TEST_F(StoreBackupTest, ARestoreRefusesWhatIsNotAnHqStoreAndChangesNothing) {
  StartHq();
  AddIncident("INC-1");
  hq_.reset();
  const std::string text = dir_.File("notes.txt");
  ASSERT_TRUE(WriteFileAtomic(text, "not a database\n", 0600).ok());
  const std::string other = dir_.File("other.db");
  {
    SQLite::Database db(other, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE outbox(seq INTEGER)");  // some other SQLite file
  }
  for (const std::string& bad : {text, other, dir_.File("missing.db")}) {
    auto refused = hq::RestoreStore(config_.data_dir, bad, true, clock_.Now());
    EXPECT_FALSE(refused.ok()) << bad;
  }
  EXPECT_EQ(hq::RestoreStore(config_.data_dir, other, true, clock_.Now()).status().code(),
            ErrorCode::kWrongStore);
  EXPECT_EQ(IncidentsIn(Store()), (std::vector<std::string>{"INC-1"}));
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(config_.data_dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".replaced-"), std::string::npos);
    EXPECT_EQ(entry.path().filename().string().find(".partial-"), std::string::npos);
    ++entries;
  }
  EXPECT_GT(entries, 0u);
}

TEST_F(StoreBackupTest, ABackupOfAnotherHqIsRestoredOnlyWhenForced) {
  StartHq();
  hq_.reset();
  // Another HQ: another data directory, another hq_id.
  const std::string first_dir = config_.data_dir;
  config_.data_dir = dir_.File("other-hq");
  StartHq();
  AddIncident("OTHER-1");
  const std::string theirs = dir_.File("theirs.db");
  ASSERT_TRUE(hq::BackupStore(config_.data_dir, theirs, false).ok());
  hq_.reset();

  auto refused = hq::RestoreStore(first_dir, theirs, false, clock_.Now());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kConflict);
  EXPECT_NE(refused.status().message().find("another HQ"), std::string::npos);
  EXPECT_TRUE(IncidentsIn(first_dir + "/muster.db").empty());
  ASSERT_TRUE(hq::RestoreStore(first_dir, theirs, true, clock_.Now()).ok());
  EXPECT_EQ(IncidentsIn(first_dir + "/muster.db"), (std::vector<std::string>{"OTHER-1"}));
}

}  // namespace
}  // namespace muster::coordtest
