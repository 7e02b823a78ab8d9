#include "sync_client.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent_fixture.h"
#include "muster/protocol.h"

namespace muster::agent::testing {
namespace {

using nlohmann::json;
using protocol::Message;
using protocol::MessageType;

class SyncClientTest : public AgentTest {
 protected:
  void SetUp() override {
    AgentTest::SetUp();
    SyncClient::Options options;
    options.resend_after_ms = 15'000;
    client_ = std::make_unique<SyncClient>(*store_, clock_, kHqId, options);
  }

  // Messages as they arrive from the wire: encoded and decoded, so that only valid
  // messages reach the client.
  std::vector<Message> Receive(MessageType type, const json& body) {
    auto decoded = protocol::Decode(protocol::Encode({type, body}));
    EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
    if (!decoded.ok()) return {};
    return client_->OnMessage(*decoded);
  }
  // HQ's contiguous watermark of records held, and the highest record it holds.
  std::vector<Message> Welcome(std::uint64_t ingested, std::optional<std::uint64_t> highest = {},
                               const std::string& hq = kHqId) {
    return Receive(MessageType::kWelcome, {{"hq", hq},
                                           {"ingested", ingested},
                                           {"highest", highest.value_or(ingested)},
                                           {"time", clock_.Now()}});
  }
  std::vector<Message> Ack(const std::vector<std::uint64_t>& seqs, std::uint64_t ingested) {
    return Receive(MessageType::kAck, {{"seqs", seqs}, {"ingested", ingested}});
  }
  std::vector<Message> Deliver(const std::vector<Delivery>& deliveries) {
    json list = json::array();
    for (const Delivery& d : deliveries) {
      list.push_back({{"seq", d.seq}, {"kind", d.kind}, {"at", d.at}, {"body", d.body}});
    }
    return Receive(MessageType::kDeliver, {{"deliveries", list}});
  }
  std::uint64_t AppendStatus(const std::string& state, int lane = kLaneStatus) {
    auto seq = store_->Append("status", "t", {{"task", "t"}, {"state", state}}, lane);
    EXPECT_TRUE(seq.ok());
    return seq.ok() ? *seq : 0;
  }
  // The seqs of the next RECORDS batch, or empty when none is due. The batch is handed
  // to the socket as the link does (BatchSent).
  std::vector<std::uint64_t> NextSeqs() {
    std::optional<Message> batch = client_->NextBatch();
    if (!batch) return {};
    client_->BatchSent();
    EXPECT_EQ(batch->type, MessageType::kRecords);
    // What the client sends must pass the coordinator's decoder.
    auto decoded = protocol::Decode(protocol::Encode(*batch));
    EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
    std::vector<std::uint64_t> seqs;
    for (const json& record : batch->body["records"]) seqs.push_back(record["seq"].get<std::uint64_t>());
    return seqs;
  }

  std::unique_ptr<SyncClient> client_;
};

TEST_F(SyncClientTest, HelloStatesTheCursors) {
  Deploy();
  AppendStatus("acknowledged");  // 1
  AppendStatus("in_progress");   // 2
  AppendStatus("completed");     // 3
  ASSERT_TRUE(store_->MarkAcked({1}).ok());
  auto hello = client_->Hello();
  ASSERT_TRUE(hello.ok()) << hello.status().ToString();
  EXPECT_EQ(hello->type, MessageType::kHello);
  EXPECT_EQ(hello->body, json({{"agent", "agent-7"}, {"acked", 1}, {"applied", 5}, {"head", 3}}));
  EXPECT_TRUE(protocol::Decode(protocol::Encode(*hello)).ok());
}

TEST_F(SyncClientTest, NothingIsSentBeforeWelcome) {
  AppendStatus("acknowledged");
  EXPECT_FALSE(client_->welcomed());
  EXPECT_TRUE(NextSeqs().empty());
  EXPECT_TRUE(Welcome(0).empty());
  EXPECT_TRUE(client_->welcomed());
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1}));
}

TEST_F(SyncClientTest, AWelcomeFromAnotherHqIsRefused) {
  AppendStatus("acknowledged");
  EXPECT_TRUE(Welcome(0, 0, "hq-impostor").empty());
  EXPECT_FALSE(client_->welcomed());
  EXPECT_NE(client_->last_error().find("hq-impostor"), std::string::npos) << client_->last_error();
  EXPECT_TRUE(NextSeqs().empty());
}

TEST_F(SyncClientTest, BatchesGoSafetyFirstAndAreResentOnlyAfterTheTimeout) {
  AppendStatus("acknowledged");                 // 1
  AppendStatus("alert", kLaneSafety);           // 2
  Welcome(0);
  auto batch = client_->NextBatch();
  ASSERT_TRUE(batch.has_value());
  const json& records = batch->body["records"];
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["seq"], 2);
  EXPECT_EQ(records[1]["seq"], 1);
  EXPECT_EQ(records[1]["kind"], "status");
  EXPECT_EQ(records[1]["body"]["state"], "acknowledged");
  EXPECT_EQ(records[1]["at"], clock_.Now());
  EXPECT_TRUE(client_->in_flight());
  EXPECT_EQ(store_->Stats()->sent_unacked, 0u) << "not sent until it left for the socket";
  client_->BatchSent();
  EXPECT_EQ(store_->Stats()->sent_unacked, 2u);

  EXPECT_TRUE(NextSeqs().empty()) << "one batch in flight at a time";
  clock_.Advance(14'999);
  EXPECT_TRUE(NextSeqs().empty());
  clock_.Advance(1);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{2, 1})) << "resent after 15 s";
}

TEST_F(SyncClientTest, AckMarksRecordsAcknowledged) {
  AppendStatus("acknowledged");
  AppendStatus("in_progress");
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 2u);
  EXPECT_EQ(client_->Pending(), 2u);
  EXPECT_TRUE(Ack({1, 2}, 2).empty());
  EXPECT_FALSE(client_->in_flight());
  EXPECT_EQ(client_->Pending(), 0u);
  EXPECT_EQ(*store_->AckedWatermark(), 2u);
  EXPECT_TRUE(NextSeqs().empty());
  AppendStatus("completed");
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{3})) << "the next batch goes at once";
}

TEST_F(SyncClientTest, PartialAckSendsTheRestNext) {
  for (int i = 0; i < 3; ++i) AppendStatus("x");
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 3u);
  Ack({1, 3}, 1);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{2}));
}

TEST_F(SyncClientTest, WelcomeWithLowerIngestedRequeues) {
  for (int i = 0; i < 4; ++i) AppendStatus("x");  // 1..4
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 4u);
  Ack({1, 2, 3, 4}, 4);
  ASSERT_EQ(*store_->AckedWatermark(), 4u);
  // HQ was restored from a backup that holds only up to 2.
  client_->Reset();
  EXPECT_FALSE(client_->welcomed());
  Welcome(2);
  EXPECT_EQ(*store_->AckedWatermark(), 2u);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{3, 4}));
}

TEST_F(SyncClientTest, WelcomeWithHigherIngestedRebasesTheSequence) {
  AppendStatus("a");  // 1
  AppendStatus("b");  // 2
  // This store was restored from a backup; HQ holds seqs up to 6 from the lost store.
  Welcome(6, 6);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{7, 8}));
  auto records = store_->Records("");
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].body["state"], "a");
  EXPECT_EQ(*store_->Head(), 8u);
}

// Regression (agent/sync_client.cc OnWelcome, fixed): records are requeued only when HQ's ingested
// watermark is below the agent's *contiguous* acked watermark. With safety-first batches
// HQ acknowledges records out of order (here seq 3 before 1 and 2). If HQ is then
// restored from a backup taken before seq 3 arrived, its ingested watermark (0) equals
// the agent's contiguous watermark (0), nothing is requeued, and seq 3 — a safety alert
// — never reaches HQ again. Fix: call RequeueAbove(ingested) on every WELCOME (it only
// touches acknowledged records above HQ's watermark; HQ ignores duplicates).
TEST_F(SyncClientTest, WelcomeRequeuesRecordsAckedOutOfOrder) {
  AppendStatus("acknowledged");                 // 1
  AppendStatus("in_progress");                  // 2
  AppendStatus("alert", kLaneSafety);           // 3
  Welcome(0);
  ASSERT_EQ(NextSeqs(), (std::vector<std::uint64_t>{3, 1, 2}));
  Ack({3}, 0);  // HQ held 3 only (1 and 2 were lost in transit)
  client_->Reset();
  Welcome(0, 0);  // HQ restored from a backup without seq 3
  const std::vector<std::uint64_t> seqs = NextSeqs();
  EXPECT_NE(std::find(seqs.begin(), seqs.end(), 3u), seqs.end())
      << "the safety alert HQ lost is never sent again";
}

TEST_F(SyncClientTest, DeliverIsAnsweredWithTheAppliedWatermark) {
  Welcome(0);
  auto replies = Deliver({PlaybookDelivery(1),
                          TaskDelivery(2, {.step = "secondary_inspection", .state = "ready"})});
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].type, MessageType::kDelivered);
  EXPECT_EQ(replies[0].body, json({{"applied", 2}}));
  EXPECT_TRUE(protocol::Decode(protocol::Encode(replies[0])).ok());
  EXPECT_EQ(store_->Tasks()->size(), 1u);

  // A duplicate and a gap: the watermark tells HQ where to resume.
  replies = Deliver({TaskDelivery(2, {.step = "secondary_inspection", .state = "cancelled"}),
                     TaskDelivery(4, {.step = "identify_nuclide"})});
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].body["applied"], 2);
  EXPECT_EQ(GetTask("secondary_inspection").hq_state, "ready");
  EXPECT_EQ(store_->Tasks()->size(), 1u);

  replies = Deliver({TaskDelivery(3, {.step = "establish_cordon"}),
                     TaskDelivery(4, {.step = "identify_nuclide"})});
  EXPECT_EQ(replies[0].body["applied"], 4);
  EXPECT_EQ(store_->Tasks()->size(), 3u);
}

TEST_F(SyncClientTest, DeliverBeforeWelcomeIsIgnored) {
  // Only the coordinator that welcomed this agent may change its tasks.
  EXPECT_TRUE(Deliver({PlaybookDelivery(1)}).empty());
  EXPECT_EQ(*store_->AppliedWatermark(), 0u);
  Welcome(0, 0, "hq-impostor");
  EXPECT_TRUE(Deliver({PlaybookDelivery(1)}).empty());
  EXPECT_EQ(*store_->AppliedWatermark(), 0u);
  Welcome(0);
  ASSERT_EQ(Deliver({PlaybookDelivery(1)}).size(), 1u);
  EXPECT_EQ(*store_->AppliedWatermark(), 1u);
}

// A delivery whose body this agent cannot use is acknowledged and skipped (logged), so
// that it does not block every later delivery; it changes nothing in the store.
TEST_F(SyncClientTest, AMalformedDeliveryIsAcknowledgedWithoutEffect) {
  Welcome(0);
  Delivery bad = TaskDelivery(1, {.step = "secondary_inspection"});
  bad.body["dormant"] = "no";  // HQ sends a boolean
  auto replies = Deliver({bad});
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].body["applied"], 1);
  EXPECT_TRUE(store_->Tasks()->empty());
}

TEST_F(SyncClientTest, ErrorWithRefMarksTheRecordRefused) {
  AppendStatus("completed");
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 1u);
  Ack({1}, 1);
  EXPECT_TRUE(Receive(MessageType::kError, {{"code", "forbidden"},
                                            {"message", "the task was reassigned"},
                                            {"ref", 1}})
                  .empty());
  auto records = store_->Records("");
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].refusal, "forbidden: the task was reassigned");
  EXPECT_TRUE(client_->welcomed()) << "a refused record does not end the session";
  EXPECT_EQ(client_->last_error(), "");
  EXPECT_EQ(store_->Stats()->refused, 1u);
}

TEST_F(SyncClientTest, ABatchRefusedAsAWholeIsResentAfterTheDelay) {
  AppendStatus("completed");
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 1u);
  clock_.Advance(10'000);
  Receive(MessageType::kError, {{"code", "internal"}, {"message", "store unavailable"}});
  EXPECT_EQ(client_->last_error(), "internal: store unavailable");
  EXPECT_TRUE(client_->welcomed());
  EXPECT_TRUE(NextSeqs().empty()) << "no hammering of a struggling HQ";
  clock_.Advance(14'999);
  EXPECT_TRUE(NextSeqs().empty());
  clock_.Advance(1);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1}));
  EXPECT_EQ(store_->Stats()->refused, 0u);
}

TEST_F(SyncClientTest, ARateLimitedBatchGoesAgainWhenHqSaysItMay) {
  AppendStatus("completed");
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 1u);
  Receive(MessageType::kError,
          {{"code", "rate_limited"}, {"message", "retry after 300 ms"}, {"retry_after_ms", 300}});
  EXPECT_EQ(client_->last_error(), "") << "a busy HQ is not an error for the member";
  EXPECT_TRUE(client_->welcomed());
  clock_.Advance(299);
  EXPECT_TRUE(NextSeqs().empty());
  clock_.Advance(1);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1})) << "not after the 15 s resend delay";
  // An absurd wait is capped at the resend delay.
  Receive(MessageType::kError, {{"code", "rate_limited"}, {"message", "x"},
                                {"retry_after_ms", 86'400'000}});
  clock_.Advance(15'000);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1}));
}

TEST_F(SyncClientTest, NoSessionMeansGreetAgainAndResendAtOnce) {
  AppendStatus("completed");
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 1u);
  Receive(MessageType::kError, {{"code", "no_session"}, {"message", "send HELLO first"}});
  EXPECT_FALSE(client_->welcomed());
  EXPECT_FALSE(client_->in_flight());
  EXPECT_EQ(client_->last_error(), "") << "a restarted HQ is not an error for the member";
  EXPECT_TRUE(NextSeqs().empty()) << "not before the new WELCOME";
  Welcome(0);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1}));
}

TEST_F(SyncClientTest, ForbiddenEndsTheSession) {
  AppendStatus("completed");
  Welcome(0);
  Receive(MessageType::kError, {{"code", "forbidden"}, {"message", "agent revoked"}});
  EXPECT_FALSE(client_->welcomed());
  EXPECT_EQ(client_->last_error(), "forbidden: agent revoked");
  EXPECT_TRUE(NextSeqs().empty());
}

TEST_F(SyncClientTest, PingIsAnsweredWithPong) {
  clock_.Set(1'800'000'000'123);
  auto replies = Receive(MessageType::kPing, {{"time", 5}});
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].type, MessageType::kPong);
  EXPECT_EQ(replies[0].body["time"], 1'800'000'000'123);
  EXPECT_TRUE(Receive(MessageType::kPong, {{"time", 5}}).empty());
}

TEST_F(SyncClientTest, MessagesMeantForHqAreIgnored) {
  AppendStatus("x");
  EXPECT_TRUE(Receive(MessageType::kHello,
                      {{"agent", "a"}, {"acked", 0}, {"applied", 0}, {"head", 0}}).empty());
  EXPECT_TRUE(Receive(MessageType::kDelivered, {{"applied", 9}}).empty());
  EXPECT_FALSE(client_->welcomed());
  EXPECT_EQ(*store_->AckedWatermark(), 0u);
}

TEST_F(SyncClientTest, ResetForgetsTheBatchInFlight) {
  AppendStatus("x");
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 1u);
  client_->Reset();
  EXPECT_FALSE(client_->in_flight());
  Welcome(0);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1})) << "resent in the new session";
}

}  // namespace
}  // namespace muster::agent::testing
