#include "sync_client.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent_fixture.h"
#include "failing_store.h"
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
    failing_ = std::make_unique<FailingStore>(*store_);
    client_ = std::make_unique<SyncClient>(*failing_, clock_, kHqId, SyncClient::Options{});
  }

  // Messages as they arrive from the wire: encoded and decoded, so that only valid
  // messages reach the client.
  std::vector<Message> Receive(MessageType type, const json& body) {
    const std::string frame = protocol::Encode({type, body});
    auto decoded = protocol::Decode(frame);
    EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
    if (!decoded.ok()) return {};
    return client_->OnMessage(*decoded, frame.size());
  }
  // Hands whatever the client has due to the "socket" and returns it, as the link does.
  std::vector<Message> Flush() {
    std::vector<Message> out = client_->Outgoing();
    for (const Message& message : out) {
      // What the client sends must pass the coordinator's decoder.
      const std::string frame = protocol::Encode(message);
      EXPECT_TRUE(protocol::Decode(frame).ok()) << protocol::ToString(message.type);
      client_->Sent(message, frame.size());
    }
    return out;
  }
  // A connection comes up; returns the HELLO sent on it.
  Message Connect() {
    client_->OnConnected();
    std::vector<Message> out = Flush();
    EXPECT_EQ(out.size(), 1u);
    EXPECT_EQ(out.empty() ? MessageType::kPing : out[0].type, MessageType::kHello);
    return out.empty() ? Message{} : out[0];
  }
  // HQ's answer to the HELLO (sent first if the client has no connection yet).
  std::vector<Message> Welcome(std::uint64_t ingested, std::optional<std::uint64_t> highest = {},
                               const std::string& hq = kHqId, const json& extra = json::object()) {
    if (!client_->welcomed() && !hello_outstanding_) Connect();
    hello_outstanding_ = false;
    clock_.Advance(1'500);  // a satellite round trip: the link starts as a thin one
    json body = {{"hq", hq},
                 {"ingested", ingested},
                 {"highest", highest.value_or(ingested)},
                 {"time", clock_.Now()},
                 {"lost", json::array()}};
    body.update(extra);
    return Receive(MessageType::kWelcome, body);
  }
  std::vector<Message> Ack(const std::vector<std::uint64_t>& seqs, std::uint64_t ingested) {
    return Receive(MessageType::kAck, {{"seqs", seqs}, {"ingested", ingested}});
  }
  std::vector<Message> Deliver(const std::vector<Delivery>& deliveries, bool more = false) {
    json list = json::array();
    for (const Delivery& d : deliveries) {
      list.push_back({{"seq", d.seq}, {"kind", d.kind}, {"at", d.at}, {"body", d.body}});
    }
    json body = {{"deliveries", list}};
    if (more) body["more"] = true;
    return Receive(MessageType::kDeliver, body);
  }
  std::uint64_t Append(const std::string& state, int lane = kLaneStatus) {
    auto seq = store_->outbox().Append("status", "t", {{"task", "t"}, {"state", state}}, lane);
    EXPECT_TRUE(seq.ok());
    return seq.ok() ? *seq : 0;
  }
  // The seqs of the RECORDS batch that went out now, or empty when none did.
  std::vector<std::uint64_t> NextSeqs() {
    std::vector<std::uint64_t> seqs;
    for (const Message& message : Flush()) {
      if (message.type != MessageType::kRecords) continue;
      for (const json& record : message.body["records"]) {
        seqs.push_back(record["seq"].get<std::uint64_t>());
      }
    }
    return seqs;
  }
  std::vector<std::uint64_t> Seqs(std::uint64_t first, std::uint64_t last) {
    std::vector<std::uint64_t> seqs;
    for (std::uint64_t seq = first; seq <= last; ++seq) seqs.push_back(seq);
    return seqs;
  }

  std::unique_ptr<FailingStore> failing_;
  std::unique_ptr<SyncClient> client_;
  bool hello_outstanding_ = false;
};

TEST_F(SyncClientTest, OneHelloPerConnectionStatesTheCursors) {
  Deploy();
  Append("acknowledged");  // 1
  Append("in_progress");   // 2
  Append("completed");     // 3
  Append("alert", kLaneSafety);  // 4
  ASSERT_TRUE(store_->outbox().MarkSent({1, 2}).ok());
  ASSERT_TRUE(store_->outbox().MarkAcked({1, 4}).ok());
  EXPECT_TRUE(Flush().empty()) << "nothing before a connection is up";
  Message hello = Connect();
  EXPECT_EQ(hello.body, json({{"agent", "agent-7"},
                              {"acked", 1},
                              {"applied", 5},
                              {"head", 4},
                              {"sent", {{2, 2}}},
                              {"acked_above", {{4, 4}}}}));
  clock_.Advance(30'000);
  EXPECT_TRUE(Flush().empty()) << "the HELLO is not repeated on the same connection";
}

// A laptop 3 hours fast. The WELCOME's time gives the offset within half the round trip;
// it is kept in the store and told to HQ once; a PING on the quiet link measures it
// tighter, and the better one is told again; a new connection's HELLO states it.
TEST_F(SyncClientTest, TheClockOffsetIsMeasuredKeptAndToldToHq) {
  constexpr Millis kHour = 3'600'000;
  EXPECT_FALSE(Connect().body.contains("clock_offset")) << "nothing measured yet";
  hello_outstanding_ = true;
  clock_.Advance(1'500);  // with Welcome's own 1.5 s: a 3 s round trip on a busy link
  // HQ stamped its time half way, by its own clock 3 hours behind the laptop's.
  Welcome(0, 0, kHqId, {{"time", clock_.Now() + 1'500 - 1'500 - 3 * kHour}});
  auto kept = store_->ClockOffsetToHq();
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->offset_ms, -3 * kHour);
  EXPECT_EQ((*kept)->rtt_ms, 3'000);

  Append("acknowledged");
  std::vector<Message> out = Flush();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].body["clock_offset"], -3 * kHour);
  EXPECT_EQ(out[0].body["clock_rtt"], 3'000);
  Ack({1}, 1);
  Append("in_progress");
  out = Flush();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].body.contains("clock_offset")) << "told once";
  Ack({2}, 2);

  // A 3 s sample is loose: after a second of quiet, a PING measures again.
  clock_.Advance(999);
  EXPECT_TRUE(Flush().empty());
  clock_.Advance(1);
  out = Flush();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kPing);
  clock_.Advance(400);
  Receive(MessageType::kPong, {{"time", clock_.Now() - 200 - 3 * kHour + 37}});
  kept = store_->ClockOffsetToHq();
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ((*kept)->offset_ms, -3 * kHour + 37);
  EXPECT_EQ((*kept)->rtt_ms, 400);
  clock_.Advance(5'000);
  EXPECT_TRUE(Flush().empty()) << "a 400 ms sample needs no more PINGs";
  Append("completed");
  out = Flush();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].body["clock_offset"], -3 * kHour + 37) << "the tighter one is told";
  EXPECT_EQ(out[0].body["clock_rtt"], 400);

  EXPECT_EQ(Connect().body["clock_offset"], -3 * kHour + 37) << "every session starts with it";
}

// The offset counts as told only once HQ answered the message that carried it: a batch HQ
// did not handle (rate-limited) carries it again. A round trip of 0 (a LAN, a clock set
// back mid-exchange) does not make every message carry it.
TEST_F(SyncClientTest, TheClockOffsetIsToldAgainUntilHqAnswersAMessageThatCarriedIt) {
  Welcome(0, 0, kHqId, {{"time", clock_.Now() + 1'500 - 750 + 5'000}});
  Append("acknowledged");
  std::vector<Message> out = Flush();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].body["clock_offset"], 5'000);
  Receive(MessageType::kError,
          {{"code", "rate_limited"}, {"message", "slow down"}, {"retry_after_ms", 100}});
  clock_.Advance(200);
  out = Flush();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kRecords);
  EXPECT_EQ(out[0].body["clock_offset"], 5'000) << "HQ did not take it";
  Ack({1}, 1);
  Append("in_progress");
  out = Flush();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].body.contains("clock_offset"));
  EXPECT_FALSE(SyncClient::Retell({5'000, 0, 1}, {5'000, 0, 2}));
  EXPECT_TRUE(SyncClient::Retell({5'000, 3'000, 1}, {5'100, 1'200, 2}));
  EXPECT_TRUE(SyncClient::Retell({5'000, 800, 1}, {5'400, 800, 2}));
}

TEST_F(SyncClientTest, NothingIsSentBeforeWelcome) {
  Append("acknowledged");
  Connect();
  EXPECT_TRUE(NextSeqs().empty());
  hello_outstanding_ = true;
  EXPECT_TRUE(Welcome(0).empty());
  EXPECT_TRUE(client_->welcomed());
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1}));
}

TEST_F(SyncClientTest, AWelcomeFromAnotherHqIsRefused) {
  Append("acknowledged");
  EXPECT_TRUE(Welcome(0, 0, "hq-impostor").empty());
  EXPECT_FALSE(client_->welcomed());
  EXPECT_TRUE(Contains(client_->last_error(), "hq-impostor"));
  EXPECT_TRUE(NextSeqs().empty());
}

TEST_F(SyncClientTest, ASecondWelcomeStartsNoSecondUpload) {
  Append("acknowledged");
  Welcome(0);
  ASSERT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1}));
  Welcome(0);  // a duplicate answer to one greeting
  EXPECT_TRUE(client_->in_flight());
  EXPECT_TRUE(NextSeqs().empty()) << "the batch in flight is not sent again";
  EXPECT_EQ(client_->stats().records_resent, 0u);
}

TEST_F(SyncClientTest, ABatchHoldsOneLaneSafetyFirstAndIsNeverResentOnTheSameConnection) {
  Append("acknowledged");        // 1
  Append("alert", kLaneSafety);  // 2
  Append("in_progress");         // 3
  Welcome(0);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{2})) << "safety alone, first";
  EXPECT_EQ(store_->outbox().Stats()->sent_unacked, 1u);
  clock_.Advance(59'000);
  EXPECT_TRUE(NextSeqs().empty()) << "one batch in flight; TCP does not lose it";
  Ack({2}, 0);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1, 3}));
}

TEST_F(SyncClientTest, TheFirstBatchFitsAThinLinkAndLaterOnesGrowWithIt) {
  for (int i = 0; i < 400; ++i) Append("acknowledged");
  Welcome(0);
  std::vector<std::uint64_t> first = NextSeqs();
  const Message* batch = nullptr;
  ASSERT_FALSE(first.empty());
  EXPECT_LT(first.size(), 400u) << "about 4 s of a 2.4 kbit/s link, not everything";
  // Answered within 50 ms: a fast link. The next batches grow until everything fits.
  std::size_t sizes[6] = {first.size(), 0, 0, 0, 0, 0};
  std::uint64_t acked = first.back();
  for (int round = 1; round < 6; ++round) {
    clock_.Advance(50);
    std::vector<std::uint64_t> seqs(first);
    Ack(seqs, acked);
    first = NextSeqs();
    if (first.empty()) break;
    sizes[round] = first.size();
    acked = first.back();
  }
  (void)batch;
  EXPECT_GT(sizes[2], sizes[0]) << sizes[0] << " then " << sizes[1] << " then " << sizes[2];
}

TEST_F(SyncClientTest, AttachmentsWaitOnAThinLinkUntilTheGraceHasPassed) {
  Append("chunk", kLaneAttachment);  // 1
  Welcome(0);
  EXPECT_TRUE(NextSeqs().empty()) << "the team's status goes first";
  clock_.Advance(30'000);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1}));
}

TEST_F(SyncClientTest, AckMarksRecordsAcknowledged) {
  Append("acknowledged");
  Append("in_progress");
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 2u);
  EXPECT_EQ(client_->Pending(), 2u);
  EXPECT_TRUE(Ack({1, 2}, 2).empty());
  EXPECT_FALSE(client_->in_flight());
  EXPECT_EQ(client_->Pending(), 0u);
  EXPECT_EQ(*store_->outbox().AckedWatermark(), 2u);
  EXPECT_TRUE(NextSeqs().empty());
  Append("completed");
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{3})) << "the next batch goes at once";
}

TEST_F(SyncClientTest, PartialAckSendsTheRestNext) {
  for (int i = 0; i < 3; ++i) Append("x");
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 3u);
  Ack({1, 3}, 1);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{2}));
}

TEST_F(SyncClientTest, WelcomeWithLowerIngestedRequeues) {
  for (int i = 0; i < 4; ++i) Append("x");  // 1..4
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 4u);
  Ack({1, 2, 3, 4}, 4);
  ASSERT_EQ(*store_->outbox().AckedWatermark(), 4u);
  // HQ was restored from a backup that holds only up to 2.
  client_->Reset();
  EXPECT_FALSE(client_->welcomed());
  Welcome(2);
  EXPECT_EQ(*store_->outbox().AckedWatermark(), 2u);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{3, 4}));
}

TEST_F(SyncClientTest, WelcomeWithHigherIngestedRebasesTheSequence) {
  Append("a");  // 1
  Append("b");  // 2
  // This store was restored from a backup; HQ holds seqs up to 6 from the lost store.
  Welcome(6, 6);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{7, 8}));
  auto records = store_->outbox().Records("");
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].body["state"], "a");
  EXPECT_EQ(*store_->outbox().Head(), 8u);
}

// With one lane per batch HQ acknowledges records out of order (here the safety alert,
// seq 3, before 1 and 2). If HQ is then restored from a backup taken before seq 3
// arrived, it says so in WELCOME (`lost`), and the alert goes again.
TEST_F(SyncClientTest, WhatARestoredHqLostAboveItsWatermarkGoesAgain) {
  Append("acknowledged");        // 1
  Append("in_progress");         // 2
  Append("alert", kLaneSafety);  // 3
  Welcome(0);
  ASSERT_EQ(NextSeqs(), (std::vector<std::uint64_t>{3}));
  Ack({3}, 0);
  client_->Reset();
  Message hello = Connect();
  EXPECT_EQ(hello.body["acked_above"], json({{3, 3}}));
  hello_outstanding_ = true;
  Welcome(0, 0, kHqId, {{"lost", {{3, 3}}}});  // HQ restored from a backup without seq 3
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{3})) << "the safety alert HQ lost";
}

TEST_F(SyncClientTest, WhatHqHeldOfTheBatchInFlightIsNotSentAgain) {
  for (int i = 0; i < 3; ++i) Append("x");  // 1..3
  Welcome(0);
  ASSERT_EQ(NextSeqs(), Seqs(1, 3));
  client_->Reset();  // the link dropped before the ACK came back
  Message hello = Connect();
  EXPECT_EQ(hello.body["sent"], json({{1, 3}}));
  hello_outstanding_ = true;
  Welcome(3, 3, kHqId, {{"held", {{1, 3}}}});
  EXPECT_TRUE(NextSeqs().empty()) << "HQ committed the batch; only its ACK was lost";
  EXPECT_EQ(client_->Pending(), 0u);
  EXPECT_EQ(client_->stats().records_resent, 0u);
}

TEST_F(SyncClientTest, AnHqThatDoesNotSayWhatItLostGetsEverythingAboveItsWatermark) {
  Append("acknowledged");        // 1
  Append("alert", kLaneSafety);  // 2
  Welcome(0);
  ASSERT_EQ(NextSeqs(), (std::vector<std::uint64_t>{2}));
  Ack({2}, 0);
  client_->Reset();
  Connect();
  hello_outstanding_ = true;
  json welcome = {{"hq", kHqId}, {"ingested", 0}, {"highest", 0}, {"time", 1}};
  Receive(MessageType::kWelcome, welcome);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{2}));
}

TEST_F(SyncClientTest, ARestartOfDeliveriesMovesTheCursorAndTheHeadIsKept) {
  Deploy();  // applied 5
  Welcome(0, 0, kHqId, {{"restart_from", 40}, {"delivery_head", 55}});
  EXPECT_TRUE(client_->welcomed());
  auto state = store_->Deliveries();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->applied, 39u);
  EXPECT_EQ(state->hq_head, 55u);
  EXPECT_GT(state->restarted_at, 0);
  auto replies = Deliver({TaskDelivery(40, {.step = "secondary_inspection", .state = "completed"})});
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].body["applied"], 40);
}

TEST_F(SyncClientTest, DeliverIsAnsweredWithTheAppliedWatermark) {
  Welcome(0);
  auto replies = Deliver({PlaybookDelivery(1),
                          TaskDelivery(2, {.step = "secondary_inspection", .state = "ready"})});
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].type, MessageType::kDelivered);
  EXPECT_EQ(replies[0].body, json({{"applied", 2}}));
  EXPECT_EQ(store_->Tasks()->size(), 1u);

  // A duplicate and a gap: the watermark tells HQ where to resume.
  replies = Deliver({TaskDelivery(2, {.step = "secondary_inspection", .state = "cancelled"}),
                     TaskDelivery(4, {.step = "identify_nuclide"})});
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].body["applied"], 2);
  EXPECT_EQ(GetTask("secondary_inspection").hq_state, "ready");

  replies = Deliver({TaskDelivery(3, {.step = "establish_cordon"}),
                     TaskDelivery(4, {.step = "identify_nuclide"})});
  EXPECT_EQ(replies[0].body["applied"], 4);
  EXPECT_EQ(store_->Tasks()->size(), 3u);
}

TEST_F(SyncClientTest, ALoneTeamUpdateOnAThinLinkIsAcknowledgedWithTheNextMessage) {
  Deploy();
  Welcome(0);
  const json team = {{"deployment", 1}, {"incident", "INC-1"}, {"playbook", "x"},
                     {"at", clock_.Now()}, {"members", json::object()}, {"tasks", json::array()}};
  EXPECT_TRUE(Deliver({{6, "team", 1, team}}).empty()) << "no DELIVERED of its own";
  Append("completed");
  std::vector<Message> out = Flush();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kRecords);
  EXPECT_EQ(out[0].body["applied"], 6) << "it rides on the batch";
  // Without anything to send, the DELIVERED is the keep-alive (in place of a PING).
  Ack({out[0].body["records"][0]["seq"].get<std::uint64_t>()}, 1);
  EXPECT_TRUE(Deliver({{7, "team", 1, team}}).empty());
  clock_.Advance(119'000);
  EXPECT_TRUE(Flush().empty());
  clock_.Advance(1'000);
  out = Flush();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kDelivered);
  EXPECT_EQ(out[0].body["applied"], 7);
  // When HQ says more follows, the answer goes at once.
  ASSERT_EQ(Deliver({{8, "team", 1, team}}, true).size(), 1u);
}

TEST_F(SyncClientTest, AStreamOfTeamUpdatesDoesNotPutTheirAcknowledgementOffForEver) {
  Deploy();
  Welcome(0);
  const json team = {{"deployment", 1}, {"version", 2}, {"set", json::array()}};
  std::uint64_t seq = 6;
  for (int i = 0; i < 4; ++i) {  // one update every 40 s, as HQ paces them
    EXPECT_TRUE(Deliver({{seq++, "team", 1, team}}).empty());
    clock_.Advance(40'000);
    std::vector<Message> out = Flush();
    if (i < 2) {
      EXPECT_TRUE(out.empty()) << i;
    } else {
      ASSERT_EQ(out.size(), 1u) << "2 minutes after the first update owed, whatever came since";
      EXPECT_EQ(out[0].type, MessageType::kDelivered);
      EXPECT_EQ(out[0].body["applied"], seq - 1);
      break;
    }
  }
}

TEST_F(SyncClientTest, DeliverBeforeWelcomeIsIgnored) {
  // Only the coordinator that welcomed this agent may change its tasks.
  EXPECT_TRUE(Deliver({PlaybookDelivery(1)}).empty());
  EXPECT_EQ(*store_->AppliedWatermark(), 0u);
  Welcome(0, 0, "hq-impostor");
  EXPECT_TRUE(Deliver({PlaybookDelivery(1)}).empty());
  EXPECT_EQ(*store_->AppliedWatermark(), 0u);
  client_->Reset();
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
  Append("completed");
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 1u);
  Ack({1}, 1);
  EXPECT_TRUE(Receive(MessageType::kError, {{"code", "forbidden"},
                                            {"message", "the task was reassigned"},
                                            {"ref", 1}})
                  .empty());
  auto records = store_->outbox().Records("");
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].refusal, "forbidden: the task was reassigned");
  EXPECT_TRUE(client_->welcomed()) << "a refused record does not end the session";
  EXPECT_EQ(client_->last_error(), "");
  EXPECT_EQ(client_->refused(), 1u);
  EXPECT_EQ(store_->outbox().Stats()->refused, 1u);
}

TEST_F(SyncClientTest, ABatchRefusedAsAWholeIsResentAfterTheDelay) {
  Append("completed");
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
  EXPECT_EQ(store_->outbox().Stats()->refused, 0u);
}

TEST_F(SyncClientTest, ACodeThisAgentDoesNotKnowIsKeptAndTakenAsARefusalOfTheBatch) {
  Append("completed");
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 1u);
  Receive(MessageType::kError, {{"code", "quota_exceeded"}, {"message", "over quota"}});
  EXPECT_EQ(client_->last_error(), "unknown: quota_exceeded: over quota");
  EXPECT_TRUE(client_->welcomed());
  clock_.Advance(14'999);
  EXPECT_TRUE(NextSeqs().empty());
  clock_.Advance(1);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1}));
  Ack({1}, 1);
  Receive(MessageType::kError, {{"code", "quota_exceeded"}, {"message", "over"}, {"ref", 1}});
  auto records = store_->outbox().Records("");
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].refusal, "unknown: quota_exceeded: over");
}

TEST_F(SyncClientTest, ARateLimitedBatchGoesAgainWhenHqSaysItMay) {
  Append("completed");
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 1u);
  Receive(MessageType::kError,
          {{"code", "rate_limited"}, {"message", "retry after 300 ms"}, {"retry_after_ms", 300}});
  EXPECT_EQ(client_->last_error(), "") << "a busy HQ is not an error for the member";
  clock_.Advance(299);
  EXPECT_TRUE(NextSeqs().empty());
  clock_.Advance(1);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1}));
  // An absurd wait is capped at the resend delay.
  Receive(MessageType::kError, {{"code", "rate_limited"}, {"message", "x"},
                                {"retry_after_ms", 86'400'000}});
  clock_.Advance(15'000);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1}));
}

TEST_F(SyncClientTest, NoSessionMeansGreetAgainOnceAndResend) {
  Append("completed");
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 1u);
  Receive(MessageType::kError, {{"code", "no_session"}, {"message", "send HELLO first"}});
  EXPECT_FALSE(client_->welcomed());
  EXPECT_FALSE(client_->in_flight());
  EXPECT_EQ(client_->last_error(), "") << "a restarted HQ is not an error for the member";
  std::vector<Message> out = Flush();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kHello);
  EXPECT_TRUE(Flush().empty()) << "one greeting";
  hello_outstanding_ = true;
  Welcome(0);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1}));
}

TEST_F(SyncClientTest, ForbiddenEndsTheSession) {
  Append("completed");
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

TEST_F(SyncClientTest, AnIdleThinLinkPingsEveryTwoMinutesAndNotWhileDataFlows) {
  Welcome(0);
  clock_.Advance(119'000);
  EXPECT_TRUE(Flush().empty());
  clock_.Advance(1'000);
  std::vector<Message> out = Flush();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kPing);
  Receive(MessageType::kPong, {{"time", 1}});
  // Records keep the link busy: no PING while they flow.
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(100'000);
    Append("x");
    std::vector<Message> sent = Flush();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].type, MessageType::kRecords);
    Ack({sent[0].body["records"][0]["seq"].get<std::uint64_t>()}, 0);
  }
}

TEST_F(SyncClientTest, AnAnswerIsOverdueOnlyAfterTheFloorOrWhatTheLinkNeeds) {
  for (int i = 0; i < 10; ++i) Append("x");
  Welcome(0);
  ASSERT_FALSE(NextSeqs().empty());
  clock_.Advance(59'000);
  EXPECT_FALSE(client_->Overdue()) << "a slow link is not a dead link";
  // A word from HQ (a delivery) shows the link alive: the wait starts again.
  Deliver({PlaybookDelivery(1)});
  clock_.Advance(59'000);
  EXPECT_FALSE(client_->Overdue());
  clock_.Advance(2'000);
  EXPECT_TRUE(client_->Overdue());
}

TEST_F(SyncClientTest, MessagesMeantForHqAreIgnored) {
  Append("x");
  EXPECT_TRUE(Receive(MessageType::kHello,
                      {{"agent", "a"}, {"acked", 0}, {"applied", 0}, {"head", 0}}).empty());
  EXPECT_TRUE(Receive(MessageType::kDelivered, {{"applied", 9}}).empty());
  EXPECT_FALSE(client_->welcomed());
  EXPECT_EQ(*store_->outbox().AckedWatermark(), 0u);
}

TEST_F(SyncClientTest, ResetForgetsTheBatchInFlight) {
  Append("x");
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 1u);
  client_->Reset();
  EXPECT_FALSE(client_->in_flight());
  Welcome(0);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1})) << "resent in the new session";
  EXPECT_EQ(client_->stats().records_resent, 1u);
}

// --- every failure of the store on the path of a record (FailingStore) ---

TEST_F(SyncClientTest, AHelloThatCannotReadTheCursorsIsRetriedAndSaysWhy) {
  failing_->Fail("AckedWatermark");
  client_->OnConnected();
  EXPECT_TRUE(Flush().empty());
  EXPECT_TRUE(Contains(client_->last_error(), "no space left"));
  failing_->Heal();
  clock_.Advance(4'999);
  EXPECT_TRUE(Flush().empty());
  clock_.Advance(1);
  std::vector<Message> out = Flush();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kHello);
}

// Each WELCOME step that fails leaves the agent unwelcomed: sending now could have HQ
// take new records for duplicates (a failed rebase) or never get lost ones again (a
// failed requeue). It greets again and the next WELCOME redoes the steps.
class WelcomeFailureTest : public SyncClientTest,
                           public ::testing::WithParamInterface<const char*> {};

TEST_P(WelcomeFailureTest, LeavesTheAgentUnwelcomedAndGreetingAgain) {
  const std::string step = GetParam();
  Append("a");  // 1
  Append("b");  // 2
  ASSERT_TRUE(store_->outbox().MarkSent({1}).ok());
  ASSERT_TRUE(store_->outbox().MarkAcked({2}).ok());
  Connect();
  failing_->Fail(step);
  hello_outstanding_ = true;
  json extra = {{"held", {{1, 1}}}, {"lost", {{2, 2}}}, {"delivery_head", 3}, {"restart_from", 1}};
  if (step == "RequeueAbove") extra.erase("lost");  // an HQ that does not say what it lost
  Welcome(0, 9, kHqId, extra);
  if (step == "RequeueAbove") {
    // Welcome() adds an empty `lost`; this HQ sends none.
    client_->Reset();
    Connect();
    json body = {{"hq", kHqId}, {"ingested", 0}, {"highest", 9}, {"time", 1}};
    Receive(MessageType::kWelcome, body);
  }
  EXPECT_FALSE(client_->welcomed());
  EXPECT_TRUE(Contains(client_->last_error(), "could not act on HQ's welcome"));
  EXPECT_TRUE(NextSeqs().empty()) << "nothing is sent unwelcomed";
  failing_->Heal();
  clock_.Advance(5'000);
  std::vector<Message> out = Flush();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kHello);
  hello_outstanding_ = true;
  Welcome(0, 9, kHqId, {{"held", {{1, 1}}}, {"lost", {{2, 2}}}});
  EXPECT_TRUE(client_->welcomed());
  // Seq 1 was held; seq 2 was lost and goes again, renumbered past HQ's highest (9).
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{10}));
  EXPECT_EQ(store_->outbox().Records("")->size(), 2u) << "nothing lost, nothing doubled";
}

INSTANTIATE_TEST_SUITE_P(EveryStep, WelcomeFailureTest,
                         ::testing::Values("Requeue", "RequeueAbove", "MarkAckedRanges",
                                           "RebaseSequence", "RestartDeliveries",
                                           "SetDeliveryHead", "AckedWatermark", "Head"));

TEST_F(SyncClientTest, AnAckThatCannotBeRecordedIsResentLaterNotInALoop) {
  Append("x");
  Welcome(0);
  ASSERT_EQ(NextSeqs().size(), 1u);
  failing_->Fail("MarkAcked");
  Ack({1}, 1);
  EXPECT_TRUE(Contains(client_->last_error(), "acknowledgement"));
  EXPECT_EQ(client_->Pending(), 1u) << "not lost: still waiting";
  EXPECT_TRUE(NextSeqs().empty()) << "not at once";
  failing_->Heal();
  clock_.Advance(15'000);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1}));
  Ack({1}, 1);
  EXPECT_EQ(client_->Pending(), 0u);
}

TEST_F(SyncClientTest, AnOutboxThatCannotBeReadIsTriedAgainLater) {
  Append("x");
  Welcome(0);
  failing_->Fail("NextBatch");
  EXPECT_TRUE(NextSeqs().empty());
  EXPECT_TRUE(Contains(client_->last_error(), "cannot read the outbox"));
  failing_->Heal();
  EXPECT_TRUE(NextSeqs().empty());
  clock_.Advance(15'000);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1}));
  failing_->Fail("LowestPendingLane");
  Append("y");
  Ack({1}, 1);
  EXPECT_TRUE(NextSeqs().empty());
  failing_->Heal();
  clock_.Advance(15'000);
  EXPECT_EQ(NextSeqs(), (std::vector<std::uint64_t>{2}));
}

TEST_F(SyncClientTest, DeliveriesThatCannotBeAppliedAreNotAcknowledged) {
  Welcome(0);
  failing_->Fail("ApplyDeliveries");
  EXPECT_TRUE(Deliver({PlaybookDelivery(1)}).empty()) << "HQ sends them again";
  EXPECT_TRUE(Contains(client_->last_error(), "cannot apply"));
  EXPECT_EQ(*store_->AppliedWatermark(), 0u);
  failing_->Heal();
  ASSERT_EQ(Deliver({PlaybookDelivery(1)}).size(), 1u);
  EXPECT_EQ(*store_->AppliedWatermark(), 1u);
}

TEST_F(SyncClientTest, AReceiptThatCannotBeWrittenLosesNothing) {
  Append("x");
  Welcome(0);
  failing_->Fail("MarkSent");
  ASSERT_EQ(NextSeqs(), (std::vector<std::uint64_t>{1})) << "sent all the same";
  failing_->Fail("MarkRefused");
  Ack({1}, 1);
  Receive(MessageType::kError, {{"code", "invalid_value"}, {"message", "bad"}, {"ref", 1}});
  EXPECT_EQ(client_->refused(), 1u) << "counted for `sync` even when the receipt failed";
  failing_->Heal();
  EXPECT_EQ(client_->Pending(), 0u);
}

}  // namespace
}  // namespace muster::agent::testing
