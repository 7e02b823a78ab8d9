// The daemon holds one AgentStore for its life while each CLI verb opens its own on the
// same file. Both must work whatever the interleaving; no test here depends on timing.
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent_fixture.h"
#include "verbs.h"

namespace muster::agent::testing {
namespace {

using nlohmann::json;

using ConcurrentStoreTest = AgentTest;

TEST_F(ConcurrentStoreTest, TwoStoresOnOneFileSeeEachOthersWrites) {
  Deploy();
  auto cli = OpenAnother();
  ASSERT_NE(cli, nullptr);
  EXPECT_EQ(cli->Tasks()->size(), 4u);
  EXPECT_EQ(*cli->AppliedWatermark(), 5u);

  auto a = store_->outbox().Append("note", "", {{"text", "from the daemon"}}, kLaneStatus);
  auto b = cli->outbox().Append("note", "", {{"text", "from the CLI"}}, kLaneStatus);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(cli->outbox().Records("")->size(), 2u);
  EXPECT_EQ(store_->outbox().NextBatch(10, 1 << 20)->size(), 2u);
  ASSERT_TRUE(store_->outbox().MarkAcked({*a, *b}).ok());
  EXPECT_EQ(cli->outbox().Stats()->acked, 2u);
}

TEST_F(ConcurrentStoreTest, AVerbOpensTheStoreWhileTheDaemonIsInsideAWrite) {
  Deploy();
  std::thread verb;
  Status opened_and_recorded;
  // The daemon applies deliveries in one transaction; meanwhile a CLI verb opens the store
  // and records a status. The verb waits for the write lock (busy timeout) at whatever
  // point it reaches it; both must succeed.
  Status daemon = store_->outbox().Transaction([&]() -> Status {
    verb = std::thread([&] {
      auto cli = AgentStore::Open(dir_.path(), bundle_, clock_, Key());
      if (!cli.ok()) {
        opened_and_recorded = cli.status();
        return;
      }
      std::ostringstream out;
      opened_and_recorded =
          SetState(**cli, "secondary_inspection", "acknowledged", "", false, out);
    });
    for (int i = 0; i < 50; ++i) {
      auto seq = store_->outbox().Append("note", "", {{"i", i}}, kLaneStatus);
      if (!seq.ok()) return seq.status();
    }
    return Status::Ok();
  });
  verb.join();
  EXPECT_TRUE(daemon.ok()) << daemon.ToString();
  EXPECT_TRUE(opened_and_recorded.ok()) << opened_and_recorded.ToString();
  auto records = store_->outbox().Records("");
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 51u);
  EXPECT_EQ(GetTask("secondary_inspection").local_state, "acknowledged");
}

TEST_F(ConcurrentStoreTest, DaemonAndVerbsWriteAtTheSameTime) {
  Deploy();
  constexpr int kDaemonWrites = 100;
  constexpr int kVerbs = 20;
  Status daemon_status, verbs_status;
  std::thread daemon([&] {
    for (int i = 0; i < kDaemonWrites && daemon_status.ok(); ++i) {
      auto seq = store_->outbox().Append("note", "", {{"daemon", i}}, kLaneStatus);
      if (!seq.ok()) {
        daemon_status = seq.status();
        break;
      }
      daemon_status = store_->outbox().MarkAcked({*seq});
      if (daemon_status.ok()) {
        auto applied = store_->ApplyDeliveries(
            {TaskDelivery(6 + i, {.step = "identify_nuclide", .state = "waiting"})});
        daemon_status = applied.ok() ? Status::Ok() : applied.status();
      }
    }
  });
  std::thread verbs([&] {
    for (int i = 0; i < kVerbs && verbs_status.ok(); ++i) {
      // Each verb is a new process in real life: a new AgentStore, opened and closed.
      auto cli = AgentStore::Open(dir_.path(), bundle_, clock_, Key());
      if (!cli.ok()) {
        verbs_status = cli.status();
        break;
      }
      std::ostringstream out;
      verbs_status = RecordNote(**cli, "secondary_inspection", "note " + std::to_string(i), out);
      if (verbs_status.ok()) verbs_status = ListTasks(**cli, clock_, false, out);
    }
  });
  daemon.join();
  verbs.join();
  EXPECT_TRUE(daemon_status.ok()) << daemon_status.ToString();
  EXPECT_TRUE(verbs_status.ok()) << verbs_status.ToString();

  auto records = store_->outbox().Records("");
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), static_cast<std::size_t>(kDaemonWrites + kVerbs));
  std::set<std::uint64_t> seqs;
  for (const auto& record : *records) seqs.insert(record.seq);
  EXPECT_EQ(seqs.size(), records->size()) << "every record has its own sequence";
  EXPECT_EQ(*store_->AppliedWatermark(), 5u + kDaemonWrites);
  EXPECT_EQ(store_->outbox().Stats()->acked, static_cast<std::uint64_t>(kDaemonWrites));
}

TEST_F(ConcurrentStoreTest, ManyStoresOpenedAtOnceOnAnExistingFile) {
  std::vector<std::thread> threads;
  std::vector<Status> results(4);
  for (std::size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        auto cli = AgentStore::Open(dir_.path(), bundle_, clock_, Key());
        if (!cli.ok()) {
          results[t] = cli.status();
          return;
        }
        auto seq = (*cli)->outbox().Append("note", "", {{"t", t}, {"i", i}}, kLaneStatus);
        if (!seq.ok()) {
          results[t] = seq.status();
          return;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const Status& status : results) EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(*store_->outbox().Head(), 20u);
}

}  // namespace
}  // namespace muster::agent::testing
