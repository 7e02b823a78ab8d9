// StoreWatch and the outbox signal on real files: records (or a file) committed by
// another connection (as a verb is another process) are reported, and visible to the
// daemon's own connection by the time they are; the daemon's own writes and work not
// committed are not reported. "Reported" waits up to 5 s; "not reported" watches for
// 300 ms.
#include <poll.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>

#include "agent_fixture.h"
#include "store_watch.h"

namespace muster::agent::testing {
namespace {

using nlohmann::json;

constexpr int kReported = 5'000;
constexpr int kNotReported = 300;

// Polls |watch| until Drain() says the outbox changed, or |timeout_ms| passed.
bool ReportsChange(StoreWatch& watch, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return false;
    pollfd fd{watch.changes_fd(), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(left)) > 0 && watch.Drain()) return true;
  }
}

class StoreWatchTest : public AgentTest {
 protected:
  void SetUp() override {
    AgentTest::SetUp();
    Deploy();
    watch_ = std::make_unique<StoreWatch>(dir_.path());
    ASSERT_GE(watch_->changes_fd(), 0) << "inotify is unavailable here";
    verb_ = OpenAnother();
    ASSERT_NE(verb_, nullptr);
    watch_->Drain();  // opening the verb's store is not a change
  }
  // What the daemon's connection sees waiting (a file not yet cut counts as one).
  std::uint64_t Pending() { return store_->outbox().Stats()->pending; }
  Attachment Import(const std::string& name) {
    const std::string source = dir_.File(name);
    std::ofstream(source) << std::string(100'000, 's');
    auto file = ImportAttachment(dir_.path(), source);
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? *file : Attachment{};
  }

  std::unique_ptr<StoreWatch> watch_;
  std::unique_ptr<AgentStore> verb_;
};

TEST_F(StoreWatchTest, ReportsARecordAnotherConnectionAppended) {
  ASSERT_TRUE(verb_->outbox().Append("note", "", {{"text", "cordon at 30 m"}}, kLaneStatus).ok());
  ASSERT_TRUE(ReportsChange(*watch_, kReported));
  // The report comes after the commit: the daemon's read finds the record.
  EXPECT_EQ(Pending(), 1u);
}

TEST_F(StoreWatchTest, ReportsATransactionAfterItsCommitAndNotBefore) {
  const Attachment file = Import("spectrum.spe");
  const std::string task = TaskIdOf("secondary_inspection");
  bool reported_inside = true;
  Status status = verb_->outbox().Transaction([&]() -> Status {
    for (const char* state : {"acknowledged", "in_progress"}) {
      auto seq = verb_->outbox().Append("status", task, {{"task", task}, {"state", state}},
                                        kLaneStatus);
      if (!seq.ok()) return seq.status();
    }
    MUSTER_RETURN_IF_ERROR(verb_->outbox().AddAttachment(file, task));
    MUSTER_RETURN_IF_ERROR(verb_->SetLocalState(task, "in_progress", ""));
    reported_inside = ReportsChange(*watch_, kNotReported);
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_FALSE(reported_inside) << "signalled before the commit";
  ASSERT_TRUE(ReportsChange(*watch_, kReported));
  EXPECT_EQ(Pending(), 3u);
}

TEST_F(StoreWatchTest, AFileAttachedWithoutARecordIsReported) {
  const Attachment file = Import("photo.jpg");
  ASSERT_TRUE(verb_->outbox().Transaction([&] {
                      return verb_->outbox().AddAttachment(file, TaskIdOf("secondary_inspection"));
                    }).ok());
  ASSERT_TRUE(ReportsChange(*watch_, kReported));
  EXPECT_EQ(Pending(), 1u);
}

TEST_F(StoreWatchTest, ARolledBackTransactionIsNotReported) {
  Status status = verb_->outbox().Transaction([&]() -> Status {
    auto seq = verb_->outbox().Append("note", "", {{"text", "never mind"}}, kLaneStatus);
    if (!seq.ok()) return seq.status();
    return Status::Error(ErrorCode::kInvalidArgument, "the verb changed its mind");
  });
  EXPECT_FALSE(status.ok());
  EXPECT_FALSE(ReportsChange(*watch_, kNotReported));
  // Nor by the next transaction that adds nothing.
  ASSERT_TRUE(verb_->outbox().Transaction([&] { return verb_->SetLocalState(
                                           TaskIdOf("secondary_inspection"), "blocked", "x"); })
                  .ok());
  EXPECT_FALSE(ReportsChange(*watch_, kNotReported));
  EXPECT_EQ(Pending(), 0u);
}

TEST_F(StoreWatchTest, TheDaemonsOwnWritesAreNotReported) {
  auto seq = verb_->outbox().Append("note", "", {{"text", "one"}}, kLaneStatus);
  ASSERT_TRUE(seq.ok());
  ASSERT_TRUE(ReportsChange(*watch_, kReported));
  ASSERT_TRUE(verb_->outbox().Transaction([&] {
                      return verb_->outbox().AddAttachment(Import("scene.jpg"),
                                                  TaskIdOf("secondary_inspection"));
                    }).ok());
  ASSERT_TRUE(ReportsChange(*watch_, kReported));
  // The daemon's own writes: the pieces it cuts as it sends, receipts, cursors, link
  // state, deliveries.
  ASSERT_TRUE(store_->outbox().MarkSent({*seq}).ok());
  ASSERT_TRUE(store_->outbox().MarkAcked({*seq}).ok());
  auto pieces = store_->outbox().NextBatch(kLaneAttachment, 100, 1 << 20);
  ASSERT_TRUE(pieces.ok()) << pieces.status().ToString();
  ASSERT_GE(pieces->size(), 1u);
  EXPECT_EQ(pieces->front().kind, "attachment_chunk");
  ASSERT_TRUE(store_->SetLink({true, clock_.Now(), clock_.Now(), ""}).ok());
  ASSERT_TRUE(store_->SetDeliveryHead(9).ok());
  ASSERT_TRUE(store_->ApplyDeliveries({TaskDelivery(6, {.step = "photograph_scene"})}).ok());
  // A verb that only reads opens and closes the store's files.
  auto reader = OpenAnother();
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->Tasks()->size(), 5u);
  reader.reset();
  verb_.reset();
  EXPECT_FALSE(ReportsChange(*watch_, kNotReported));
}

TEST_F(StoreWatchTest, ASignalThatCannotBeWrittenDoesNotFailTheRecord) {
  // A directory where the signal file should be: opening it for writing fails (EISDIR).
  ASSERT_EQ(::mkdir(dir_.File(kOutboxSignalFile).c_str(), 0700), 0);
  EXPECT_FALSE(SignalOutboxChanged(dir_.path()).ok());
  EXPECT_TRUE(verb_->outbox().Append("note", "", {{"text", "still recorded"}}, kLaneStatus).ok());
  EXPECT_TRUE(verb_->outbox().Transaction([&]() -> Status {
                      return verb_->outbox().Append("note", "", {{"text", "this too"}}, kLaneStatus)
                          .status();
                    }).ok());
  EXPECT_EQ(Pending(), 2u);
}

TEST(StoreWatchFallbackTest, WithoutADirectoryToWatchOnlyInterruptsWake) {
  StoreWatch none("");
  EXPECT_EQ(none.changes_fd(), -1);
  EXPECT_FALSE(none.Drain());
  StoreWatch missing("/nonexistent/muster-data");
  EXPECT_EQ(missing.changes_fd(), -1);  // the link falls back to its timer
  ASSERT_GE(none.interrupt_fd(), 0);
  none.Interrupt();
  pollfd fd{none.interrupt_fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&fd, 1, kReported), 1);
}

}  // namespace
}  // namespace muster::agent::testing
