// HQ relays each deployment's progress to its team as "team" deliveries: at each relay
// (the router's tick), one snapshot to every member's agent of a deployment whose tasks
// changed, with the ones not yet applied superseded.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "test_support.h"

namespace muster::coordtest {
namespace {

constexpr Millis kMinute = 60'000;

std::vector<hq::Delivery> TeamDeliveries(const std::vector<hq::Delivery>& all) {
  return OfKind(all, "team");
}

std::map<std::string, std::string> StatesOf(const json& snapshot) {
  std::map<std::string, std::string> states;
  for (const json& task : snapshot["tasks"]) {
    states[task["task"].get<std::string>()] = task["state"].get<std::string>();
  }
  return states;
}

class TeamRelayTest : public HqStoreTest {
 protected:
  std::vector<std::string> Relay() {
    auto agents = store_->RelayTeams();
    EXPECT_TRUE(agents.ok()) << agents.status().ToString();
    return agents.ok() ? *agents : std::vector<std::string>{};
  }
};

TEST_F(TeamRelayTest, DeployQueuesOneSnapshotOfTheWholeTeamToEveryAgentAfterItsTasks) {
  DeployBorder();
  for (const std::string agent : {"amira-1", "jonas-1", "li-1", "paulo-1"}) {
    std::vector<hq::Delivery> all = Deliveries(agent);
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(all.back().kind, "team") << agent << ": the team comes after the own tasks";
    std::vector<hq::Delivery> team = TeamDeliveries(all);
    ASSERT_EQ(team.size(), 1u) << agent;
    const json& body = team[0].body;
    EXPECT_EQ(body["deployment"], 1);
    EXPECT_EQ(body["incident"], "INC-1");
    EXPECT_EQ(body["at"], clock_.Now());
    EXPECT_EQ(body["tasks"].size(), 13u);
    EXPECT_EQ(body["members"].size(), 4u);
    EXPECT_TRUE(body["members"].contains("jonas"));
    auto states = StatesOf(body);
    EXPECT_EQ(states["d1.arrival_briefing.amira"], "ready");
    EXPECT_EQ(states["d1.secondary_inspection.jonas"], "waiting");
    EXPECT_EQ(states["d1.expand_cordon.amira"], "dormant");
  }
}

TEST_F(TeamRelayTest, AStateChangeQueuesAFreshSnapshotAndSupersedesTheUnappliedOne) {
  DeployBorder();
  const std::uint64_t jonas_before = Deliveries("jonas-1").size();
  // Li's laptop has applied everything so far; the others have applied nothing.
  ASSERT_TRUE(store_->MarkApplied("li-1", Deliveries("li-1").size()).ok());
  clock_.Advance(5 * kMinute);
  IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "in_progress")});
  EXPECT_EQ(Deliveries("jonas-1").size(), jonas_before) << "nothing before the relay";
  const std::vector<std::string> told = Relay();
  for (const std::string agent : {"amira-1", "jonas-1", "li-1", "paulo-1"}) {
    EXPECT_NE(std::find(told.begin(), told.end(), agent), told.end()) << agent << " must be told";
  }
  EXPECT_TRUE(Relay().empty()) << "nothing changed since";
  std::vector<hq::Delivery> jonas = Deliveries("jonas-1");
  ASSERT_EQ(jonas.size(), jonas_before + 1) << "one new delivery: the fresh snapshot";
  std::vector<hq::Delivery> team = TeamDeliveries(jonas);
  ASSERT_EQ(team.size(), 2u);
  EXPECT_EQ(team[0].body, json({{"deployment", 1}, {"superseded", true}}))
      << "the snapshot jonas never applied shrinks to a stub";
  EXPECT_EQ(team[1].body["at"], clock_.Now());
  EXPECT_EQ(StatesOf(team[1].body)["d1.arrival_briefing.amira"], "in_progress");
  // The snapshot li already applied stays as it was: it is history, not a pending message.
  std::vector<hq::Delivery> li = TeamDeliveries(Deliveries("li-1"));
  ASSERT_EQ(li.size(), 2u);
  EXPECT_EQ(li[0].body["tasks"].size(), 13u);

  // A hundred relays while jonas is offline cost him one full snapshot and stubs.
  for (std::uint64_t seq = 2; seq < 102; ++seq) {
    IngestOk("amira-1", {StatusRecord(seq, "d1.arrival_briefing.amira",
                                      seq % 2 ? "in_progress" : "blocked")});
    clock_.Advance(1'000);
    Relay();
  }
  team = TeamDeliveries(Deliveries("jonas-1"));
  std::size_t full = 0;
  for (const hq::Delivery& delivery : team) full += !delivery.body.contains("superseded");
  EXPECT_EQ(full, 1u);
  EXPECT_EQ(StatesOf(team.back().body)["d1.arrival_briefing.amira"], "in_progress");
}

TEST_F(TeamRelayTest, AResentRecordQueuesNoSnapshot) {
  DeployBorder();
  const std::vector<hq::InboundRecord> batch = {
      StatusRecord(1, "d1.arrival_briefing.amira", "completed")};
  IngestOk("amira-1", batch);
  Relay();
  const std::size_t queued = Deliveries("paulo-1").size();
  IngestOk("amira-1", batch);
  EXPECT_TRUE(Relay().empty());
  EXPECT_EQ(Deliveries("paulo-1").size(), queued);
}

TEST_F(TeamRelayTest, ManyChangesBetweenTwoRelaysCostOneSnapshotPerAgent) {
  DeployBorder();
  const std::size_t before = TeamDeliveries(Deliveries("paulo-1")).size();
  IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "completed")});
  IngestOk("amira-1", {StatusRecord(2, "d1.safety_briefing.amira", "in_progress")});
  IngestOk("li-1", {StatusRecord(1, "d1.photograph_scene.li", "blocked")});
  EXPECT_EQ(Relay().size(), 4u);
  std::vector<hq::Delivery> team = TeamDeliveries(Deliveries("paulo-1"));
  ASSERT_EQ(team.size(), before + 1);
  const auto states = StatesOf(team.back().body);
  EXPECT_EQ(states.at("d1.arrival_briefing.amira"), "completed");
  EXPECT_EQ(states.at("d1.safety_briefing.amira"), "in_progress");
  EXPECT_EQ(states.at("d1.photograph_scene.li"), "blocked");
  // The relay just written cost the team's bytes: the next waits for the byte budget.
  IngestOk("amira-1", {StatusRecord(3, "d1.safety_briefing.amira", "blocked")});
  EXPECT_TRUE(Relay().empty()) << "not within the budget of the last relay";
  clock_.Advance(1'000);
  EXPECT_EQ(Relay().size(), 4u);
  // A deployment closed before the relay tells its team nothing more.
  IngestOk("amira-1", {StatusRecord(4, "d1.safety_briefing.amira", "completed")});
  ASSERT_TRUE(store_->CloseDeployment(1, "demobilised", "dana", nullptr).ok());
  clock_.Advance(1'000);
  EXPECT_TRUE(Relay().empty());
}

TEST_F(TeamRelayTest, ANewLaptopGetsTheTeamWithItsBacklog) {
  DeployBorder();
  EnrollAgent("jonas");
  std::vector<hq::Delivery> team = TeamDeliveries(Deliveries("jonas-2"));
  ASSERT_EQ(team.size(), 1u);
  EXPECT_EQ(team[0].body["tasks"].size(), 13u);
}

TEST_F(TeamRelayTest, WaitsOnNamesWhoHoldsEachDependency) {
  DeployBorder();
  std::vector<hq::Delivery> jonas = Deliveries("jonas-1");
  ASSERT_GE(jonas.size(), 2u);
  ASSERT_EQ(jonas[1].body["waits_on"].size(), 1u);
  EXPECT_EQ(jonas[1].body["waits_on"][0]["member"], "amira");
  EXPECT_TRUE(jonas[1].body["waits_on"][0].contains("name"));
}

}  // namespace
}  // namespace muster::coordtest
