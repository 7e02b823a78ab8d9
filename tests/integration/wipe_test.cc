// HQ's wipe order over real sockets (CURVE, a real coordinator and real agent links): a
// laptop reported lost is revoked with --wipe; on its open link, or at its next
// connection, it receives the order sealed by HQ's key, destroys its store, attachments
// and bundle, and confirms; HQ records and audits the confirmation and refuses the key
// from then on. A teammate's laptop is untouched.
#include "vault/wipe.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "team_rig.h"
#include "verbs.h"

namespace muster::testing {
namespace {

namespace fs = std::filesystem;

class WipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bundle_ = fs::temp_directory_path() / ("muster-wipe-bundle-" + std::to_string(::getpid()));
    std::ofstream(bundle_) << "{\"secret_key\": \"the agent's secret\"}";
    TeamRigOptions options;
    options.members = 2;
    options.link.wipe_also = {bundle_.string()};
    rig_ = std::make_unique<TeamRig>(options);
  }
  void TearDown() override {
    rig_.reset();
    fs::remove(bundle_);
  }
  std::string Dir(int i) { return rig_->store(i).data_dir(); }
  std::string Agent(int i) {
    return rig_->HqText("SELECT id FROM agents WHERE member_id='" + rig_->member(i) + "'");
  }
  void RecordOnLaptop(int i) {
    std::ostringstream out;
    ASSERT_TRUE(agent::RecordFinding(rig_->store(i), "approach", {"remark=seized container"}, false,
                                     false, false, out)
                    .ok())
        << out.str();
  }
  void OrderWipe(int i) {
    auto revoked =
        rig_->api().Post("/v1/agents/" + Agent(i) + "/revoke", nlohmann::json{{"wipe", true}});
    ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
    EXPECT_EQ((*revoked)["wipe"], "ordered");
  }
  bool Confirmed(int i) {
    return rig_->HqScalar("SELECT wiped_at IS NOT NULL FROM agents WHERE id='" + Agent(i) + "'") ==
           1;
  }
  // Only the marker is left of member |i|'s data, and the bundle is gone.
  void ExpectWiped(int i) {
    std::vector<std::string> left;
    for (const auto& entry : fs::directory_iterator(Dir(i))) {
      left.push_back(entry.path().filename().string());
    }
    EXPECT_EQ(left, std::vector<std::string>{"WIPED"});
    EXPECT_FALSE(fs::exists(bundle_));
    EXPECT_TRUE(agent::WipedNotice(Dir(i)).has_value());
    EXPECT_EQ(rig_->HqScalar("SELECT COUNT(*) FROM audit WHERE action='agent.wiped' AND subject='" +
                             Agent(i) + "'"),
              1);
  }

  fs::path bundle_;
  std::unique_ptr<TeamRig> rig_;
};

TEST_F(WipeTest, AnOrderOnAnOpenLinkIsCarriedOutAndConfirmed) {
  rig_->StartAgents();
  ASSERT_TRUE(rig_->WaitUntilDeployed(30));
  RecordOnLaptop(0);
  RecordOnLaptop(1);
  ASSERT_TRUE(WaitUntil([&] { return rig_->Pending() == 0; }, 30));
  OrderWipe(0);
  ASSERT_TRUE(WaitUntil([&] { return Confirmed(0); }, 30)) << "no confirmation at HQ";
  ExpectWiped(0);
  // The teammate goes on.
  EXPECT_TRUE(fs::exists(Dir(1) + "/agent.db"));
  EXPECT_FALSE(Confirmed(1));
  RecordOnLaptop(1);
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto stats = rig_->store(1).outbox().Stats();
        return stats.ok() && stats->pending == 0;
      },
      30));
  // The order is carried out once: the key is refused from now on.
  auto again =
      rig_->api().Post("/v1/agents/" + Agent(0) + "/revoke", nlohmann::json{{"wipe", true}});
  EXPECT_EQ(again.status().code(), ErrorCode::kConflict);
}

TEST_F(WipeTest, AnOrderWaitsForTheNextConnection) {
  rig_->StartAgents();
  ASSERT_TRUE(rig_->WaitUntilDeployed(30));
  rig_->StopAgents();
  RecordOnLaptop(0);  // made offline, never sent: destroyed all the same
  OrderWipe(0);
  EXPECT_FALSE(Confirmed(0));
  EXPECT_TRUE(fs::exists(Dir(0) + "/agent.db"));
  rig_->StartAgents();
  ASSERT_TRUE(WaitUntil([&] { return Confirmed(0); }, 30)) << "no confirmation at HQ";
  ExpectWiped(0);
  EXPECT_EQ(rig_->HqScalar("SELECT COUNT(*) FROM inbound WHERE agent_id='" + Agent(0) + "'"), 0)
      << "a revoked agent's records are not taken, even during its last exchange";
}

}  // namespace
}  // namespace muster::testing
