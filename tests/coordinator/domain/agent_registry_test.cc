// Enrolment, supersession and revocation of agents on a real store (issue 15): one active
// agent per member unless an officer adds a device; a replacement receives all of the
// member's work and its predecessor is revoked; every active device receives every
// delivery with its own numbering; revoking an agent that missed deliveries sends the
// member's work again to the laptop in use.
#include <algorithm>

#include "hq_fixture.h"

namespace muster::coordtest {
namespace {

class AgentRegistryTest : public HeadquartersTest {
 protected:
  void SetUp() override {
    HeadquartersTest::SetUp();
    DeployBorder();  // li-1 holds li's forensic tasks
  }
  std::string AgentStatus(const std::string& agent) {
    return QueryText(hq_->database().db(), "SELECT status FROM agents WHERE id='" + agent + "'");
  }
  // The state of |task| in the newest snapshot queued to |agent| after |after|.
  std::string SnapshotState(const std::string& agent, const std::string& task,
                            std::uint64_t after = 0) {
    std::string state;
    for (const auto& delivery : Deliveries(agent, after)) {
      if (delivery.kind == "task" && delivery.body["task"] == task) {
        state = delivery.body["state"].get<std::string>();
      }
    }
    return state;
  }
  std::uint64_t Head(const std::string& agent) {
    return static_cast<std::uint64_t>(
        Count("SELECT next_delivery - 1 FROM agents WHERE id='" + agent + "'"));
  }
  void Cancel(const std::string& task) {
    auto cancelled = hq_->operations().CancelTask(task, "", "officer", &notify_);
    ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();
  }
  std::vector<std::string> notify_;
};

TEST_F(AgentRegistryTest, AMemberHasOneActiveAgentUnlessAnOfficerSaysOtherwise) {
  auto second = hq_->registry().Enroll("li", "another-key", hq::DeviceRule::kOnly, "officer");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kConflict);
  EXPECT_NE(second.status().message().find("li already has active agent li-1"), std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find("--replace"), std::string::npos);
  EXPECT_NE(second.status().message().find("--add-device"), std::string::npos);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM agents WHERE member_id='li'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='agent.enroll' AND "
                  "subject='li-2'"),
            0);
}

TEST_F(AgentRegistryTest, AKeyHeldByAnotherAgentIsRefused) {
  const std::string key =
      QueryText(hq_->database().db(), "SELECT public_key FROM agents WHERE id='jonas-1'");
  auto stolen = hq_->registry().Enroll("li", key, hq::DeviceRule::kReplace, "officer");
  ASSERT_FALSE(stolen.ok());
  EXPECT_EQ(stolen.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(AgentStatus("li-1"), "active") << "nothing superseded by a refused enrolment";
  auto rotated = hq_->registry().RotateKey("li-1", key, "officer");
  ASSERT_FALSE(rotated.ok());
  EXPECT_EQ(rotated.status().code(), ErrorCode::kConflict);
}

TEST_F(AgentRegistryTest, AReplacementSupersedesTheOldAgentAndReceivesAllOfItsWork) {
  auto replaced = hq_->registry().Enroll("li", "new-laptop", hq::DeviceRule::kReplace, "officer");
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(replaced->agent_id, "li-2");
  EXPECT_EQ(replaced->superseded, std::vector<std::string>{"li-1"});
  EXPECT_EQ(AgentStatus("li-1"), "revoked");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='agent.supersede' AND "
                  "subject='li-1' AND detail LIKE '%\"by\":\"li-2\"%'"),
            1);
  const auto backlog = Deliveries("li-2");
  EXPECT_EQ(OfKind(backlog, "playbook").size(), 1u);
  EXPECT_FALSE(OfKind(backlog, "team").empty());
  EXPECT_EQ(SnapshotState("li-2", "d1.photograph_scene.li"), "waiting");

  const std::uint64_t old_head = Head("li-1");
  Cancel("d1.photograph_scene.li");
  EXPECT_EQ(SnapshotState("li-2", "d1.photograph_scene.li"), "cancelled");
  EXPECT_EQ(Head("li-1"), old_head) << "nothing more goes to the superseded agent";
  EXPECT_EQ(std::count(notify_.begin(), notify_.end(), "li-1"), 0);
}

TEST_F(AgentRegistryTest, EverySecondDeviceReceivesEveryDeliveryWithItsOwnNumbering) {
  auto added = hq_->registry().Enroll("li", "tablet", hq::DeviceRule::kAdd, "officer");
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_TRUE(added->superseded.empty());
  EXPECT_EQ(AgentStatus("li-1"), "active");
  EXPECT_EQ(Deliveries("li-2").front().seq, 1u) << "the device's own numbering";

  Cancel("d1.photograph_scene.li");
  EXPECT_EQ(SnapshotState("li-1", "d1.photograph_scene.li"), "cancelled");
  EXPECT_EQ(SnapshotState("li-2", "d1.photograph_scene.li"), "cancelled");
  EXPECT_NE(std::find(notify_.begin(), notify_.end(), "li-1"), notify_.end());
  EXPECT_NE(std::find(notify_.begin(), notify_.end(), "li-2"), notify_.end());
  // Both are sent the team's view.
  std::vector<std::string> viewers;
  ASSERT_TRUE(hq_->team().QueueSnapshot(1, std::nullopt, &viewers).ok());
  EXPECT_NE(std::find(viewers.begin(), viewers.end(), "li-1"), viewers.end());
  EXPECT_NE(std::find(viewers.begin(), viewers.end(), "li-2"), viewers.end());
}

TEST_F(AgentRegistryTest, RevokingAnAgentThatMissedDeliveriesResendsTheWorkToTheOneInUse) {
  ASSERT_EQ(EnrollAgent("li", hq::DeviceRule::kAdd), "li-2");
  // li-1 has applied all it was sent; li-2 (enrolled by mistake, its key lost) nothing.
  ASSERT_TRUE(hq_->progress().MarkApplied("li-1", Head("li-1")).ok());
  Cancel("d1.photograph_scene.li");
  const std::uint64_t li1_head = Head("li-1");
  std::vector<std::string> notify;
  auto revoked = hq_->registry().Revoke("li-2", "officer", &notify);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_EQ((*revoked)["resent_to"], json::array({"li-1"}));
  // li-1 for its work; li-1 and its teammates for the team's keys, which lost li-2's.
  EXPECT_EQ(notify.front(), "li-1");
  EXPECT_EQ(std::set<std::string>(notify.begin(), notify.end()),
            (std::set<std::string>{"li-1", "amira-1", "jonas-1", "paulo-1"}));
  EXPECT_EQ(SnapshotState("li-1", "d1.photograph_scene.li", li1_head), "cancelled")
      << "the member's whole current work, queued again";

  // An agent that had applied everything leaves nothing to resend.
  ASSERT_EQ(EnrollAgent("li", hq::DeviceRule::kAdd), "li-3");
  ASSERT_TRUE(hq_->progress().MarkApplied("li-3", Head("li-3")).ok());
  auto clean = hq_->registry().Revoke("li-3", "officer", &notify);
  ASSERT_TRUE(clean.ok()) << clean.status().ToString();
  EXPECT_EQ((*clean)["resent_to"], json::array());
}

TEST_F(AgentRegistryTest, AuditedKeysAreHexFingerprints) {
  const std::string details = QueryText(
      hq_->database().db(), "SELECT detail FROM audit WHERE action='agent.enroll' LIMIT 1");
  const std::string key = json::parse(details)["key"];
  EXPECT_EQ(key.size(), 16u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos) << key;
}

}  // namespace
}  // namespace muster::coordtest
