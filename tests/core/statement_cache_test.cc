// The prepared-statement cache: a statement is prepared once, every lease starts from a
// reset statement with no bindings, a nested use of the same SQL gets its own statement,
// and a lease left mid-iteration holds no read snapshot once it ends.
#include "muster/statement_cache.h"

#include <gtest/gtest.h>

#include "muster/sqlite_store.h"
#include "temp_dir.h"

namespace muster {
namespace {

using muster::testing::TempDir;

const std::vector<Migration> kSchema = {
    {1,
     "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
     "INSERT INTO items(name) VALUES('a'), ('b'), ('c');"}};

class StatementCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = OpenStore(dir_.File("store.db"), kSchema);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    cache_ = std::make_unique<StatementCache>(*db_);
  }
  TempDir dir_;
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<StatementCache> cache_;
};

TEST_F(StatementCacheTest, TheSameStatementServesEveryLeaseFromItsStart) {
  const std::string sql = "SELECT name FROM items WHERE id>=? ORDER BY id";
  SQLite::Statement* first = nullptr;
  {
    auto query = cache_->Get(sql);
    first = &*query;
    query->bind(1, 2);
    ASSERT_TRUE(query->executeStep());
    EXPECT_EQ(query->getColumn(0).getString(), "b");
  }
  auto again = cache_->Get(sql);
  EXPECT_EQ(&*again, first);
  // Reset, and the binding is gone (NULL matches nothing).
  EXPECT_FALSE(again->executeStep());
}

TEST_F(StatementCacheTest, ANestedUseOfTheSameSqlGetsItsOwnStatement) {
  const std::string sql = "SELECT name FROM items WHERE id=?";
  auto outer = cache_->Get(sql);
  outer->bind(1, 1);
  ASSERT_TRUE(outer->executeStep());
  {
    auto inner = cache_->Get(sql);
    EXPECT_NE(&*inner, &*outer);
    inner->bind(1, 3);
    ASSERT_TRUE(inner->executeStep());
    EXPECT_EQ(inner->getColumn(0).getString(), "c");
  }
  // The outer iteration is untouched by the inner one.
  EXPECT_EQ(outer->getColumn(0).getString(), "a");
}

TEST_F(StatementCacheTest, ALeaseEndedMidIterationHoldsNoSnapshot) {
  {
    auto query = cache_->Get("SELECT name FROM items ORDER BY id");
    ASSERT_TRUE(query->executeStep());  // one row of three: the statement is active
  }
  // Another connection writes; this connection sees it, so no read transaction stayed
  // open behind the ended lease.
  SQLite::Database other(dir_.File("store.db"), SQLite::OPEN_READWRITE);
  other.exec("INSERT INTO items(name) VALUES('d')");
  auto count = cache_->Get("SELECT COUNT(*) FROM items");
  ASSERT_TRUE(count->executeStep());
  EXPECT_EQ(count->getColumn(0).getInt(), 4);
}

TEST_F(StatementCacheTest, BadSqlThrowsAsPreparingDoes) {
  EXPECT_THROW(cache_->Get("SELEKT nothing"), SQLite::Exception);
  EXPECT_THROW(cache_->Get("SELEKT nothing"), SQLite::Exception);  // nothing half-cached
}

}  // namespace
}  // namespace muster
