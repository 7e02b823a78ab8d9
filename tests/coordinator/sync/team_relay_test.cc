// HQ relays each deployment's progress to its team as "team" deliveries: the whole view
// once, then at each relay (the router's tick) only what changed since what each agent
// holds, one change in flight per agent, paced on a thin link.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "muster/protocol.h"
#include "hq_fixture.h"

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

class TeamRelayTest : public HeadquartersTest {
 protected:
  std::vector<std::string> Relay() {
    auto agents = hq_->team().Relay();
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
    EXPECT_EQ(body["version"], 1);
    EXPECT_EQ(body["tasks"].size(), 13u);
    EXPECT_EQ(body["members"].size(), 4u);
    EXPECT_TRUE(body["members"].contains("jonas"));
    auto states = StatesOf(body);
    EXPECT_EQ(states["d1.arrival_briefing.amira"], "ready");
    EXPECT_EQ(states["d1.secondary_inspection.jonas"], "waiting");
    EXPECT_EQ(states["d1.expand_cordon.amira"], "dormant");
  }
}

// The place of |task| in the team view (the order of the whole view's tasks).
std::size_t PlaceOf(const json& view, const std::string& task) {
  for (std::size_t i = 0; i < view["tasks"].size(); ++i) {
    if (view["tasks"][i]["task"] == task) return i;
  }
  ADD_FAILURE() << task << " is not in the view";
  return 0;
}

int Code(const std::string& state) {
  const auto& states = protocol::TeamStates();
  return static_cast<int>(std::find(states.begin(), states.end(), state) - states.begin());
}

TEST_F(TeamRelayTest, AStateChangeSendsOnlyTheChangeToTeammatesThatHaveTheView) {
  DeployBorder();
  const json view = TeamDeliveries(Deliveries("li-1")).back().body;
  const std::size_t place = PlaceOf(view, "d1.arrival_briefing.amira");
  // Li's laptop has applied everything so far; the others have applied nothing.
  ASSERT_TRUE(hq_->progress().MarkApplied("li-1", Deliveries("li-1").size()).ok());
  const std::size_t jonas_before = Deliveries("jonas-1").size();
  const std::size_t amira_before = Deliveries("amira-1").size();
  clock_.Advance(5 * kMinute);
  IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "in_progress")});
  EXPECT_EQ(Relay(), std::vector<std::string>{"li-1"});
  std::vector<hq::Delivery> li = TeamDeliveries(Deliveries("li-1"));
  ASSERT_EQ(li.size(), 2u);
  EXPECT_EQ(li[1].body, json({{"deployment", 1},
                              {"version", view["version"].get<int>() + 1},
                              {"set", {{place, Code("in_progress")}}}}))
      << "one change: a place and a one-byte state";
  EXPECT_LT(li[1].body.dump().size(), 80u);
  EXPECT_EQ(Deliveries("amira-1").size(), amira_before) << "amira's own change is hers already";
  EXPECT_EQ(Deliveries("jonas-1").size(), jonas_before)
      << "jonas has not applied the view yet: the change waits";

  // A hundred changes while jonas is offline: once he has applied the view, one change
  // with the latest state goes, and nothing more until he has applied that.
  for (std::uint64_t seq = 2; seq < 102; ++seq) {
    IngestOk("amira-1", {StatusRecord(seq, "d1.arrival_briefing.amira",
                                      seq % 2 ? "in_progress" : "blocked")});
    clock_.Advance(1'000);
    Relay();
  }
  EXPECT_EQ(Deliveries("jonas-1").size(), jonas_before);
  ASSERT_TRUE(hq_->progress().MarkApplied("jonas-1", Deliveries("jonas-1").size()).ok());
  IngestOk("amira-1", {StatusRecord(102, "d1.arrival_briefing.amira", "completed")});
  Relay();
  std::vector<hq::Delivery> jonas = TeamDeliveries(Deliveries("jonas-1"));
  ASSERT_EQ(jonas.size(), 2u);
  const json& change = jonas[1].body;
  ASSERT_TRUE(change.contains("set"));
  bool seen = false;
  for (const json& entry : change["set"]) {
    if (entry[0] == place) {
      EXPECT_EQ(entry[1], Code("completed"));
      seen = true;
    }
  }
  EXPECT_TRUE(seen) << change.dump();
  IngestOk("amira-1", {StatusRecord(103, "d1.safety_briefing.amira", "in_progress")});
  Relay();
  EXPECT_EQ(TeamDeliveries(Deliveries("jonas-1")).size(), 2u) << "the last one is not applied";
}

TEST_F(TeamRelayTest, AChangeWaitingForAnOfflineAgentCostsNoRelayUntilTheAgentGreets) {
  DeployBorder();
  const std::size_t jonas_before = Deliveries("jonas-1").size();
  clock_.Advance(5 * kMinute);
  IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "in_progress")});
  Relay();  // jonas is offline and has not applied his view: his change waits
  EXPECT_EQ(Deliveries("jonas-1").size(), jonas_before);
  // Only offline agents wait: the deployment is not looked at again at every tick.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM deployments WHERE team_dirty=1"), 0);

  // He applies what he had (his laptop was offline: nothing more is sent meanwhile) and
  // greets: the relay looks at his teams again and the waiting change goes.
  ASSERT_TRUE(hq_->progress().MarkApplied("jonas-1", Deliveries("jonas-1").size()).ok());
  EXPECT_TRUE(Relay().empty());
  hq_->team().Revisit("jonas-1");
  EXPECT_EQ(Relay(), std::vector<std::string>{"jonas-1"});
  EXPECT_EQ(TeamDeliveries(Deliveries("jonas-1")).size(), 2u);
}

TEST_F(TeamRelayTest, ARelayThatFailsKeepsTheGreetedAgentsWaitingChange) {
  DeployBorder();
  clock_.Advance(5 * kMinute);
  IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "in_progress")});
  Relay();  // jonas is offline: his change waits for his HELLO
  ASSERT_TRUE(hq_->progress().MarkApplied("jonas-1", Deliveries("jonas-1").size()).ok());
  hq_->team().Revisit("jonas-1");

  // Another connection holds the write lock past the busy timeout: the relay's transaction
  // cannot begin. The revisit is not in the database, so the relay must keep it itself.
  auto other = hq::HqDatabase::Open(dir_.File("muster.db"), clock_);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  (*other)->db().exec("PRAGMA busy_timeout=0");
  hq_->database().db().exec("PRAGMA busy_timeout=50");
  (*other)->db().exec("BEGIN IMMEDIATE");
  EXPECT_FALSE(hq_->team().Relay().ok());
  (*other)->db().exec("ROLLBACK");

  EXPECT_EQ(Relay(), std::vector<std::string>{"jonas-1"});
  EXPECT_EQ(TeamDeliveries(Deliveries("jonas-1")).size(), 2u);
}

TEST_F(TeamRelayTest, AResentRecordQueuesNothing) {
  DeployBorder();
  ASSERT_TRUE(hq_->progress().MarkApplied("paulo-1", Deliveries("paulo-1").size()).ok());
  const std::vector<hq::InboundRecord> batch = {
      StatusRecord(1, "d1.arrival_briefing.amira", "completed")};
  IngestOk("amira-1", batch);
  Relay();
  const std::size_t queued = Deliveries("paulo-1").size();
  ASSERT_TRUE(hq_->progress().MarkApplied("paulo-1", queued).ok());
  IngestOk("amira-1", batch);
  EXPECT_TRUE(Relay().empty());
  EXPECT_EQ(Deliveries("paulo-1").size(), queued);
}

TEST_F(TeamRelayTest, ChangesBetweenTwoRelaysGoTogetherAndAThinLinksPaceIsKept) {
  DeployBorder();
  for (const std::string agent : {"amira-1", "jonas-1", "li-1", "paulo-1"}) {
    ASSERT_TRUE(hq_->progress().MarkApplied(agent, Deliveries(agent).size()).ok());
  }
  const json view = TeamDeliveries(Deliveries("paulo-1")).back().body;
  IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "completed")});
  IngestOk("amira-1", {StatusRecord(2, "d1.safety_briefing.amira", "in_progress")});
  IngestOk("li-1", {StatusRecord(1, "d1.photograph_scene.li", "blocked")});
  // All online; paulo is on a satellite link: his changes gather 5 s, then go at most
  // every 15 s.
  const auto pace = [](const std::string& agent) -> std::optional<Millis> {
    return agent == "paulo-1" ? 15'000 : 0;
  };
  auto told = hq_->team().Relay(pace);
  ASSERT_TRUE(told.ok());
  EXPECT_EQ(told->size(), 3u);
  EXPECT_EQ(std::count(told->begin(), told->end(), "paulo-1"), 0) << "still gathering";
  clock_.Advance(5'000);
  told = hq_->team().Relay(pace);
  ASSERT_TRUE(told.ok());
  EXPECT_EQ(*told, std::vector<std::string>{"paulo-1"});
  std::vector<hq::Delivery> team = TeamDeliveries(Deliveries("paulo-1"));
  ASSERT_EQ(team.size(), 2u);
  std::map<std::size_t, int> set;
  for (const json& entry : team.back().body["set"]) set[entry[0]] = entry[1];
  EXPECT_EQ(set.at(PlaceOf(view, "d1.arrival_briefing.amira")), Code("completed"));
  EXPECT_EQ(set.at(PlaceOf(view, "d1.safety_briefing.amira")), Code("in_progress"));
  EXPECT_EQ(set.at(PlaceOf(view, "d1.photograph_scene.li")), Code("blocked"));
  // Online agents need not have applied the last change for the next to go; paulo's
  // waits for his pace, the others' goes now.
  IngestOk("amira-1", {StatusRecord(3, "d1.safety_briefing.amira", "blocked")});
  told = hq_->team().Relay(pace);
  ASSERT_TRUE(told.ok());
  EXPECT_EQ(std::count(told->begin(), told->end(), "paulo-1"), 0);
  EXPECT_EQ(std::count(told->begin(), told->end(), "jonas-1"), 1);
  clock_.Advance(10'000);
  told = hq_->team().Relay(pace);
  ASSERT_TRUE(told.ok());
  EXPECT_TRUE(told->empty()) << "15 s after the last relay to paulo, not 10";
  clock_.Advance(5'000);
  told = hq_->team().Relay(pace);
  ASSERT_TRUE(told.ok());
  EXPECT_EQ(*told, std::vector<std::string>{"paulo-1"});
  // A deployment closed before the relay tells its team nothing more.
  for (const std::string agent : {"amira-1", "jonas-1", "li-1", "paulo-1"}) {
    ASSERT_TRUE(hq_->progress().MarkApplied(agent, Deliveries(agent).size()).ok());
  }
  IngestOk("amira-1", {StatusRecord(4, "d1.safety_briefing.amira", "completed")});
  ASSERT_TRUE(hq_->operations().Close(1, "demobilised", "dana", nullptr).ok());
  clock_.Advance(30'000);
  EXPECT_TRUE(Relay().empty());
}

TEST_F(TeamRelayTest, AnOfficersCancellationReachesTheTeam) {
  DeployBorder();
  ASSERT_TRUE(hq_->progress().MarkApplied("paulo-1", Deliveries("paulo-1").size()).ok());
  const json view = TeamDeliveries(Deliveries("paulo-1")).back().body;
  ASSERT_TRUE(
      hq_->operations().CancelTask("d1.arrival_briefing.amira", "wrong site", hq::Actor("dana"), nullptr).ok());
  Relay();
  std::vector<hq::Delivery> team = TeamDeliveries(Deliveries("paulo-1"));
  ASSERT_EQ(team.size(), 2u);
  bool seen = false;
  for (const json& entry : team.back().body["set"]) {
    seen = seen || (entry[0] == PlaceOf(view, "d1.arrival_briefing.amira") &&
                    entry[1] == Code("cancelled"));
  }
  EXPECT_TRUE(seen) << team.back().body.dump();
}

TEST_F(TeamRelayTest, ANewLaptopGetsTheTeamWithItsBacklog) {
  DeployBorder();
  EnrollAgent("jonas", hq::DeviceRule::kReplace);
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
