// Issue 5 over real sockets: revocation and key rotation on open connections, an agent
// acting on another member's work, the rate limit and a flood that does not starve
// another agent, the operator in the audit log, tampering found through the API, and the
// new routes behind the token. (Plaintext, unknown keys, malformed and oversized frames:
// coordinator_test.cc.)
#include <gtest/gtest.h>
#include <SQLiteCpp/Database.h>

#include "coordinator_fixture.h"
#include "hq_fixture.h"
#include "muster/keys.h"

namespace muster::coordtest {
namespace {

Message Records(const std::vector<json>& records) {
  return {MessageType::kRecords, {{"records", records}}};
}

json StatusRecord(std::uint64_t seq, const std::string& task, const std::string& state) {
  return wire::MakeEntry(seq, 1, wire::StatusRecord{task, state, ""}).Encode();
}

json NoteRecord(std::uint64_t seq) {
  return wire::MakeEntry(seq, 1, wire::NoteRecord{"", "note " + std::to_string(seq)}).Encode();
}

class SecurityTest : public CoordinatorTest {
 protected:
  // A connection that said HELLO and was welcomed.
  std::unique_ptr<RawDealer> Connect(const Bundle& bundle) {
    auto dealer = std::make_unique<RawDealer>(bundle.endpoint, KeysOf(bundle));
    dealer->Send(Hello(bundle.agent_id));
    EXPECT_TRUE(dealer->ReceiveType(MessageType::kWelcome, 5'000).has_value());
    return dealer;
  }
  // What HQ's store holds, read through a connection of the test's own.
  std::int64_t CountAtHq(const std::string& sql) {
    SystemClock clock;
    auto store = hq::Headquarters::Open(config_.data_dir + "/muster.db", clock);
    EXPECT_TRUE(store.ok());
    return store.ok() ? QueryInt((*store)->database().db(), sql) : -1;
  }
  // A note in the agent's store (SyncAgent's data directory for this agent id).
  void AppendNote(const Bundle& bundle) {
    const std::string data = dir_.File("agent-" + bundle.agent_id);
    std::filesystem::create_directories(data);
    auto store = agent::AgentStore::Open(data, bundle, clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->outbox().Append("note", "", {{"text", "on scene"}}, agent::kLaneStatus).ok());
  }
  json AuditOf(const std::string& action) {
    auto entries = api_->Get("/v1/audit?action=" + action);
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    return entries.ok() ? *entries : json::array();
  }
};

TEST_F(SecurityTest, ARevokedAgentIsCutOffOnItsOpenConnectionAndHqKeepsWhatItSent) {
  StartHq();
  Bundle amira = Enroll("amira");
  auto dealer = Connect(amira);
  dealer->Send(Records({NoteRecord(1)}));
  ASSERT_TRUE(dealer->ReceiveType(MessageType::kAck, 5'000).has_value());

  api_ = LogIn("dana", "administrator");
  json revoked = Post("/v1/agents/amira-1/revoke", json::object());
  EXPECT_EQ(revoked["status"], "revoked");
  // The next message on the open connection: refused, and nothing of it is kept.
  dealer->Send(Records({NoteRecord(2)}));
  auto refusal = dealer->Receive(5'000);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->type, MessageType::kError);
  EXPECT_EQ(refusal->body["code"], "forbidden");
  EXPECT_EQ(CountAtHq("SELECT COUNT(*) FROM inbound WHERE agent_id='amira-1'"), 1);
  EXPECT_EQ(CountAtHq("SELECT COUNT(*) FROM inbound WHERE seq=2"), 0);
  // Its session is gone too: a PING answers forbidden, not PONG.
  dealer->Send(Message{MessageType::kPing, {{"time", 1}}});
  auto ping = dealer->Receive(5'000);
  ASSERT_TRUE(ping.has_value());
  EXPECT_EQ(ping->type, MessageType::kError);

  json audit = AuditOf("agent.revoke");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0]["actor"], "dana");
  EXPECT_EQ(audit[0]["subject"], "amira-1");
  EXPECT_EQ(AuditOf("agent.refused_revoked").size(), 1u);  // once per connection
  // Revoking again is a conflict; the agent list shows it revoked.
  EXPECT_EQ(api_->Post("/v1/agents/amira-1/revoke", json::object()).status().code(),
            ErrorCode::kConflict);
  EXPECT_EQ(api_->Post("/v1/agents/nobody-1/revoke", json::object()).status().code(),
            ErrorCode::kNotFound);
}

TEST_F(SecurityTest, AStoreThatCannotAnswerIsAnInternalErrorNeverARefusedKey) {
  StartHq();
  Bundle amira = Enroll("amira");
  auto dealer = Connect(amira);
  // HQ's store loses its agents table under the running coordinator (a real fault, made
  // through a connection of the test's own): no lookup of the key can succeed.
  SQLite::Database db(config_.data_dir + "/muster.db", SQLite::OPEN_READWRITE);
  db.exec("ALTER TABLE agents RENAME TO agents_away");
  dealer->Send(Records({NoteRecord(1)}));
  auto answer = dealer->Receive(5'000);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->type, MessageType::kError);
  EXPECT_EQ(answer->body["code"], "internal");
  db.exec("ALTER TABLE agents_away RENAME TO agents");
  // Nothing was audited as a refused key, and the same record is taken once the store
  // answers again.
  EXPECT_EQ(AuditOf("agent.refused_old_key").size(), 0u);
  EXPECT_EQ(AuditOf("agent.refused_revoked").size(), 0u);
  dealer->Send(Records({NoteRecord(1)}));
  auto ack = dealer->ReceiveType(MessageType::kAck, 5'000);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->body["ingested"], 1);
}

TEST_F(SecurityTest, ARotatedKeyIsRefusedAtOnceAndTheNewOneContinuesTheSequences) {
  StartHq();
  Bundle old_bundle = Enroll("amira");
  auto old_connection = Connect(old_bundle);
  old_connection->Send(Records({NoteRecord(1), NoteRecord(2)}));
  ASSERT_TRUE(old_connection->ReceiveType(MessageType::kAck, 5'000).has_value());

  json rotated = Post("/v1/agents/amira-1/rotate", json::object());
  EXPECT_EQ(rotated["agent_id"], "amira-1");
  auto new_bundle = ParseBundle(rotated.value("bundle", std::string()));
  ASSERT_TRUE(new_bundle.ok()) << new_bundle.status().ToString();
  EXPECT_EQ(new_bundle->agent_id, old_bundle.agent_id);
  EXPECT_NE(new_bundle->public_key, old_bundle.public_key);

  // The old key on its open connection: refused, no effect.
  old_connection->Send(Records({NoteRecord(3)}));
  auto refusal = old_connection->Receive(5'000);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->type, MessageType::kError);
  EXPECT_EQ(refusal->body["code"], "forbidden");
  EXPECT_EQ(CountAtHq("SELECT COUNT(*) FROM inbound WHERE agent_id='amira-1' AND seq=3"), 0);
  // The old key on a new connection: ZAP refuses the handshake, so no answer at all.
  RawDealer again(old_bundle.endpoint, KeysOf(old_bundle));
  again.Send(Hello(old_bundle.agent_id));
  EXPECT_FALSE(again.Receive(1'500).has_value());

  // The new key: HQ remembers the agent's sequences, and the next one is taken.
  RawDealer fresh(new_bundle->endpoint, KeysOf(*new_bundle));
  fresh.Send(Hello(new_bundle->agent_id));
  auto welcome = fresh.ReceiveType(MessageType::kWelcome, 5'000);
  ASSERT_TRUE(welcome.has_value());
  EXPECT_EQ(welcome->body["ingested"], 2);
  fresh.Send(Records({NoteRecord(3)}));
  auto ack = fresh.ReceiveType(MessageType::kAck, 5'000);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->body["ingested"], 3);
  json audit = AuditOf("agent.rotate");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0]["detail"]["new_key"], KeyFingerprint(new_bundle->public_key));
}

TEST_F(SecurityTest, ARotatedBundleInstallsOnTheAgentsExistingDataDirectory) {
  StartHq();
  Bundle old_bundle = Enroll("amira");
  Post("/v1/incidents", {{"id", "INC-1"}, {"title", "Portal alarm"}});
  AppendNote(old_bundle);
  EXPECT_EQ(SyncAgent(old_bundle).sent_acked, 1u);
  json rotated = Post("/v1/agents/amira-1/rotate", json::object());
  auto new_bundle = ParseBundle(rotated.value("bundle", std::string()));
  ASSERT_TRUE(new_bundle.ok());
  // The same data directory with the new bundle: the next record is seq 2.
  AppendNote(*new_bundle);
  agent::SyncReport report = SyncAgent(*new_bundle);
  EXPECT_TRUE(report.connected);
  EXPECT_EQ(report.error, "");
  EXPECT_EQ(report.sent_acked, 1u);
  EXPECT_EQ(CountAtHq("SELECT COUNT(*) FROM inbound WHERE agent_id='amira-1' AND seq IN (1, 2)"),
            2);
}

TEST_F(SecurityTest, AnAgentActingOnAnotherMembersTaskIsRefusedAuditedAndChangesNothing) {
  StartHq();
  Bundle amira = Enroll("amira", "team_leader");
  Enroll("jonas", "radiation_specialist");
  Enroll("li", "forensic_examiner");
  Post("/v1/incidents", {{"id", "INC-1"}, {"title", "Portal alarm"}});
  Post("/v1/deployments", {{"incident", "INC-1"},
                           {"playbook_source", BorderPlaybookSource()},
                           {"assign", json::object()}});
  const std::string foreign = "d1.secondary_inspection.jonas";
  const std::int64_t findings_before = CountAtHq("SELECT COUNT(*) FROM findings");
  auto dealer = Connect(amira);
  dealer->Send(Records({StatusRecord(1, foreign, "completed"),
                        {{"seq", 2}, {"kind", "finding"}, {"at", 1},
                         {"body", {{"task", foreign}, {"values", {{"dose_rate_1m", 1}}}}}}}));
  auto ack = dealer->ReceiveType(MessageType::kAck, 5'000);
  ASSERT_TRUE(ack.has_value());
  std::vector<std::string> codes;
  for (int i = 0; i < 2; ++i) {
    auto error = dealer->ReceiveType(MessageType::kError, 5'000);
    ASSERT_TRUE(error.has_value());
    codes.push_back(error->body["code"]);
  }
  EXPECT_EQ(codes, (std::vector<std::string>{"forbidden", "forbidden"}));
  EXPECT_EQ(CountAtHq("SELECT COUNT(*) FROM tasks WHERE id='" + foreign + "' AND state='waiting'"),
            1);
  EXPECT_EQ(CountAtHq("SELECT COUNT(*) FROM findings"), findings_before);
  json audit = AuditOf("record.forbidden");
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0]["actor"], "agent:amira-1");
  EXPECT_EQ(audit[0]["detail"]["task"], foreign);
  EXPECT_EQ(audit[0]["origin"].get<std::string>().rfind("agent:amira-1@127.0.0.1", 0), 0u);
}

TEST_F(SecurityTest, AHelloNamingAnotherAgentIsRefusedAndAudited) {
  StartHq();
  Bundle amira = Enroll("amira");
  Enroll("jonas");
  RawDealer dealer(amira.endpoint, KeysOf(amira));
  dealer.Send(Hello("jonas-1"));
  auto refusal = dealer.Receive(5'000);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->type, MessageType::kError);
  EXPECT_EQ(refusal->body["code"], "forbidden");
  json audit = AuditOf("hello.forbidden");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0]["detail"]["claimed"], "jonas-1");
}

TEST_F(SecurityTest, AFloodIsRateLimitedWhileAnotherAgentIsServed) {
  config_.agent_messages_per_second = 5;
  config_.agent_message_burst = 20;
  StartHq();
  Bundle amira = Enroll("amira");
  Bundle jonas = Enroll("jonas");
  auto flood = Connect(amira);
  for (int i = 0; i < 300; ++i) flood->Send(Message{MessageType::kPing, {{"time", i}}});
  auto limited = flood->ReceiveType(MessageType::kError, 10'000);
  ASSERT_TRUE(limited.has_value());
  EXPECT_EQ(limited->body["code"], "rate_limited");
  EXPECT_GT(limited->body["retry_after_ms"].get<int>(), 0);
  // Jonas, meanwhile, is welcomed and his records are taken.
  RawDealer other(jonas.endpoint, KeysOf(jonas));
  other.Send(Hello(jonas.agent_id));
  ASSERT_TRUE(other.ReceiveType(MessageType::kWelcome, 10'000).has_value());
  other.Send(Records({NoteRecord(1)}));
  auto ack = other.ReceiveType(MessageType::kAck, 10'000);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->body["ingested"], 1);
}

TEST_F(SecurityTest, TheLoggedInOperatorAndTheClientAddressAreTheAuditActorAndOrigin) {
  StartHq();
  api_ = LogIn("dana", "officer");
  Post("/v1/incidents", {{"id", "INC-7"}, {"title", "Portal alarm"}});
  const auto [host, port] = ApiHostPort();
  // The header that once named the operator is ignored: the token says who calls.
  HttpReply break_glass = RawHttp(port, "POST", "/v1/members",
                                  {"Authorization: Bearer " + hq_->api_token(),
                                   "X-Muster-Operator: dana"},
                                  R"({"id": "amira"})");
  EXPECT_EQ(break_glass.status, 201) << break_glass.body;
  json incident = AuditOf("incident.create");
  ASSERT_EQ(incident.size(), 1u);
  EXPECT_EQ(incident[0]["actor"], "dana");
  EXPECT_EQ(incident[0]["subject"], "INC-7");
  EXPECT_EQ(incident[0]["origin"].get<std::string>().rfind("api 127.0.0.1:", 0), 0u);
  json member = AuditOf("member.create");
  ASSERT_EQ(member.size(), 1u);
  EXPECT_EQ(member[0]["actor"], "break-glass");
  EXPECT_NE(member[0]["origin"].get<std::string>().find("via DATA/api.token"), std::string::npos);
}

TEST_F(SecurityTest, TamperingWithTheLiveStoreIsNamedByTheVerifyRoute) {
  StartHq();
  Enroll("amira");
  Enroll("jonas");
  auto intact = api_->Get("/v1/audit/verify");
  ASSERT_TRUE(intact.ok());
  EXPECT_EQ((*intact)["intact"], true);
  EXPECT_EQ((*intact)["entries"], 4);
  {
    SystemClock clock;
    auto store = hq::Headquarters::Open(config_.data_dir + "/muster.db", clock);
    ASSERT_TRUE(store.ok());
    (*store)->database().db().exec("DROP TRIGGER audit_no_update");
    (*store)->database().db().exec("UPDATE audit SET subject='mallory-1' WHERE seq=2");
  }
  auto broken = api_->Get("/v1/audit/verify");
  ASSERT_TRUE(broken.ok());
  EXPECT_EQ((*broken)["intact"], false);
  EXPECT_EQ((*broken)["broken_seq"], 2);
}

TEST_F(SecurityTest, TheNewRoutesNeedTheToken) {
  StartHq();
  Enroll("amira");
  const auto [host, port] = ApiHostPort();
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/audit"},
           {"GET", "/v1/audit/verify"},
           {"POST", "/v1/agents/amira-1/revoke"},
           {"POST", "/v1/agents/amira-1/rotate"}}) {
    HttpReply none = RawHttp(port, method, path, {}, "{}");
    EXPECT_EQ(none.status, 401) << method << " " << path;
    HttpReply wrong = RawHttp(port, method, path,
                              {"Authorization: Bearer " + std::string(64, '0')}, "{}");
    EXPECT_EQ(wrong.status, 401) << method << " " << path;
    EXPECT_NE(wrong.body.find("unauthorized"), std::string::npos);
  }
  EXPECT_EQ(CountAtHq("SELECT COUNT(*) FROM agents WHERE status='active'"), 1);
  EXPECT_EQ(CountAtHq("SELECT COUNT(*) FROM audit WHERE action LIKE 'agent.r%'"), 0);
}

}  // namespace
}  // namespace muster::coordtest
