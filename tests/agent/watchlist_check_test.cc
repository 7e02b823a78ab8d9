// The persons-of-interest check on the laptop (docs/programme.md): the incident's
// watchlist as HQ delivers it, kept only in a sealed store; a person recorded in a
// `person` field checked against it offline, a hit told to the member at once and queued
// for HQ in the safety lane, ahead of the finding itself; a plain store keeps nothing and
// says so.
#include <gtest/gtest.h>

#include <sstream>

#include "agent_fixture.h"
#include "muster/wire/deliveries.h"
#include "verbs.h"

namespace muster::agent::testing {
namespace {

const char* const kIncident = "INC-2026-0042";  // the fixture's tasks' incident

Delivery WatchlistOf(std::uint64_t seq, bool whole, std::vector<watchlist::Entry> entries,
                     std::vector<std::string> removed = {}) {
  return wire::MakeDelivery(seq, 0,
                            wire::WatchlistDelivery{kIncident, whole, std::move(entries),
                                                    std::move(removed)});
}

watchlist::Entry Petrov() {
  return {"G-2026-0412", "green", {"Иван Сергеевич Петров", "Ivan Sergeevich PETROV"},
          "1971-03-02", {"RU"}, {"721234567"}, {}};
}

class WatchlistCheckTest : public AgentTest {
 protected:
  void SetUp() override {
    AgentTest::SetUp();
    Deploy();
  }
  Status RecordPerson(const std::string& person, std::ostringstream& out) {
    return RecordFinding(*store_, "secondary_inspection", {"driver=" + person}, false, false,
                         false, out);
  }
};

TEST_F(WatchlistCheckTest, AHitIsToldAtOnceAndQueuedForHqAheadOfTheFinding) {
  ASSERT_TRUE(store_->ApplyDeliveries({WatchlistOf(6, true, {Petrov()})}).ok());
  std::ostringstream before;
  ASSERT_TRUE(RecordFinding(*store_, "secondary_inspection", {"dose_rate_1m=40"}, false, false,
                            false, before)
                  .ok());
  std::ostringstream out;
  ASSERT_TRUE(RecordPerson("PETROW Iwan|1971-03-02", out).ok()) << out.str();
  EXPECT_TRUE(Contains(out.str(), "WATCHLIST HIT: driver matches notice G-2026-0412 (green)"));
  EXPECT_TRUE(Contains(out.str(), "date of birth 1971-03-02 matches"));

  auto records = store_->outbox().Records("");
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 3u);
  const auto& hit = (*records)[1];
  EXPECT_EQ(hit.kind, "watchlist_hit");
  EXPECT_EQ(hit.lane, kLaneSafety);
  EXPECT_EQ(hit.body["notice"], "G-2026-0412");
  EXPECT_GE(hit.body["score_milli"].get<int>(), 900);
  EXPECT_EQ(hit.body["person"], "PETROW Iwan|1971-03-02");
  // HQ gets the hit first, though the earlier finding was recorded before it.
  auto batch = store_->outbox().NextBatch(10, 1 << 20);
  ASSERT_TRUE(batch.ok());
  ASSERT_FALSE(batch->empty());
  EXPECT_EQ((*batch)[0].kind, "watchlist_hit");
}

TEST_F(WatchlistCheckTest, ADocumentNumberHitsAndAStrangerDoesNotAndChangesFollowHq) {
  ASSERT_TRUE(store_->ApplyDeliveries({WatchlistOf(6, true, {Petrov()})}).ok());
  std::ostringstream stranger;
  ASSERT_TRUE(RecordPerson("Jonas Berg|1985-06-01", stranger).ok());
  EXPECT_TRUE(Contains(stranger.str(), "watchlist: driver checked, no hit"));
  std::ostringstream document;
  ASSERT_TRUE(RecordPerson("John Smith||72 1234567", document).ok());
  EXPECT_TRUE(Contains(document.str(), "document 721234567 is listed"));

  // HQ removes the notice: the next check holds no list for the incident.
  ASSERT_TRUE(store_->ApplyDeliveries({WatchlistOf(7, false, {}, {"G-2026-0412"})}).ok());
  std::ostringstream after;
  ASSERT_TRUE(RecordPerson("PETROW Iwan|1971-03-02", after).ok());
  EXPECT_TRUE(Contains(after.str(), "holds no watchlist for INC-2026-0042"));
  auto hits = 0;
  auto records = store_->outbox().Records("");
  ASSERT_TRUE(records.ok());
  for (const auto& record : *records) hits += record.kind == "watchlist_hit";
  EXPECT_EQ(hits, 1);
}

TEST_F(WatchlistCheckTest, AnOptionalPersonLeftBlankIsRecordedWithoutACheck) {
  ASSERT_TRUE(store_->ApplyDeliveries({WatchlistOf(6, true, {Petrov()})}).ok());
  std::ostringstream out;
  ASSERT_TRUE(RecordFinding(*store_, "secondary_inspection", {"dose_rate_1m=40", "driver="}, false,
                            false, false, out)
                  .ok())
      << out.str();
  EXPECT_TRUE(Lacks(out.str(), "watchlist"));
}

TEST_F(WatchlistCheckTest, AMalformedPersonIsRefusedAndNothingIsRecorded) {
  ASSERT_TRUE(store_->ApplyDeliveries({WatchlistOf(6, true, {Petrov()})}).ok());
  std::ostringstream out;
  const Status refused = RecordPerson("Iwan|1971-02-30", out);
  EXPECT_EQ(refused.code(), ErrorCode::kInvalidValue);
  EXPECT_TRUE(Contains(refused.message(), "driver"));
  auto records = store_->outbox().Records("");
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());
}

class PlainWatchlistTest : public WatchlistCheckTest {
 protected:
  bool Sealed() const override { return false; }
};

TEST_F(PlainWatchlistTest, APlainStoreKeepsNoWatchlistAndSaysWhy) {
  ASSERT_TRUE(store_->ApplyDeliveries({WatchlistOf(6, true, {Petrov()})}).ok());
  auto held = store_->WatchlistOf(kIncident);
  ASSERT_TRUE(held.ok());
  EXPECT_TRUE(held->empty());
  auto raw = RawStore();
  SQLite::Statement plain(*raw, "SELECT COUNT(*) FROM watchlist");
  ASSERT_TRUE(plain.executeStep());
  EXPECT_EQ(plain.getColumn(0).getInt(), 0) << "no person of interest rests unencrypted";

  std::ostringstream out;
  ASSERT_TRUE(RecordPerson("PETROW Iwan|1971-03-02", out).ok());
  EXPECT_TRUE(Contains(out.str(), "its store is not sealed"));
  std::ostringstream status;
  ASSERT_TRUE(ShowStatus(*store_, clock_, false, status).ok());
  EXPECT_TRUE(Contains(status.str(), "Watchlist:  NOT KEPT for INC-2026-0042 (1 entries)"));
}

}  // namespace
}  // namespace muster::agent::testing
