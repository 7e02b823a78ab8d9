// The team's field relay over real sockets (CURVE, a real coordinator, real agent links
// and stores): five members, the first one's laptop serving as the relay.
// 1. HQ is down for the whole work: the members sync to the relay only; the team view
//    converges on site (each member sees every sample completed, and the report that
//    waited on them is released here) before HQ has seen anything.
// 2. HQ comes back, reachable through the relay's link only: every record reaches HQ
//    through the relay, exactly once, taken for its author.
// 3. The members' own links come up too, while they record more: every record is at HQ
//    once, whichever way it came (some came both ways), and nothing the relay carried
//    crosses the members' links again.
// What the playbook keeps from the team (a TLP:RED step) never goes through the relay. A
// stranger's key gets nothing from the relay, and HQ refuses records the relay forged or
// altered.
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>
#include <zmq.h>

#include <sstream>
#include <zmq.hpp>

#include "muster/protocol.h"
#include "muster/record_auth.h"
#include "relay/relay_link.h"
#include "relay/relay_queue.h"
#include "relay/relay_server.h"
#include "relay/site_view.h"
#include "team_rig.h"
#include "verbs.h"

namespace muster::testing {
namespace {

using nlohmann::json;
using protocol::Message;
using protocol::MessageType;

std::string SampleThenReport() {
  return R"(id: sample-then-report
version: "1.0.0"
title: Sample the site, then report
hazards: [radiological]
roles:
  - id: surveyor
    title: Surveyor
phases:
  - id: survey
    title: Survey
steps:
  - id: sample
    title: Take a sample
    phase: survey
    role: surveyor
    findings:
      - {id: reading, type: number, unit: µSv/h}
      - {id: remark, type: text}
  - id: report
    title: Report
    phase: survey
    role: surveyor
    depends_on: [sample]
    findings:
      - {id: remark, type: text}
  - id: debrief
    title: Debrief a witness
    phase: survey
    role: surveyor
    marking: TLP:RED
    findings:
      - {id: remark, type: text}
)";
}

class RelayTest : public ::testing::Test {
 protected:
  static constexpr int kMembers = 5;  // member 0 is the relay
  static constexpr int kWitness = 3;  // records a TLP:RED finding while HQ is down

  void SetUp() override {
    TeamRigOptions options;
    options.members = kMembers;
    options.relay = 0;
    options.playbook = SampleThenReport();
    options.link.backoff_max_ms = 1'000;
    rig_ = std::make_unique<TeamRig>(options);
  }

  void TearDown() override { rig_.reset(); }

  std::unique_ptr<agent::AgentStore> Open(int i) { return rig_->OpenStore(i); }

  // Member |i| takes its sample: acknowledged, started, a reading (with |photo| attached,
  // if any), completed; on a store connection of its own, as a verb would (the rig's is
  // its link's).
  void Sample(int i, const std::string& photo = "") {
    std::ostringstream out;
    auto verb_store = Open(i);
    agent::AgentStore& store = *verb_store;
    ASSERT_TRUE(agent::SetState(store, "sample", "acknowledged", "", false, out).ok()) << out.str();
    ASSERT_TRUE(agent::SetState(store, "sample", "in_progress", "", false, out).ok()) << out.str();
    std::vector<std::string> attach;
    if (!photo.empty()) attach.push_back(photo);
    const Status recorded = agent::RecordFinding(
        store, "sample",
        {"reading=" + std::to_string(i) + ".5", "remark=member " + std::to_string(i)}, false, true,
        false, out, attach);
    ASSERT_TRUE(recorded.ok()) << recorded.ToString() << "\n" << out.str();
  }
  static constexpr int kPhotographer = 2;  // attaches a photo while HQ is down

  std::string Agent(int i) { return rig_->bundle(i).agent_id; }

  // The records member |i| wrote.
  std::int64_t Written(int i) {
    auto head = rig_->store(i).outbox().Head();
    return head.ok() ? static_cast<std::int64_t>(*head) : -1;
  }
  std::int64_t AtHq(int i) {
    return rig_->HqScalar("SELECT COUNT(*) FROM inbound WHERE agent_id='" + Agent(i) + "'");
  }
  // Every record at HQ but |missing_of_witness| of the witness's.
  bool AllAtHq(int missing_of_witness = 0) {
    for (int i = 0; i < kMembers; ++i) {
      if (AtHq(i) != Written(i) - (i == kWitness ? missing_of_witness : 0)) return false;
    }
    return true;
  }
  // Member |i|'s task of |step| as its laptop shows it.
  std::string Shown(int i, const std::string& step) {
    agent::AgentStore& store = rig_->store(i);
    auto tasks = store.Tasks();
    if (!tasks.ok()) return "error";
    for (const agent::Task& task : *tasks) {
      if (task.step == step) return store.DisplayState(task, *tasks);
    }
    return "none";
  }

  std::unique_ptr<TeamRig> rig_;
};

TEST_F(RelayTest, TheTeamSyncsOnSiteWithoutHqAndEveryRecordReachesHqOnceWhicheverWayItCame) {
  // Deployed while HQ was in reach: every laptop holds its tasks and the team view, with
  // the team's agent keys.
  rig_->StartAgents();
  ASSERT_TRUE(rig_->WaitUntilDeployed(60));
  rig_->StopAgents();
  rig_->StopCoordinator();

  // --- 1. HQ down for the whole work: the team syncs on site ---
  rig_->StartSite();
  rig_->StartAgent(0);  // the relay's own link tries HQ and finds nothing
  // Member 1's report waits on every member's sample: with only its own done, it waits.
  Sample(1);
  EXPECT_EQ(Shown(1, "report"), "waiting");
  for (int i = 0; i < kMembers; ++i) {
    if (i != 1) Sample(i, i == kPhotographer ? rig_->WritePhoto("seal.jpg", 20'000, 7) : "");
  }
  {
    std::ostringstream out;
    ASSERT_TRUE(agent::RecordFinding(*Open(kWitness), "debrief",
                                     {"remark=the driver named his supplier"}, false, false, false,
                                     out)
                    .ok())
        << out.str();
  }
  // A record HQ will hold but refuse for what it says (no agent verb would write it).
  auto bogus = Open(4)->outbox().Append("status", rig_->Task(4, "report"),
                                        {{"task", rig_->Task(4, "report")}, {"state", "bogus"}}, 1);
  ASSERT_TRUE(bogus.ok());
  // Every member sees every teammate's sample completed on site, with its finding, and
  // its report, which waited on them, released.
  const auto converged = [&](int i, std::string* why) {
    auto site = agent::SiteView(rig_->store(i).database(), rig_->laptop_clock(i)).States();
    if (!site.ok()) return false;
    for (int j = 0; j < kMembers; ++j) {
      const std::string task = rig_->Task(j, "sample");
      auto known = site->find(task);
      if (known == site->end() || known->second.state != "completed" ||
          (j != i && known->second.findings != 1)) {
        *why = "member " + std::to_string(i) + " sees " + task + " as " +
               (known == site->end() ? "nothing"
                                     : known->second.state + " with " +
                                           std::to_string(known->second.findings) + " findings");
        return false;
      }
    }
    *why = "member " + std::to_string(i) + "'s report shows " + Shown(i, "report");
    return Shown(i, "report") == "ready";
  };
  std::string why;
  EXPECT_TRUE(WaitUntil(
      [&] {
        for (int i = 0; i < kMembers; ++i) {  // the relay's own member too
          if (!converged(i, &why)) return false;
        }
        return true;
      },
      30))
      << why;
  const Millis converged_at = SystemClock().Now();
  // A released report can be started without --force, offline.
  {
    std::ostringstream out;
    EXPECT_TRUE(agent::SetState(*Open(2), "report", "acknowledged", "", false, out).ok())
        << out.str();
  }
  // The relay holds every member's record but the TLP:RED finding; HQ has nothing yet.
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto counts =
            agent::RelayQueue(rig_->relay_store().database(), rig_->laptop_clock(0), Agent(0))
                .Stats();
        std::int64_t expected = -1;
        for (int i = 1; i < kMembers; ++i) expected += Written(i);
        return counts.ok() && static_cast<std::int64_t>(counts->held) == expected;
      },
      30));
  for (int i = 1; i < kMembers; ++i) {
    // Marked once the relay's acknowledgement arrives.
    EXPECT_TRUE(WaitUntil(
        [&] {
          auto stats = rig_->store(i).outbox().Stats();
          return stats.ok() && static_cast<std::int64_t>(stats->relay_held) ==
                                   Written(i) - (i == kWitness ? 1 : 0);
        },
        10))
        << "member " << i;
  }
  {
    SQLite::Statement debrief(rig_->relay_store().database(),
                              "SELECT COUNT(*) FROM relayed WHERE task=?");
    debrief.bind(1, rig_->Task(kWitness, "debrief"));
    ASSERT_TRUE(debrief.executeStep());
    EXPECT_EQ(debrief.getColumn(0).getInt(), 0) << "a TLP:RED finding went through the relay";
  }

  // --- 2. HQ back, in reach through the relay's link only ---
  rig_->StartCoordinator();
  ASSERT_TRUE(WaitUntil([&] { return AllAtHq(1); }, 60))
      << "at HQ: " << rig_->HqScalar("SELECT COUNT(*) FROM inbound");
  // Taken for their authors: every member's sample completed at HQ, its reading stored.
  for (int i = 0; i < kMembers; ++i) {
    EXPECT_EQ(rig_->HqText("SELECT state FROM tasks WHERE id='" + rig_->Task(i, "sample") + "'"),
              "completed")
        << "member " << i;
  }
  EXPECT_EQ(rig_->HqScalar("SELECT COUNT(*) FROM findings"), kMembers);
  // The photo came through the relay in pieces cut for it, and is whole at HQ.
  EXPECT_EQ(rig_->HqScalar("SELECT COUNT(*) FROM attachments WHERE state='verified'"), 1);
  EXPECT_GE(
      rig_->HqScalar("SELECT COUNT(*) FROM inbound WHERE kind='attachment_chunk' AND agent_id='" +
                     Agent(kPhotographer) + "'"),
      3);
  // The record sets on both sides: for each member, the seqs its laptop gave the relay,
  // the seqs the relay holds, and the seqs HQ holds are the same.
  for (int i = 1; i < kMembers; ++i) {
    const auto seqs = [](SQLite::Database& db, const std::string& sql, const std::string& agent) {
      SQLite::Statement query(db, "SELECT COALESCE(group_concat(seq), '') FROM (" + sql + ")");
      if (!agent.empty()) query.bind(1, agent);
      return query.executeStep() ? query.getColumn(0).getString() : std::string("?");
    };
    const std::string on_laptop =
        seqs(rig_->store(i).database(),
             "SELECT seq FROM outbox WHERE relay_held_at > 0 ORDER BY seq", "");
    const std::string at_relay =
        seqs(rig_->relay_store().database(), "SELECT seq FROM relayed WHERE agent=? ORDER BY seq",
             Agent(i));
    const std::string at_hq = rig_->HqText(
        "SELECT COALESCE(group_concat(seq), '') FROM (SELECT seq FROM inbound WHERE agent_id='" +
        Agent(i) + "' ORDER BY seq)");
    EXPECT_FALSE(on_laptop.empty());
    EXPECT_EQ(at_relay, on_laptop) << "member " << i;
    EXPECT_EQ(at_hq, on_laptop) << "member " << i;
  }
  // The team had converged on site before HQ saw anything.
  EXPECT_GT(rig_->HqScalar("SELECT MIN(received_at) FROM inbound"), converged_at);
  // The audit says which way they came: every member's through the relay, none directly.
  for (int i = 1; i < kMembers; ++i) {
    const std::string origin = "origin LIKE 'agent:" + Agent(i) + "@%'";
    EXPECT_GE(rig_->HqScalar("SELECT COUNT(*) FROM audit WHERE action='records.ingest' AND " +
                             origin + " AND origin LIKE '%@relay:" + Agent(0) + "/%'"),
              1)
        << "member " << i;
    EXPECT_EQ(rig_->HqScalar("SELECT COUNT(*) FROM audit WHERE action='records.ingest' AND " +
                             origin + " AND origin NOT LIKE '%@relay:%'"),
              0)
        << "member " << i;
  }
  EXPECT_EQ(rig_->HqScalar("SELECT COUNT(*) FROM inbound WHERE agent_id='" + Agent(4) +
                           "' AND outcome<>'applied'"),
            1)
      << "the bogus status: held, its effect refused";

  // --- 3. The members' own links too, while they record more ---
  for (int i = 1; i < kMembers; ++i) rig_->StartAgent(i);
  for (int i = 1; i < kMembers; ++i) {
    std::ostringstream out;
    auto verb_store = Open(i);
    if (i != 2) {
      ASSERT_TRUE(agent::SetState(*verb_store, "report", "acknowledged", "", false, out).ok())
          << out.str();
    }
    const Status done = agent::RecordFinding(
        *verb_store, "report", {"remark=done " + std::to_string(i)}, false, true, false, out);
    ASSERT_TRUE(done.ok()) << done.ToString() << "\n" << out.str();
  }
  ASSERT_TRUE(WaitUntil([&] { return AllAtHq() && rig_->Pending() == 0; }, 60))
      << "pending at the members: " << rig_->Pending();
  // The author of the bogus status was told through the relay why HQ refused it.
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto records = rig_->store(4).outbox().Records(rig_->Task(4, "report"));
        if (!records.ok()) return false;
        for (const agent::OutboxRecord& record : *records) {
          if (record.seq == *bogus)
            return record.refusal.find("invalid_value") != std::string::npos;
        }
        return false;
      },
      30));
  // Exactly once: one inbound row per record, one finding per finding record.
  std::int64_t written = 0;
  for (int i = 0; i < kMembers; ++i) written += Written(i);
  EXPECT_EQ(rig_->HqScalar("SELECT COUNT(*) FROM inbound"), written);
  EXPECT_EQ(rig_->HqScalar("SELECT COUNT(*) FROM findings"), kMembers + (kMembers - 1) + 1)
      << "the samples, the reports and the debrief, which came by the witness's own link";
  for (int i = 1; i < kMembers; ++i) {
    EXPECT_EQ(rig_->HqText("SELECT state FROM tasks WHERE id='" + rig_->Task(i, "report") + "'"),
              "completed")
        << "member " << i;
    // What the relay carried did not cross the member's own link again: at most the
    // records made in phase 3 (an acknowledgement, a finding and a completion) went that
    // way, and the witness's debrief.
    EXPECT_LE(rig_->stats(i).sync.records_sent, i == kWitness ? 4u : 3u) << "member " << i;
  }
  // The relay and HQ agree: every record the relay holds is held at HQ (what came in
  // phase 3 both ways is forwarded too, or skipped once the member says HQ has it), and
  // HQ still holds each record once.
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto counts =
            agent::RelayQueue(rig_->relay_store().database(), rig_->laptop_clock(0), Agent(0))
                .Stats();
        return counts.ok() && counts->waiting == 0 && counts->refused == 1;  // the bogus one
      },
      30));
  rig_->StopSite();
  rig_->StopAgents();
  EXPECT_EQ(rig_->HqScalar("SELECT COUNT(*) FROM inbound"), written);
  EXPECT_EQ(rig_->HqScalar("SELECT COUNT(*) FROM findings"), kMembers + (kMembers - 1) + 1);
}

// A CURVE client on a ZeroMQ socket, for what no agent would send.
class RawClient {
 public:
  RawClient(zmq::context_t& context, const std::string& endpoint, const std::string& server_key,
            const std::string& public_key, const std::string& secret_key)
      : socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::curve_serverkey, server_key);
    socket_.set(zmq::sockopt::curve_publickey, public_key);
    socket_.set(zmq::sockopt::curve_secretkey, secret_key);
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
  }
  void Send(const Message& message) { SendFrame(protocol::Encode(message)); }
  void SendFrame(const std::string& frame) {
    socket_.send(zmq::buffer(frame), zmq::send_flags::none);
  }
  // The next message of |type| within |ms|.
  std::optional<Message> Await(MessageType type, int ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(100));
      if (!(item.revents & ZMQ_POLLIN)) continue;
      zmq::message_t frame;
      if (!socket_.recv(frame, zmq::recv_flags::none)) continue;
      auto message = protocol::Decode(frame.to_string_view());
      if (message.ok() && message->type == type) return *message;
    }
    return std::nullopt;
  }

 private:
  zmq::socket_t socket_;
};

TEST_F(RelayTest, AStrangersKeyGetsNothingFromTheRelayAndHqRefusesWhatTheRelayForged) {
  rig_->StartAgents();
  ASSERT_TRUE(rig_->WaitUntilDeployed(60));
  rig_->StopAgents();
  rig_->StartSite();

  zmq::context_t context(1);
  // A teammate's key is answered with the team's state on site.
  RawClient member(context, rig_->relay_server().endpoint(), rig_->bundle(0).public_key,
                   rig_->bundle(1).public_key, rig_->bundle(1).secret_key);
  member.Send(Message{MessageType::kHello,
                      {{"agent", Agent(1)}, {"acked", 0}, {"applied", 0}, {"head", 0}}});
  EXPECT_TRUE(member.Await(MessageType::kSite, 5'000).has_value());
  // A stranger on the same network, with a key of its own, never completes the handshake.
  char stranger_public[41] = {}, stranger_secret[41] = {};
  ASSERT_EQ(zmq_curve_keypair(stranger_public, stranger_secret), 0);
  RawClient stranger(context, rig_->relay_server().endpoint(), rig_->bundle(0).public_key,
                     stranger_public, stranger_secret);
  stranger.Send(Message{MessageType::kHello,
                        {{"agent", Agent(1)}, {"acked", 0}, {"applied", 0}, {"head", 0}}});
  EXPECT_FALSE(stranger.Await(MessageType::kSite, 2'000).has_value());
  EXPECT_GE(rig_->relay_server().stats().keys_refused, 1u);
  rig_->StopSite();

  // The relay (member 0's key) forwards records under member 1's name to HQ.
  const std::string task = rig_->Task(1, "sample");
  wire::Entry genuine{1, "status", 1, {{"task", task}, {"state", "acknowledged"}}};
  auto member_key =
      RecordAuthKey::Derive(rig_->bundle(1).secret_key, rig_->bundle(1).server_public_key);
  auto relay_key =
      RecordAuthKey::Derive(rig_->bundle(0).secret_key, rig_->bundle(0).server_public_key);
  ASSERT_TRUE(member_key.ok() && relay_key.ok());
  const std::string genuine_tag = member_key->Tag(Agent(1), genuine);
  wire::Entry altered = genuine;
  altered.seq = 2;
  altered.body["state"] = "completed";  // the member's tag of seq 1 on another record
  wire::Entry forged{3, "status", 1, {{"task", task}, {"state", "completed"}}};
  const auto element = [](const std::string& agent, const wire::Entry& entry,
                          const std::string& tag) {
    json value = entry.Encode();
    value["agent"] = agent;
    value["auth"] = tag;
    return value;
  };
  RawClient relay(context, rig_->coordinator().agent_endpoint(), rig_->bundle(0).server_public_key,
                  rig_->bundle(0).public_key, rig_->bundle(0).secret_key);
  relay.Send(Message{MessageType::kHello,
                     {{"agent", Agent(0)}, {"acked", 0}, {"applied", 0}, {"head", 0}}});
  ASSERT_TRUE(relay.Await(MessageType::kWelcome, 10'000).has_value());
  relay.Send(Message{MessageType::kRelayed,
                     {{"records",
                       {element(Agent(1), altered, genuine_tag),
                        element(Agent(1), forged, relay_key->Tag(Agent(1), forged)),
                        element("nobody-1", forged, relay_key->Tag("nobody-1", forged)),
                        element(Agent(1), genuine, genuine_tag)}}}});
  auto ack = relay.Await(MessageType::kRelayAck, 10'000);
  ASSERT_TRUE(ack.has_value());
  ASSERT_TRUE(ack->body.contains("refused"));
  EXPECT_EQ(ack->body["refused"].size(), 3u) << ack->body.dump();
  ASSERT_EQ(ack->body["held"].size(), 1u) << ack->body.dump();
  EXPECT_EQ(ack->body["held"][0]["agent"], Agent(1));
  EXPECT_EQ(ack->body["held"][0]["seqs"], json::array({1}));
  // HQ took the genuine record for member 1, and nothing of the forged ones.
  EXPECT_EQ(rig_->HqScalar("SELECT COUNT(*) FROM inbound WHERE agent_id='" + Agent(1) + "'"), 1);
  EXPECT_EQ(rig_->HqText("SELECT state FROM tasks WHERE id='" + task + "'"), "acknowledged");
  EXPECT_EQ(rig_->HqScalar("SELECT COUNT(*) FROM audit WHERE action='relay.refused'"), 1);
}

// A member's laptop sending what no agent would: each message is refused with a reason,
// nothing of it is kept, and the relay goes on serving the team.
TEST_F(RelayTest, HostileMessagesAtTheRelayAreRefusedAndItGoesOn) {
  rig_->StartAgents();
  ASSERT_TRUE(rig_->WaitUntilDeployed(60));
  rig_->StopAgents();
  rig_->StartSite();
  zmq::context_t context(1);
  RawClient member(context, rig_->relay_server().endpoint(), rig_->bundle(0).public_key,
                   rig_->bundle(1).public_key, rig_->bundle(1).secret_key);
  const auto refused_with = [&](const std::string& frame) -> std::string {
    member.SendFrame(frame);
    auto error = member.Await(MessageType::kError, 5'000);
    return error ? error->body["code"].get<std::string>() : "no answer";
  };
  const std::string task = rig_->Task(1, "sample");
  const json status = {{"task", task}, {"state", "completed"}};
  EXPECT_EQ(refused_with("garbage"), "unsupported_version");
  EXPECT_EQ(refused_with(std::string("\x01\x03\x00\xc1", 4)), "malformed");
  EXPECT_EQ(
      refused_with(protocol::Encode(
          {MessageType::kHello, {{"agent", Agent(2)}, {"acked", 0}, {"applied", 0}, {"head", 0}}})),
      "forbidden")
      << "a HELLO naming a teammate";
  EXPECT_EQ(
      refused_with(protocol::Encode(
          {MessageType::kRecords, {{"records", {wire::Entry{1, "status", 1, status}.Encode()}}}})),
      "malformed")
      << "a record without its author's tag";
  EXPECT_EQ(refused_with(protocol::Encode({MessageType::kWipe, {{"order", "x"}}})), "unknown_type");
  json many = json::array();
  for (int seq = 1; seq <= 1001; ++seq) {
    json element = wire::Entry{static_cast<std::uint64_t>(seq), "status", 1, status}.Encode();
    element["auth"] = "x";
    many.push_back(std::move(element));
  }
  EXPECT_EQ(refused_with(protocol::Encode({MessageType::kRecords, {{"records", many}}})),
            "too_large");
  // Nothing of it was kept, and the relay still answers the member.
  agent::RelayQueue queue(rig_->relay_store().database(), rig_->laptop_clock(0), Agent(0));
  auto counts = queue.Stats();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->held, 0u);
  // A member speaking for a teammate's task: kept for HQ (which refuses it as forbidden),
  // but the team's state on site does not take it.
  json spoof =
      wire::Entry{1, "status", 1, {{"task", rig_->Task(3, "sample")}, {"state", "completed"}}}
          .Encode();
  spoof["auth"] = "x";
  member.Send(Message{MessageType::kRecords, {{"records", {spoof}}}});
  ASSERT_TRUE(member.Await(MessageType::kAck, 5'000).has_value());
  auto teams = queue.Site();
  ASSERT_TRUE(teams.ok());
  for (const agent::SiteTeam& team : *teams) {
    for (const agent::SiteTask& site_task : team.tasks) {
      if (site_task.task == rig_->Task(3, "sample")) {
        EXPECT_NE(site_task.state, "completed");
      }
    }
  }
  member.Send(Message{MessageType::kHello,
                      {{"agent", Agent(1)}, {"acked", 0}, {"applied", 0}, {"head", 0}}});
  EXPECT_TRUE(member.Await(MessageType::kSite, 5'000).has_value());
}

}  // namespace
}  // namespace muster::testing
