// The Coordinator in-process over real sockets: its data directory, CURVE with the ZAP
// handler, hostile DEALERs, and the HTTP API's authentication. Every socket binds
// tcp://127.0.0.1:* or port 0.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>

#include <httplib.h>
#include <zmq.hpp>

#include "agent_store.h"
#include "api_client.h"
#include "service/coordinator.h"
#include "coordinator_fixture.h"
#include "link.h"
#include "muster/bundle.h"
#include "muster/files.h"
#include "muster/keys.h"
#include "muster/protocol.h"
#include "hq_fixture.h"

namespace muster::coordtest {
namespace {

// ---------------------------------------------------------------------------------------
// The data directory and keys

TEST_F(CoordinatorTest, FirstStartCreatesTheDataDirectory) {
  ASSERT_FALSE(std::filesystem::exists(config_.data_dir));
  StartHq();
  EXPECT_EQ(FileMode(config_.data_dir), 0700);
  EXPECT_TRUE(std::filesystem::exists(config_.data_dir + "/muster.db"));
  EXPECT_EQ(FileMode(config_.data_dir + "/coordinator.secret"), 0600);
  EXPECT_EQ(FileMode(config_.data_dir + "/api.token"), 0600);
  EXPECT_GE(hq_->api_token().size(), 32u);

  auto info_text = ReadFile(config_.data_dir + "/coordinator.json");
  ASSERT_TRUE(info_text.ok()) << info_text.status().ToString();
  json info = json::parse(*info_text, nullptr, false);
  ASSERT_TRUE(info.is_object());
  EXPECT_EQ(info["api_url"], hq_->api_url());
  EXPECT_EQ(info["agent_endpoint"], hq_->agent_endpoint());
  EXPECT_EQ(info["server_public_key"], hq_->keys().public_key);
  EXPECT_TRUE(IsValidZ85Key(hq_->keys().public_key));
  EXPECT_EQ(hq_->agent_endpoint().rfind("tcp://127.0.0.1:", 0), 0u);
  EXPECT_NE(hq_->agent_endpoint(), "tcp://127.0.0.1:*");

  // The console finds the API from the data directory alone.
  auto client = console::ApiClient::FromDataDir(config_.data_dir);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto health = client->Get("/v1/health");
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ((*health)["status"], "ok");
  EXPECT_EQ((*health)["agent_endpoint"], hq_->public_endpoint());
}

TEST_F(CoordinatorTest, ASecondStartReusesTheSameKeysTokenAndStore) {
  StartHq();
  const KeyPair keys = hq_->keys();
  const std::string token = hq_->api_token();
  auto health = api_->Get("/v1/health");
  ASSERT_TRUE(health.ok());
  const std::string hq_id = (*health)["hq_id"];
  Post("/v1/members", {{"id", "amira"}});
  hq_.reset();

  StartHq();
  EXPECT_EQ(hq_->keys().public_key, keys.public_key);
  EXPECT_EQ(hq_->keys().secret_key, keys.secret_key);
  EXPECT_EQ(hq_->api_token(), token);
  auto again = api_->Get("/v1/health");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)["hq_id"], hq_id);
  auto members = api_->Get("/v1/members");
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ((*members)[0]["id"], "amira");
}

TEST_F(CoordinatorTest, ASecondCoordinatorOnTheSameDataDirectoryIsRefused) {
  StartHq();
  hq::Coordinator second(config_, clock_);
  Status started = second.Start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.code(), ErrorCode::kConflict);
  EXPECT_NE(started.message().find("in use by muster-coordinator (pid " +
                                   std::to_string(::getpid()) + ")"),
            std::string::npos)
      << started.message();
  auto health = api_->Get("/v1/health");
  EXPECT_TRUE(health.ok()) << "the first one carries on";
  hq_->Stop();
  hq::Coordinator after(config_, clock_);
  EXPECT_TRUE(after.Start().ok()) << "a stopped coordinator lets go of the directory";
}

TEST_F(CoordinatorTest, RefusesToStartWithASecretOthersCanRead) {
  StartHq();
  hq_.reset();
  ASSERT_EQ(::chmod((config_.data_dir + "/coordinator.secret").c_str(), 0644), 0);
  hq::Coordinator coordinator(config_, clock_);
  Status started = coordinator.Start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.code(), ErrorCode::kInsecureFile);
  EXPECT_NE(started.message().find("coordinator.secret"), std::string::npos);
  // Refused, not repaired.
  EXPECT_EQ(FileMode(config_.data_dir + "/coordinator.secret"), 0644);
}

TEST_F(CoordinatorTest, RefusesToStartWithATokenOthersCanRead) {
  StartHq();
  hq_.reset();
  ASSERT_EQ(::chmod((config_.data_dir + "/api.token").c_str(), 0644), 0);
  hq::Coordinator coordinator(config_, clock_);
  Status started = coordinator.Start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.code(), ErrorCode::kInsecureFile);
}

TEST_F(CoordinatorTest, RefusesToStartWithAShortToken) {
  StartHq();
  hq_.reset();
  ASSERT_TRUE(WriteFileAtomic(config_.data_dir + "/api.token", "secret\n", 0600).ok());
  hq::Coordinator coordinator(config_, clock_);
  Status started = coordinator.Start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.code(), ErrorCode::kInsecureFile);
  // Deleting it has a new one made.
  std::filesystem::remove(config_.data_dir + "/api.token");
  StartHq();
  EXPECT_EQ(hq_->api_token().size(), 64u);
  EXPECT_EQ(FileMode(config_.data_dir + "/api.token"), 0600);
}

// Start can fail after the API thread has started (here: coordinator.json cannot be
// written). The Coordinator must then still be destroyable.
TEST_F(CoordinatorTest, AStartThatFailsLateLeavesADestroyableCoordinator) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ASSERT_TRUE(std::filesystem::create_directories(config_.data_dir + "/coordinator.json"));
  EXPECT_EXIT(
      {
        {
          hq::Coordinator coordinator(config_, clock_);
          Status started = coordinator.Start();
          if (started.ok()) std::_Exit(3);  // the directory should have made it fail
        }
        // _Exit runs no destructors: remove the child's own temp dir (threadsafe style
        // re-runs the fixture in the child).
        std::error_code ignored;
        std::filesystem::remove_all(dir_.path(), ignored);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

// Start() "returns once both are listening", so an immediate Stop() must return. Run in a
// child process with an alarm, so that a hang fails this test instead of the whole suite.
TEST_F(CoordinatorTest, StopRightAfterStartReturns) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::alarm(120);  // a hung Stop() ends the child with SIGALRM
        for (int i = 0; i < 50; ++i) {
          hq::Config config = config_;
          config.data_dir = dir_.File("hq-" + std::to_string(i));
          hq::Coordinator coordinator(config, clock_);
          if (!coordinator.Start().ok()) std::_Exit(3);
          coordinator.Stop();
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir_.path(), ignored);  // _Exit runs no destructors
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

// ---------------------------------------------------------------------------------------
// CURVE, ZAP and hostile peers

TEST_F(CoordinatorTest, AnEnrolledAgentIsWelcomed) {
  StartHq();
  Bundle bundle = Enroll("amira");
  EXPECT_EQ(bundle.agent_id, "amira-1");
  EXPECT_EQ(bundle.endpoint, hq_->public_endpoint());
  EXPECT_EQ(bundle.server_public_key, hq_->keys().public_key);
  auto health = api_->Get("/v1/health");
  ASSERT_TRUE(health.ok());

  RawDealer dealer(bundle.endpoint, KeysOf(bundle));
  dealer.Send(Hello(bundle.agent_id));
  auto welcome = dealer.Receive(5'000);
  ASSERT_TRUE(welcome.has_value()) << "no answer to HELLO";
  EXPECT_EQ(welcome->type, MessageType::kWelcome);
  EXPECT_EQ(welcome->body["hq"], (*health)["hq_id"]);
  EXPECT_EQ(welcome->body["ingested"], 0);

  // The same keys claiming another agent's name are refused.
  dealer.Send(Hello("jonas-1"));
  auto refused = dealer.Receive(5'000);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->type, MessageType::kError);
  EXPECT_EQ(refused->body["code"], "forbidden");

  // And the reference agent syncs.
  agent::SyncReport report = SyncAgent(bundle);
  EXPECT_TRUE(report.connected) << report.error;
}

TEST_F(CoordinatorTest, AnUnknownCurveKeyGetsNoAnswer) {
  StartHq();
  Bundle known = Enroll("amira");
  auto stranger = GenerateKeyPair();
  ASSERT_TRUE(stranger.ok());
  RawDealer dealer(hq_->agent_endpoint(),
                   RawDealer::Keys{hq_->keys().public_key, stranger->public_key,
                                   stranger->secret_key});
  dealer.Send(Hello("amira-1"));  // even naming an enrolled agent
  EXPECT_FALSE(dealer.Receive(3'000).has_value());
  // The coordinator is unharmed.
  EXPECT_TRUE(SyncAgent(known).connected);
}

TEST_F(CoordinatorTest, APlaintextDealerGetsNoAnswer) {
  StartHq();
  Bundle known = Enroll("amira");
  RawDealer dealer(hq_->agent_endpoint(), std::nullopt);
  dealer.Send(Hello("amira-1"));
  EXPECT_FALSE(dealer.Receive(3'000).has_value());
  EXPECT_TRUE(SyncAgent(known).connected);
}

TEST_F(CoordinatorTest, AClientThatDoesNotKnowTheServerKeyGetsNoAnswer) {
  StartHq();
  Bundle bundle = Enroll("amira");
  auto impostor = GenerateKeyPair();  // a server key that is not the coordinator's
  ASSERT_TRUE(impostor.ok());
  RawDealer dealer(bundle.endpoint,
                   RawDealer::Keys{impostor->public_key, bundle.public_key, bundle.secret_key});
  dealer.Send(Hello(bundle.agent_id));
  EXPECT_FALSE(dealer.Receive(2'000).has_value());
}

TEST_F(CoordinatorTest, AMalformedFrameGetsAnErrorAndTheAgentIsStillServed) {
  StartHq();
  Bundle amira = Enroll("amira");
  Bundle jonas = Enroll("jonas");
  RawDealer dealer(amira.endpoint, KeysOf(amira));

  // A map header that promises an entry the frame does not hold.
  dealer.SendFrame(std::string("\x01\x01\x00\x81", 4));
  auto error = dealer.Receive(5'000);
  ASSERT_TRUE(error.has_value()) << "no answer to a malformed frame";
  EXPECT_EQ(error->type, MessageType::kError);
  EXPECT_EQ(error->body["code"], "malformed");

  // Too short for a header; an unknown version; HELLO without its fields.
  dealer.SendFrame("\x01");
  auto short_frame = dealer.Receive(5'000);
  ASSERT_TRUE(short_frame.has_value());
  EXPECT_EQ(short_frame->body["code"], "malformed");
  dealer.SendFrame(std::string("\x09\x01\x00\x80", 4));
  auto version = dealer.Receive(5'000);
  ASSERT_TRUE(version.has_value());
  EXPECT_EQ(version->body["code"], "unsupported_version");
  dealer.Send(Message{MessageType::kHello, {{"agent", amira.agent_id}}});
  auto missing = dealer.Receive(5'000);
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->body["code"], "malformed");

  // The same connection still gets its session.
  dealer.Send(Hello(amira.agent_id));
  auto welcome = dealer.ReceiveType(MessageType::kWelcome, 5'000);
  ASSERT_TRUE(welcome.has_value()) << "the agent was not served after a malformed frame";
  auto pong = [&] {
    dealer.Send(Message{MessageType::kPing, {{"time", 1}}});
    return dealer.ReceiveType(MessageType::kPong, 5'000);
  }();
  EXPECT_TRUE(pong.has_value());
  // And so does another agent.
  EXPECT_TRUE(SyncAgent(jonas).connected);
}

TEST_F(CoordinatorTest, ACompressionBombAndAnOverlongBatchGetTooLarge) {
  StartHq();
  Bundle amira = Enroll("amira");
  RawDealer dealer(amira.endpoint, KeysOf(amira));
  dealer.Send(Hello(amira.agent_id));
  ASSERT_TRUE(dealer.ReceiveType(MessageType::kWelcome, 5'000).has_value());

  // A few KiB on the wire that expand beyond the 4 MiB body limit.
  const std::size_t body_limit = protocol::Limits{}.max_body_bytes;
  const std::string bomb = protocol::Encode(
      Message{MessageType::kPing, {{"time", 1}, {"pad", std::string(body_limit + 1024, 'x')}}});
  ASSERT_LT(bomb.size(), protocol::Limits{}.max_frame_bytes);
  ASSERT_TRUE(static_cast<std::uint8_t>(bomb[2]) & protocol::kFlagCompressed);
  dealer.SendFrame(bomb);
  auto bombed = dealer.ReceiveType(MessageType::kError, 5'000);
  ASSERT_TRUE(bombed.has_value());
  EXPECT_EQ(bombed->body["code"], "too_large");

  json records = json::array();
  for (std::size_t i = 1; i <= protocol::Limits{}.max_batch_records + 1; ++i) {
    records.push_back({{"seq", i}, {"kind", "note"}, {"at", 1}, {"body", {{"text", "x"}}}});
  }
  dealer.Send(Message{MessageType::kRecords, {{"records", records}}});
  auto overlong = dealer.ReceiveType(MessageType::kError, 5'000);
  ASSERT_TRUE(overlong.has_value());
  EXPECT_EQ(overlong->body["code"], "too_large");

  // Nothing of it was ingested, and the session goes on.
  dealer.Send(Message{MessageType::kPing, {{"time", 2}}});
  EXPECT_TRUE(dealer.ReceiveType(MessageType::kPong, 5'000).has_value());
  SystemClock clock;
  auto store = hq::Headquarters::Open(config_.data_dir + "/muster.db", clock);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(QueryInt((*store)->database().db(), "SELECT COUNT(*) FROM inbound"), 0);
}

TEST_F(CoordinatorTest, TheNewestConnectionOfAnAgentGetsItsDeliveries) {
  StartHq();
  Bundle amira = Enroll("amira", "team_leader");
  Enroll("jonas", "radiation_specialist");
  Enroll("li", "forensic_examiner");
  Post("/v1/incidents", {{"id", "INC-1"}, {"title", "Portal alarm"}});
  RawDealer old_laptop(amira.endpoint, KeysOf(amira));
  old_laptop.Send(Hello(amira.agent_id));
  ASSERT_TRUE(old_laptop.ReceiveType(MessageType::kWelcome, 5'000).has_value());
  RawDealer reconnected(amira.endpoint, KeysOf(amira));
  reconnected.Send(Hello(amira.agent_id));
  ASSERT_TRUE(reconnected.ReceiveType(MessageType::kWelcome, 5'000).has_value());

  Post("/v1/deployments", {{"incident", "INC-1"}, {"playbook_source", BorderPlaybookSource()}});
  EXPECT_EQ(CollectDeliveries(reconnected, 8).size(), 8u);  // playbook, 6 tasks, the team
  EXPECT_TRUE(CollectDeliveries(old_laptop, 1, 1'000).empty());
}

TEST_F(CoordinatorTest, AnOversizedFrameIsDroppedAndOthersKeepWorking) {
  StartHq();
  Bundle amira = Enroll("amira");
  Bundle jonas = Enroll("jonas");
  {
    RawDealer dealer(amira.endpoint, KeysOf(amira));
    dealer.Send(Hello(amira.agent_id));
    ASSERT_TRUE(dealer.ReceiveType(MessageType::kWelcome, 5'000).has_value());
    const std::size_t limit = protocol::Limits{}.max_frame_bytes;
    std::string huge = protocol::Encode(Message{MessageType::kPing, {{"time", 1}}});
    huge.resize(limit + 1, 'x');
    dealer.SendFrame(huge);
    // libzmq drops the connection at ZMQ_MAXMSGSIZE: the decoder never sees it, and no
    // ERROR comes back.
    auto answer = dealer.Receive(2'000);
    EXPECT_FALSE(answer.has_value())
        << "got " << protocol::ToString(answer->type) << " " << answer->body.dump();
  }
  EXPECT_TRUE(SyncAgent(jonas).connected);
  // The sender itself can come back on a new connection.
  RawDealer again(amira.endpoint, KeysOf(amira));
  again.Send(Hello(amira.agent_id));
  EXPECT_TRUE(again.ReceiveType(MessageType::kWelcome, 5'000).has_value());
}

TEST_F(CoordinatorTest, ARevokedAgentIsRefusedOnItsOpenConnection) {
  StartHq();
  Bundle amira = Enroll("amira");
  RawDealer dealer(amira.endpoint, KeysOf(amira));
  dealer.Send(Hello(amira.agent_id));
  ASSERT_TRUE(dealer.ReceiveType(MessageType::kWelcome, 5'000).has_value());
  Post("/v1/agents/amira-1/revoke", json::object());
  dealer.Send(Message{MessageType::kPing, {{"time", 1}}});
  auto refused = dealer.Receive(5'000);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->type, MessageType::kError);
  EXPECT_EQ(refused->body["code"], "forbidden");
  // A new connection is refused by ZAP: no answer at all.
  RawDealer fresh(amira.endpoint, KeysOf(amira));
  fresh.Send(Hello(amira.agent_id));
  EXPECT_FALSE(fresh.Receive(2'000).has_value());
}

// ---------------------------------------------------------------------------------------
// Deliveries pushed over open sessions

class CoordinatorPushTest : public CoordinatorTest {
 protected:
  void SetUp() override {
    CoordinatorTest::SetUp();
    StartHq();
    amira_ = Enroll("amira", "team_leader");
    jonas_ = Enroll("jonas", "radiation_specialist");
    li_ = Enroll("li", "forensic_examiner");
    Post("/v1/incidents", {{"id", "INC-1"}, {"title", "Portal alarm"}});
  }
  json Deploy() {
    return Post("/v1/deployments", {{"incident", "INC-1"},
                                    {"playbook_source", BorderPlaybookSource()},
                                    {"assign", json::object()}});
  }
  static std::vector<std::uint64_t> Collect(RawDealer& dealer, std::size_t count,
                                            int timeout_ms) {
    return CollectDeliveries(dealer, count, timeout_ms);
  }
  Bundle amira_, jonas_, li_;
};

TEST_F(CoordinatorPushTest, ADeploymentIsPushedToAnAgentWithAnOpenSession) {
  RawDealer amira(amira_.endpoint, KeysOf(amira_));
  amira.Send(Hello(amira_.agent_id));
  ASSERT_TRUE(amira.ReceiveType(MessageType::kWelcome, 5'000).has_value());
  json deployment = Deploy();
  ASSERT_EQ(deployment["tasks"], 11);
  // Without asking again: the API wakes the router, which sends what is pending.
  EXPECT_EQ(Collect(amira, 8, 10'000), (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST_F(CoordinatorPushTest, AnotherAgentsCompletionIsPushedAcrossMembers) {
  Deploy();
  RawDealer amira(amira_.endpoint, KeysOf(amira_));
  amira.Send(Hello(amira_.agent_id));
  ASSERT_TRUE(amira.ReceiveType(MessageType::kWelcome, 5'000).has_value());
  ASSERT_EQ(Collect(amira, 8, 10'000).size(), 8u);
  amira.Send(Message{MessageType::kDelivered, {{"applied", 8}}});
  RawDealer jonas(jonas_.endpoint, KeysOf(jonas_));
  jonas.Send(Hello(jonas_.agent_id));
  ASSERT_TRUE(jonas.ReceiveType(MessageType::kWelcome, 5'000).has_value());
  ASSERT_EQ(Collect(jonas, 4, 10'000).size(), 4u);
  jonas.Send(Message{MessageType::kDelivered, {{"applied", 4}}});

  // Jonas's reading crosses the cordon threshold: amira's expand_cordon wakes up.
  jonas.Send(Message{
      MessageType::kRecords,
      {{"records", json::array({{{"seq", 1},
                                 {"kind", "finding"},
                                 {"at", 1'700'000'000'000},
                                 {"body",
                                  {{"task", "d1.secondary_inspection.jonas"},
                                   {"values", {{"dose_rate_1m", 150},
                                               {"neutrons_detected", false}}}}}}})}}});
  auto ack = jonas.ReceiveType(MessageType::kAck, 5'000);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->body["seqs"], json::array({1}));
  // Her task's snapshot (the team's view changed only in her own task).
  EXPECT_EQ(Collect(amira, 1, 10'000), (std::vector<std::uint64_t>{9}));
}

TEST(CoordinatorClockTest, StalledDeliveriesAreResentWhenTheClockMovesOn) {
  TempDir dir;
  hq::Config config;
  config.data_dir = dir.File("hq");
  config.agent_bind = "tcp://127.0.0.1:*";
  config.api_port = 0;
  FakeClock clock;
  hq::Coordinator hq(config, clock);
  ASSERT_TRUE(hq.Start().ok());
  console::ApiClient api(hq.api_url(), hq.api_token());
  for (const auto& [member, role] : std::vector<std::pair<std::string, std::string>>{
           {"amira", "team_leader"}, {"jonas", "radiation_specialist"},
           {"li", "forensic_examiner"}}) {
    ASSERT_TRUE(api.Post("/v1/members", {{"id", member}, {"roles", {role}}}).ok());
  }
  auto enrolled = api.Post("/v1/agents", {{"member", "amira"}});
  ASSERT_TRUE(enrolled.ok());
  ASSERT_TRUE(api.Post("/v1/agents", {{"member", "jonas"}}).ok());
  ASSERT_TRUE(api.Post("/v1/agents", {{"member", "li"}}).ok());
  ASSERT_TRUE(api.Post("/v1/incidents", {{"id", "INC-1"}, {"title", "x"}}).ok());
  ASSERT_TRUE(api.Post("/v1/deployments", {{"incident", "INC-1"},
                                           {"playbook_source", BorderPlaybookSource()}})
                  .ok());
  auto bundle = ParseBundle((*enrolled)["bundle"].get<std::string>());
  ASSERT_TRUE(bundle.ok());

  RawDealer amira(bundle->endpoint, RawDealer::Keys{bundle->server_public_key,
                                                    bundle->public_key, bundle->secret_key});
  amira.Send(Hello(bundle->agent_id));
  ASSERT_TRUE(amira.ReceiveType(MessageType::kWelcome, 5'000).has_value());
  // The agent never confirms: HQ sends what a thin link carries in a few seconds, and no
  // more while it waits.
  const std::vector<std::uint64_t> first = CollectDeliveries(amira, 8, 2'000, false);
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first.front(), 1u);
  // Nothing is resent while HQ's clock stands still...
  EXPECT_EQ(CollectDeliveries(amira, 1, 1'000, false).size(), 0u);
  // ...and the same again from the agent's cursor once the link has had far longer than
  // it needs (the floor, or four times what the link should take).
  clock.Advance(10 * 60'000);
  EXPECT_EQ(CollectDeliveries(amira, first.size(), 5'000, false), first);
  hq.Stop();
}

// ---------------------------------------------------------------------------------------
// The HTTP API

TEST_F(CoordinatorTest, TheApiNeedsTheBearerToken) {
  StartHq();
  const int port = ApiHostPort().second;
  auto expect_unauthorized = [](const HttpReply& reply, const std::string& what) {
    EXPECT_EQ(reply.status, 401) << what;
    json body = json::parse(reply.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << what << ": " << reply.body;
    EXPECT_EQ(body["error"]["code"], "unauthorized") << what;
    EXPECT_TRUE(body["error"]["message"].is_string()) << what;
  };
  expect_unauthorized(RawHttp(port, "GET", "/v1/health", {}, ""), "no token");
  std::string wrong = hq_->api_token();
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  expect_unauthorized(RawHttp(port, "GET", "/v1/health", {"Authorization: Bearer " + wrong}, ""),
                      "wrong token");
  expect_unauthorized(RawHttp(port, "GET", "/v1/health",
                              {"Authorization: Bearer " + hq_->api_token() + "0"}, ""),
                      "token with a suffix");
  expect_unauthorized(
      RawHttp(port, "GET", "/v1/health", {"Authorization: " + hq_->api_token()}, ""),
      "no Bearer prefix");
  expect_unauthorized(RawHttp(port, "GET", "/v1/health", {"Authorization: Bearer "}, ""),
                      "empty token");
  expect_unauthorized(RawHttp(port, "POST", "/v1/incidents", {}, R"({"title":"x"})"),
                      "POST without token");
  expect_unauthorized(RawHttp(port, "GET", "/v1/nowhere", {}, ""), "unknown path without token");

  HttpReply ok = RawHttp(port, "GET", "/v1/health",
                         {"Authorization: Bearer " + hq_->api_token()}, "");
  EXPECT_EQ(ok.status, 200);
  json body = json::parse(ok.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << ok.body;
  EXPECT_EQ(body["status"], "ok");

  // Nothing was created by the unauthorised POST.
  auto incidents = api_->Get("/v1/incidents");
  ASSERT_TRUE(incidents.ok());
  EXPECT_TRUE(incidents->empty());
}

TEST_F(CoordinatorTest, APostWhoseBodyIsNotAnObjectIs400) {
  StartHq();
  const int port = ApiHostPort().second;
  const std::vector<std::string> auth = {"Authorization: Bearer " + hq_->api_token()};
  for (const char* path : {"/v1/incidents", "/v1/members", "/v1/agents",
                                  "/v1/playbooks", "/v1/deployments"}) {
    for (const std::string& text : {std::string("[1,2]"), std::string("\"title\""),
                                    std::string("not json"), std::string("")}) {
      HttpReply reply = RawHttp(port, "POST", path, auth, text);
      EXPECT_EQ(reply.status, 400) << path << " " << text;
      json body = json::parse(reply.body, nullptr, false);
      ASSERT_TRUE(body.is_object()) << path << " " << text << ": " << reply.body;
      EXPECT_EQ(body["error"]["code"], "malformed") << path << " " << text;
    }
  }
  // A field of the wrong type is the caller's mistake too.
  HttpReply wrong_type =
      RawHttp(port, "POST", "/v1/members", auth, R"({"id":"amira","checkin_interval_ms":"soon"})");
  EXPECT_EQ(wrong_type.status, 400) << wrong_type.body;
  auto members = api_->Get("/v1/members");
  ASSERT_TRUE(members.ok());
  EXPECT_TRUE(members->empty());
}

TEST_F(CoordinatorTest, ApiErrorsCarryTheStoreCodes) {
  StartHq();
  const int port = ApiHostPort().second;
  const std::vector<std::string> auth = {"Authorization: Bearer " + hq_->api_token()};
  EXPECT_EQ(RawHttp(port, "POST", "/v1/agents", auth, R"({"member":"ghost"})").status, 404);
  EXPECT_EQ(RawHttp(port, "GET", "/v1/incidents/INC-404/status", auth, "").status, 404);
  EXPECT_EQ(RawHttp(port, "POST", "/v1/incidents", auth, R"({"id":"INC-1","title":"x"})").status,
            201);
  EXPECT_EQ(RawHttp(port, "POST", "/v1/incidents", auth, R"({"id":"INC-1","title":"x"})").status,
            409);
  EXPECT_EQ(RawHttp(port, "POST", "/v1/incidents", auth, R"({"title":"x","severity":"dire"})")
                .status,
            400);
}

// The project compiles <httplib.h> without the macros Debian's libcpp-httplib was built with
// (pkg-config cpp-httplib: -DCPPHTTPLIB_OPENSSL_SUPPORT -DCPPHTTPLIB_ZLIB_SUPPORT
// -DCPPHTTPLIB_BROTLI_SUPPORT), so the classes have another layout in our code than in the
// library. httplib::Client's constructor, compiled in the library, then writes past the end
// of the object our code allocated (its is_ssl_ member). console/api_client.cc does exactly
// this on the stack.
TEST(HttplibAbiTest, TheClientConstructorStaysInsideTheObjectWeAllocate) {
  constexpr std::size_t kSlack = 64;
  alignas(std::max_align_t) unsigned char buffer[sizeof(httplib::Client) + kSlack];
  std::memset(buffer, 0xAA, sizeof buffer);
  auto* client = new (buffer) httplib::Client("http://127.0.0.1:9");
  bool intact = true;
  for (std::size_t i = sizeof(httplib::Client); i < sizeof buffer; ++i) {
    intact = intact && buffer[i] == 0xAA;
  }
  client->~Client();
  EXPECT_TRUE(intact) << "httplib::Client wrote beyond sizeof(httplib::Client) = "
                      << sizeof(httplib::Client);
}

}  // namespace
}  // namespace muster::coordtest

