// SyncServer: the coordinator's half of the protocol, with a real Headquarters and a FakeClock,
// no sockets. Messages go in as decoded protocol::Message values; replies come back.
#include <gtest/gtest.h>

#include <algorithm>

#include <set>

#include "muster/keys.h"
#include "muster/protocol.h"
#include "muster/record_auth.h"
#include "sync/sync_server.h"
#include "hq_fixture.h"

namespace muster::coordtest {
namespace {

using protocol::Message;
using protocol::MessageType;

Message Hello(const std::string& agent, std::uint64_t applied = 0, std::uint64_t acked = 0) {
  return {MessageType::kHello,
          {{"agent", agent}, {"acked", acked}, {"applied", applied}, {"head", acked}}};
}

Message Delivered(std::uint64_t applied) {
  return {MessageType::kDelivered, {{"applied", applied}}};
}

Message Records(const json& records) { return {MessageType::kRecords, {{"records", records}}}; }

json RecordJson(std::uint64_t seq, const std::string& kind, const json& body) {
  return {{"seq", seq}, {"kind", kind}, {"at", 1'700'000'000'000}, {"body", body}};
}

// The body of a reply as the agent decodes it: a DELIVER is sent as a frame only.
json Sent(const Message& message) {
  if (message.frame.empty()) return message.body;
  auto decoded = protocol::Decode(message.frame);
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  return decoded.ok() ? decoded->body : json();
}

// The delivery seqs carried by the DELIVER messages among |messages|, in order.
std::vector<std::uint64_t> DeliveredSeqs(const std::vector<Message>& messages) {
  std::vector<std::uint64_t> seqs;
  for (const Message& message : messages) {
    if (message.type != MessageType::kDeliver) continue;
    const json body = Sent(message);
    for (const json& delivery : body["deliveries"]) seqs.push_back(delivery["seq"]);
  }
  return seqs;
}

std::vector<std::uint64_t> Range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> seqs;
  for (std::uint64_t s = from; s <= to; ++s) seqs.push_back(s);
  return seqs;
}

// Every reply survives the codec: what the server says is what goes on the wire.
void ExpectEncodable(const std::vector<Message>& messages) {
  for (const Message& message : messages) {
    auto decoded = protocol::Decode(protocol::Encode(message));
    EXPECT_TRUE(decoded.ok()) << protocol::ToString(message.type) << ": "
                              << decoded.status().ToString();
  }
}

class SyncServerTest : public HeadquartersTest {
 protected:
  void SetUp() override {
    HeadquartersTest::SetUp();
    DeployBorder();  // amira-1 has 7 deliveries: the playbook and 6 tasks
  }
  hq::SyncServer MakeServer(std::size_t per_message = 200, std::size_t window = 1000) {
    hq::SyncServer::Options options;
    options.deliveries_per_message = per_message;
    options.delivery_window = window;
    options.resend_after_ms = 10'000;
    // A fast link from the start, so that the window counts deliveries here; the thin
    // link's sizing has tests of its own.
    options.link.initial_bytes_per_second = 1e9;
    options.link.initial_rtt_ms = 10;
    return hq::SyncServer(*hq_, clock_, options);
  }
};

TEST_F(SyncServerTest, ContactsHeardAreWrittenTogetherAtTheFlush) {
  hq::SyncServer server = MakeServer();
  const auto last_contact = [&](const std::string& agent) {
    return QueryText(hq_->database().db(),
                     "SELECT COALESCE(last_contact_at, 'never') FROM agents WHERE id='" + agent + "'");
  };
  server.Handle("amira-1", Hello("amira-1"));
  server.Handle("jonas-1", Hello("jonas-1"));
  const Millis hello_at = clock_.Now();
  clock_.Advance(4'000);
  server.Handle("amira-1", Message{MessageType::kPing, {{"time", 1}}});
  // Heard, not yet written: a PING costs no commit of its own.
  EXPECT_EQ(last_contact("amira-1"), "never");
  EXPECT_EQ(last_contact("jonas-1"), "never");
  ASSERT_TRUE(server.FlushContacts().ok());
  EXPECT_EQ(last_contact("amira-1"), std::to_string(clock_.Now()));
  EXPECT_EQ(last_contact("jonas-1"), std::to_string(hello_at));
  EXPECT_EQ(last_contact("li-1"), "never");
  // A contact older than the one stored (a batch ingested meanwhile) does not go back.
  ASSERT_TRUE(hq_->progress().RecordContacts({{"amira-1", hello_at}}).ok());
  EXPECT_EQ(last_contact("amira-1"), std::to_string(clock_.Now()));
  ASSERT_TRUE(server.FlushContacts().ok());  // nothing heard since: nothing to write
  EXPECT_EQ(last_contact("amira-1"), std::to_string(clock_.Now()));
}

TEST_F(SyncServerTest, HelloNamingAnotherAgentIsForbidden) {
  hq::SyncServer server = MakeServer();
  auto replies = server.Handle("amira-1", Hello("jonas-1"));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].type, MessageType::kError);
  EXPECT_EQ(replies[0].body["code"], "forbidden");
  EXPECT_FALSE(server.HasSession("amira-1"));
  EXPECT_FALSE(server.HasSession("jonas-1"));
  // Nothing of jonas's was sent to amira's connection.
  EXPECT_TRUE(DeliveredSeqs(replies).empty());
}

TEST_F(SyncServerTest, MessagesBeforeHelloGetNoSession) {
  hq::SyncServer server = MakeServer();
  const std::vector<Message> before = {
      Records(json::array({RecordJson(1, "status", {{"task", "d1.arrival_briefing.amira"},
                                                    {"state", "completed"}})})),
      Message{MessageType::kPing, {{"time", 1}}}, Delivered(3)};
  for (const Message& message : before) {
    auto replies = server.Handle("amira-1", message);
    ASSERT_EQ(replies.size(), 1u) << protocol::ToString(message.type);
    EXPECT_EQ(replies[0].type, MessageType::kError);
    EXPECT_EQ(replies[0].body["code"], "no_session") << protocol::ToString(message.type);
  }
  // The records were not ingested and the cursor did not move.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM inbound"), 0);
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "ready");
  auto applied = hq_->progress().AppliedWatermark("amira-1");
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 0u);
}

TEST_F(SyncServerTest, HelloGetsWelcomeThenPendingDeliveries) {
  hq::SyncServer server = MakeServer();
  IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "acknowledged"),
                       StatusRecord(2, "d1.arrival_briefing.amira", "in_progress")});
  ASSERT_TRUE(hq_->team().Relay().ok());  // the router's tick
  auto replies = server.Handle("amira-1", Hello("amira-1"));
  ASSERT_GE(replies.size(), 2u);
  EXPECT_EQ(replies[0].type, MessageType::kWelcome);
  EXPECT_EQ(replies[0].body["hq"], hq_->database().hq_id());
  EXPECT_EQ(replies[0].body["ingested"], 2);
  EXPECT_EQ(replies[0].body["time"], clock_.Now());
  EXPECT_TRUE(server.HasSession("amira-1"));
  for (std::size_t i = 1; i < replies.size(); ++i) {
    EXPECT_EQ(replies[i].type, MessageType::kDeliver);
  }
  // Playbook, six tasks, the team at deployment; the two records changed only amira's own
  // task, which her team view takes from her task snapshots.
  EXPECT_EQ(DeliveredSeqs(replies), Range(1, 8));
  EXPECT_EQ(Sent(replies[1])["deliveries"][0]["kind"], "playbook");
  EXPECT_EQ(Sent(replies[1])["deliveries"][1]["kind"], "task");
  ExpectEncodable(replies);

  // PING in a session: PONG with HQ's time.
  auto pong = server.Handle("amira-1", Message{MessageType::kPing, {{"time", 5}}});
  ASSERT_EQ(pong.size(), 1u);
  EXPECT_EQ(pong[0].type, MessageType::kPong);
  EXPECT_EQ(pong[0].body["time"], clock_.Now());
}

TEST_F(SyncServerTest, HelloResumesAfterWhatTheAgentHolds) {
  hq::SyncServer server = MakeServer();
  auto replies = server.Handle("amira-1", Hello("amira-1", /*applied=*/4));
  EXPECT_EQ(DeliveredSeqs(replies), Range(5, 8));
  auto applied = hq_->progress().AppliedWatermark("amira-1");
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 4u);
  // arrival_briefing's ready snapshot (seq 2) is applied: the task is delivered.
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "delivered");
}

TEST_F(SyncServerTest, WelcomeCarriesTheHighestSeqHeldGapsIncluded) {
  hq::SyncServer server = MakeServer();
  IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "acknowledged"),
                       StatusRecord(4, "d1.arrival_briefing.amira", "in_progress")});
  auto replies = server.Handle("amira-1", Hello("amira-1"));
  ASSERT_FALSE(replies.empty());
  ASSERT_EQ(replies[0].type, MessageType::kWelcome);
  EXPECT_EQ(replies[0].body["ingested"], 1);
  EXPECT_EQ(replies[0].body["highest"], 4);
  auto fresh = server.Handle("jonas-1", Hello("jonas-1"));
  ASSERT_FALSE(fresh.empty());
  EXPECT_EQ(fresh[0].body["highest"], 0);
}

TEST_F(SyncServerTest, AnAgentAheadOfHqGetsItsTasksAgainAfterItsCursor) {
  // The agent applied 50 deliveries from this HQ before it was restored from a backup
  // that numbered only 8.
  hq::SyncServer server = MakeServer();
  auto replies = server.Handle("amira-1", Hello("amira-1", /*applied=*/50));
  ASSERT_FALSE(replies.empty());
  EXPECT_EQ(replies[0].type, MessageType::kWelcome);
  std::vector<std::uint64_t> seqs = DeliveredSeqs(replies);
  EXPECT_EQ(seqs, Range(51, 58));  // the playbook, six tasks, the team
  std::set<std::string> tasks;
  for (const Message& message : replies) {
    if (message.type != MessageType::kDeliver) continue;
    const json body = Sent(message);
    for (const json& delivery : body["deliveries"]) {
      if (delivery["kind"] == "task") tasks.insert(delivery["body"]["task"].get<std::string>());
    }
  }
  EXPECT_EQ(tasks.size(), 6u);
  // New deliveries continue after the agent's cursor, never below it.
  IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "completed")});
  ASSERT_TRUE(hq_->team().Relay().ok());
  std::vector<hq::Delivery> pending = Deliveries("amira-1", 58);
  ASSERT_FALSE(pending.empty());  // the released task
  EXPECT_EQ(pending[0].seq, 59u);
  // A second HELLO at the same cursor is not another restore.
  server.EndSession("amira-1");
  auto again = server.Handle("amira-1", Hello("amira-1", pending.back().seq));
  EXPECT_TRUE(DeliveredSeqs(again).empty());
}

TEST_F(SyncServerTest, OnAThinLinkOneSmallDeliverIsInFlightAtATime) {
  hq::SyncServer::Options options;
  options.link.min_budget_bytes = 1;
  options.link.initial_bytes_per_second = 0.25;  // a budget of one byte: one delivery each
  hq::SyncServer server(*hq_, clock_, options);
  auto replies = server.Handle("amira-1", Hello("amira-1"));
  ASSERT_EQ(replies.size(), 2u);  // WELCOME and one DELIVER
  EXPECT_EQ(Sent(replies[1])["deliveries"].size(), 1u);
  EXPECT_EQ(Sent(replies[1])["more"], true) << "the agent answers at once when more follows";
  std::uint64_t applied = 1;
  for (; applied < 8; ++applied) {
    auto next = server.Handle("amira-1", Delivered(applied));
    ASSERT_EQ(DeliveredSeqs(next), Range(applied + 1, applied + 1));
  }
  auto last = server.Handle("amira-1", Delivered(7));
  EXPECT_TRUE(DeliveredSeqs(last).empty()) << "a stale DELIVERED sends nothing";
  // The default sizing keeps every DELIVER well inside the frame limit.
  hq::SyncServer normal = MakeServer();
  auto all = normal.Handle("jonas-1", Hello("jonas-1"));
  for (const Message& message : all) {
    EXPECT_LT(protocol::Encode(message).size(), protocol::Limits{}.max_frame_bytes);
  }
}

TEST_F(SyncServerTest, TheDeliveriesLinkIsMeasuredFromTheAgentsPromptAnswers) {
  hq::SyncServer::Options options;
  hq::SyncServer server(*hq_, clock_, options);  // starts as a 2.4 kbit/s link
  auto replies = server.Handle("amira-1", Hello("amira-1"));
  const std::size_t first = DeliveredSeqs(replies).size();
  ASSERT_GE(first, 1u);
  ASSERT_LT(first, 8u) << "a thin link does not get the whole backlog at once";
  // The agent answers each message within 20 ms: the budget grows and the rest follows
  // in fewer, larger messages.
  std::uint64_t applied = first;
  int messages = 1;
  while (applied < 8) {
    clock_.Advance(20);
    auto next = server.Handle("amira-1", Delivered(applied), "", 20);
    auto seqs = DeliveredSeqs(next);
    ASSERT_FALSE(seqs.empty());
    applied = seqs.back();
    ++messages;
  }
  EXPECT_LT(messages, 8);
}

TEST_F(SyncServerTest, DeliveredAdvancesAndSendsTheNextWindow) {
  hq::SyncServer server = MakeServer(/*per_message=*/2, /*window=*/4);
  auto replies = server.Handle("amira-1", Hello("amira-1"));
  ASSERT_EQ(replies.size(), 3u);  // WELCOME, DELIVER [1,2], DELIVER [3,4]
  EXPECT_EQ(DeliveredSeqs(replies), Range(1, 4));
  // Nothing more while the window is full.
  EXPECT_TRUE(server.Deliveries("amira-1").empty());

  auto next = server.Handle("amira-1", Delivered(2));
  EXPECT_EQ(DeliveredSeqs(next), Range(5, 6));
  // Noted, written with the contacts: a DELIVERED costs no commit of its own.
  EXPECT_EQ(*hq_->progress().AppliedWatermark("amira-1"), 0u);
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "ready");
  ASSERT_TRUE(server.FlushContacts().ok());
  auto applied = hq_->progress().AppliedWatermark("amira-1");
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 2u);
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "delivered");

  auto last = server.Handle("amira-1", Delivered(6));
  EXPECT_EQ(DeliveredSeqs(last), Range(7, 8));
  // A stale DELIVERED neither moves the cursor back nor resends.
  auto stale = server.Handle("amira-1", Delivered(3));
  EXPECT_TRUE(DeliveredSeqs(stale).empty());
  ASSERT_TRUE(server.FlushContacts().ok());
  applied = hq_->progress().AppliedWatermark("amira-1");
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 6u);

  auto done = server.Handle("amira-1", Delivered(8));
  EXPECT_TRUE(done.empty());
}

TEST_F(SyncServerTest, StalledDeliveriesAreResentAfterTheTimeout) {
  hq::SyncServer server = MakeServer();
  EXPECT_EQ(DeliveredSeqs(server.Handle("amira-1", Hello("amira-1"))), Range(1, 8));
  EXPECT_TRUE(server.StalledAgents().empty());
  clock_.Advance(9'000);
  EXPECT_TRUE(server.StalledAgents().empty());  // not yet
  clock_.Advance(2'000);
  EXPECT_EQ(server.StalledAgents(), std::vector<std::string>{"amira-1"});
  // The caller resends from the agent's cursor.
  EXPECT_EQ(DeliveredSeqs(server.Deliveries("amira-1")), Range(1, 8));
  // The timer restarted: not stalled again at once.
  EXPECT_TRUE(server.StalledAgents().empty());

  // Progress stops the resends; an agent with nothing in flight is never stalled.
  server.Handle("amira-1", Delivered(8));
  clock_.Advance(60'000);
  EXPECT_TRUE(server.StalledAgents().empty());
}

TEST_F(SyncServerTest, ANewDeliveryAfterAnIdlePeriodIsNotResentAtOnce) {
  hq::SyncServer server = MakeServer();
  EXPECT_EQ(DeliveredSeqs(server.Handle("jonas-1", Hello("jonas-1"))), Range(1, 4));
  server.Handle("jonas-1", Delivered(4));
  EXPECT_EQ(DeliveredSeqs(server.Handle("amira-1", Hello("amira-1"))), Range(1, 8));
  server.Handle("amira-1", Delivered(8));
  clock_.Advance(60'000);  // a quiet minute: nothing in flight, PINGs only
  server.Handle("amira-1", Message{MessageType::kPing, {{"time", 1}}});
  // Jonas's reading fires the cordon trigger: amira has delivery 9 (her task), sent now.
  server.Handle("jonas-1",
                Records(json::array({RecordJson(
                    1, "finding",
                    {{"task", "d1.secondary_inspection.jonas"},
                     {"values", {{"dose_rate_1m", 150}, {"neutrons_detected", false}}}})})));
  std::vector<std::string> notify = server.TakeAgentsToNotify();
  ASSERT_NE(std::find(notify.begin(), notify.end(), "amira-1"), notify.end());
  EXPECT_EQ(DeliveredSeqs(server.Deliveries("amira-1")), Range(9, 9));
  // The router asks for stalled agents in the same loop turn: delivery 8 left a moment ago.
  EXPECT_TRUE(server.StalledAgents().empty());
  clock_.Advance(10'001);
  EXPECT_EQ(server.StalledAgents(), std::vector<std::string>{"amira-1"});
}

TEST_F(SyncServerTest, RecordsAreAcknowledgedAndRefusalsReportedWithTheirSeq) {
  hq::SyncServer server = MakeServer();
  server.Handle("jonas-1", Hello("jonas-1"));
  auto replies = server.Handle(
      "amira-1", Hello("amira-1"));  // amira too, so that she can be notified
  ASSERT_FALSE(replies.empty());
  server.Handle("amira-1", Delivered(8));

  auto acked = server.Handle(
      "jonas-1",
      Records(json::array(
          {RecordJson(1, "finding",
                      {{"task", "d1.secondary_inspection.jonas"},
                       {"values", {{"dose_rate_1m", 150}, {"neutrons_detected", false}}}}),
           RecordJson(2, "status", {{"task", "d1.arrival_briefing.amira"}, {"state", "completed"}}),
           RecordJson(3, "finding",
                      {{"task", "d1.secondary_inspection.jonas"}, {"values", {{"colour", "red"}}}})})));
  ASSERT_EQ(acked.size(), 3u);
  EXPECT_EQ(acked[0].type, MessageType::kAck);
  EXPECT_EQ(acked[0].body["seqs"], json::array({1, 2, 3}));
  EXPECT_EQ(acked[0].body["ingested"], 3);
  EXPECT_EQ(acked[1].type, MessageType::kError);
  EXPECT_EQ(acked[1].body["code"], "forbidden");
  EXPECT_EQ(acked[1].body["ref"], 2);
  EXPECT_EQ(acked[2].type, MessageType::kError);
  EXPECT_EQ(acked[2].body["code"], "invalid_value");
  EXPECT_EQ(acked[2].body["ref"], 3);
  ExpectEncodable(acked);

  // The finding fired the cordon trigger: amira's agent has a new delivery to be told of
  // (her own task: the team's view of it is hers already).
  std::vector<std::string> notify = server.TakeAgentsToNotify();
  EXPECT_NE(std::find(notify.begin(), notify.end(), "amira-1"), notify.end());
  EXPECT_TRUE(server.TakeAgentsToNotify().empty());  // cleared on read
  ASSERT_TRUE(hq_->team().Relay().ok());
  auto pushed = server.Deliveries("amira-1");
  ASSERT_EQ(DeliveredSeqs(pushed), Range(9, 9));
  EXPECT_EQ(Sent(pushed[0])["deliveries"][0]["body"]["task"], "d1.expand_cordon.amira");

  // The same batch again: acknowledged again, nothing applied twice.
  auto again = server.Handle(
      "jonas-1",
      Records(json::array({RecordJson(1, "finding",
                                      {{"task", "d1.secondary_inspection.jonas"},
                                       {"values", {{"dose_rate_1m", 150},
                                                   {"neutrons_detected", false}}}})})));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].type, MessageType::kAck);
  EXPECT_EQ(again[0].body["seqs"], json::array({1}));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM findings"), 1);
  EXPECT_TRUE(server.TakeAgentsToNotify().empty());
}

TEST_F(SyncServerTest, RecordsFromARevokedAgentAreRefusedAsAWhole) {
  hq::SyncServer server = MakeServer();
  server.Handle("amira-1", Hello("amira-1"));
  hq_->database().db().exec("UPDATE agents SET status='revoked' WHERE id='amira-1'");
  auto replies = server.Handle(
      "amira-1", Records(json::array({RecordJson(1, "status",
                                                 {{"task", "d1.arrival_briefing.amira"},
                                                  {"state", "completed"}})})));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].type, MessageType::kError);
  EXPECT_EQ(replies[0].body["code"], "forbidden");
  EXPECT_FALSE(replies[0].body.contains("ref"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM inbound"), 0);
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "ready");
}

TEST_F(SyncServerTest, RecordsArrivingTogetherCommitAsOneGroupAndAFailedBatchFailsAlone) {
  hq::SyncServer server = MakeServer();
  for (const char* agent : {"amira-1", "jonas-1", "li-1"}) server.Handle(agent, Hello(agent));
  hq_->database().db().exec("UPDATE agents SET status='revoked' WHERE id='li-1'");
  const auto status = [](std::uint64_t seq, const std::string& task) {
    return Records(json::array({RecordJson(seq, "status", {{"task", task}, {"state", "acknowledged"}})}));
  };
  const std::int64_t commits_before = Count("SELECT COUNT(*) FROM audit");
  const std::string li_before = TaskState("d1.photograph_scene.li");
  std::vector<hq::SyncServer::Incoming> incoming = {
      {"amira-1", status(1, "d1.arrival_briefing.amira"), "10.0.0.1", 0},
      {"li-1", status(1, "d1.photograph_scene.li"), "10.0.0.2", 0},
      {"jonas-1", status(1, "d1.secondary_inspection.jonas"), "10.0.0.3", 0},
      {"amira-1", Message{MessageType::kPing, {{"time", 1}}}, "10.0.0.1", 0},
      {"amira-1", status(2, "d1.arrival_briefing.amira"), "10.0.0.1", 0}};
  std::vector<hq::SyncServer::Outgoing> out = server.HandleAll(incoming);

  // One answer per message, in order, each to its agent.
  ASSERT_EQ(out.size(), incoming.size());
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].agent_id, incoming[i].agent_id);
  ASSERT_FALSE(out[0].messages.empty());
  EXPECT_EQ(out[0].messages[0].type, MessageType::kAck);
  EXPECT_EQ(out[0].messages[0].body["seqs"], json::array({1}));
  ASSERT_EQ(out[1].messages.size(), 1u);  // the revoked agent's batch, refused alone
  EXPECT_EQ(out[1].messages[0].body["code"], "forbidden");
  EXPECT_EQ(out[2].messages[0].type, MessageType::kAck);
  EXPECT_EQ(out[3].messages[0].type, MessageType::kPong);
  EXPECT_EQ(out[4].messages[0].body["ingested"], 2);  // after the PING: its own group
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "acknowledged");
  EXPECT_EQ(TaskState("d1.secondary_inspection.jonas"), "acknowledged");
  EXPECT_EQ(TaskState("d1.photograph_scene.li"), li_before);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM inbound WHERE agent_id='li-1'"), 0);
  // Each batch is audited on its own: three held batches, none for the refused one.
  EXPECT_EQ(QueryText(hq_->database().db(),
                      "SELECT group_concat(subject, ' ') FROM (SELECT subject FROM audit WHERE "
                      "action='records.ingest' AND seq > " + std::to_string(commits_before) +
                          " ORDER BY seq)"),
            "amira-1 jonas-1 amira-1");
}

TEST_F(SyncServerTest, AGroupWhoseCommitFailsLeavesEveryBatchToBeSentAgain) {
  hq::SyncServer server = MakeServer();
  for (const char* agent : {"amira-1", "jonas-1"}) server.Handle(agent, Hello(agent));
  // Another connection holds the write lock past the busy timeout: the group's
  // transaction cannot begin, so no batch of it may be acknowledged.
  auto other = hq::HqDatabase::Open(dir_.File("muster.db"), clock_);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  (*other)->db().exec("PRAGMA busy_timeout=0");
  hq_->database().db().exec("PRAGMA busy_timeout=50");
  (*other)->db().exec("BEGIN IMMEDIATE");
  const auto status = [](const std::string& task) {
    return Records(json::array({RecordJson(1, "status", {{"task", task}, {"state", "acknowledged"}})}));
  };
  std::vector<hq::SyncServer::Outgoing> out =
      server.HandleAll({{"amira-1", status("d1.arrival_briefing.amira"), "", 0},
                        {"jonas-1", status("d1.arrival_briefing.jonas"), "", 0}});
  (*other)->db().exec("ROLLBACK");
  ASSERT_EQ(out.size(), 2u);
  for (const auto& reply : out) {
    ASSERT_EQ(reply.messages.size(), 1u) << reply.agent_id;
    EXPECT_EQ(reply.messages[0].type, MessageType::kError) << reply.agent_id;
    EXPECT_EQ(reply.messages[0].body["code"], "internal") << reply.agent_id;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM inbound"), 0);
}

TEST_F(SyncServerTest, EndSessionForgetsTheAgent) {
  hq::SyncServer server = MakeServer();
  server.Handle("amira-1", Hello("amira-1"));
  ASSERT_TRUE(server.HasSession("amira-1"));
  server.EndSession("amira-1");
  EXPECT_FALSE(server.HasSession("amira-1"));
  EXPECT_TRUE(server.Deliveries("amira-1").empty());
  auto replies = server.Handle("amira-1", Delivered(7));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].body["code"], "no_session");
}

TEST_F(SyncServerTest, TypesOnlyHqSendsAreRefused) {
  hq::SyncServer server = MakeServer();
  server.Handle("amira-1", Hello("amira-1"));
  auto replies = server.Handle(
      "amira-1", Message{MessageType::kWelcome, {{"hq", "x"}, {"ingested", 0}, {"time", 0}}});
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].type, MessageType::kError);
  EXPECT_EQ(replies[0].body["code"], "unknown_type");
}

// Records a field relay forwards (RELAYED): taken for their author when the author's tag
// holds and the author is a teammate of the relay's member; otherwise refused, listed and
// audited, and never held, so the author's genuine record with that seq is still taken.
TEST_F(SyncServerTest, RelayedRecordsAreTakenForTheirAuthorOnlyWhenItsTagHolds) {
  auto hq_keys = GenerateKeyPair();
  auto jonas_keys = GenerateKeyPair();
  auto nadia_keys = GenerateKeyPair();
  ASSERT_TRUE(hq_keys.ok() && jonas_keys.ok() && nadia_keys.ok());
  ASSERT_TRUE(hq_->registry().RotateKey("jonas-1", jonas_keys->public_key, "test").ok());
  AddMember("nadia", {"liaison_officer"});  // enrolled, in no deployment
  ASSERT_TRUE(hq_->registry().Enroll("nadia", nadia_keys->public_key, hq::DeviceRule::kOnly, "test").ok());
  hq::SyncServer::Options options;
  options.hq_secret_key = hq_keys->secret_key;
  hq::SyncServer server(*hq_, clock_, options);
  const std::string task = QueryText(hq_->database().db(),
                                     "SELECT id FROM tasks WHERE member_id='jonas' ORDER BY id LIMIT 1");
  const auto tagged = [&](const std::string& agent, const std::string& secret,
                          const wire::Entry& entry) {
    auto key = RecordAuthKey::Derive(secret, hq_keys->public_key);
    json element = entry.Encode();
    element["agent"] = agent;
    element["auth"] = key.ok() ? key->Tag(agent, entry) : std::string();
    return element;
  };
  const wire::Entry acknowledged{1, "status", 1, {{"task", task}, {"state", "acknowledged"}}};
  const Message relayed{MessageType::kRelayed,
                        {{"records", {tagged("jonas-1", jonas_keys->secret_key, acknowledged)}}}};
  // No session: nothing is judged.
  auto replies = server.Handle("amira-1", relayed);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].body["code"], "no_session");

  server.Handle("amira-1", Hello("amira-1"));
  wire::Entry forged = acknowledged;
  forged.seq = 2;
  forged.body["state"] = "completed";
  wire::Entry nadias = acknowledged;
  replies = server.Handle(
      "amira-1",
      Message{MessageType::kRelayed,
              {{"records",
                {// the relay's own key cannot make jonas's tag
                 tagged("jonas-1", nadia_keys->secret_key, forged),
                 // nadia's genuine record, but she is not amira's teammate
                 tagged("nadia-1", nadia_keys->secret_key, nadias),
                 tagged("jonas-1", jonas_keys->secret_key, acknowledged)}}}});
  ExpectEncodable(replies);
  ASSERT_EQ(replies.size(), 1u);
  ASSERT_EQ(replies[0].type, MessageType::kRelayAck);
  EXPECT_EQ(replies[0].body["held"], json::parse(R"([{"agent": "jonas-1", "seqs": [1]}])"));
  ASSERT_EQ(replies[0].body["refused"].size(), 2u);
  EXPECT_EQ(replies[0].body["refused"][0]["seq"], 2);
  EXPECT_EQ(replies[0].body["refused"][1]["agent"], "nadia-1");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM inbound WHERE agent_id='jonas-1'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM inbound WHERE agent_id='nadia-1'"), 0);
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT state FROM tasks WHERE id='" + task + "'"),
            "acknowledged");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='relay.refused'"), 1);
  // jonas's own seq 2 is still his to send: the forgery under it was never held.
  server.Handle("jonas-1", Hello("jonas-1"));
  const wire::Entry started{2, "status", 2, {{"task", task}, {"state", "in_progress"}}};
  replies = server.Handle("jonas-1", Records(json::array({started.Encode()})));
  ASSERT_FALSE(replies.empty());
  EXPECT_EQ(replies[0].body["seqs"], json::array({2}));
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT state FROM tasks WHERE id='" + task + "'"),
            "in_progress");
  // The same record relayed again is held once.
  replies = server.Handle("amira-1", relayed);
  EXPECT_EQ(replies[0].body["held"], json::parse(R"([{"agent": "jonas-1", "seqs": [1]}])"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM inbound WHERE agent_id='jonas-1'"), 2);
}

}  // namespace
}  // namespace muster::coordtest
