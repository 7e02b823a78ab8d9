// `muster-agent team`: the team's progress as HQ last relayed it, with its age, offline.
#include "team.h"

#include <gtest/gtest.h>

#include <map>

#include <sstream>
#include <string>

#include "agent_fixture.h"
#include "muster/wire/deliveries.h"
#include "verbs.h"

namespace muster::agent::testing {
namespace {

using nlohmann::json;

constexpr Millis kMinute = 60'000;

class TeamTest : public AgentTest {
 protected:
  void SetUp() override {
    AgentTest::SetUp();
    Deploy();
  }

  // A "team" delivery shaped like the team view HQ queues (coordinator/sync/team_relay.cc).
  Delivery TeamDelivery(std::uint64_t seq, Millis hq_at, const std::string& inspection_state,
                        const std::string& jonas_state) {
    wire::TeamView view{1,
                        "INC-2026-0042",
                        BorderSeizure().content_hash,
                        hq_at,
                        0,
                        {{kMember, "Mira Okafor"}, {"jonas", "Jonas Berg"}},
                        {{TaskIdOf("secondary_inspection"), "secondary_inspection", kMember,
                          inspection_state},
                         {"d1.identify_nuclide.jonas", "identify_nuclide", "jonas", jonas_state}}};
    return wire::MakeDelivery(seq, hq_at, view);
  }

  std::string Team(bool as_json = false) {
    std::ostringstream out;
    Status status = ShowTeam(*store_, clock_, as_json, out);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out.str();
  }

  std::string TitleOf(const std::string& step) {
    const playbook::Step* found = BorderSeizure().FindStep(step);
    return found ? found->title : step;
  }
};

TEST_F(TeamTest, BeforeAnySnapshotItSaysNothingArrivedYet) {
  EXPECT_TRUE(Contains(Team(), "No news of your team from HQ yet"));
  EXPECT_EQ(json::parse(Team(true)), json::array());
}

TEST_F(TeamTest, ShowsEachTeammatesTasksAndHowOldTheNewsIs) {
  const Millis hq_at = clock_.Now();
  ASSERT_EQ(*store_->ApplyDeliveries({TeamDelivery(6, hq_at, "ready", "in_progress")}), 6u);
  clock_.Advance(14 * kMinute);
  const std::string text = Team();
  EXPECT_TRUE(Contains(text, "as relayed by HQ 14m ago"));
  EXPECT_TRUE(Contains(text, "Portal alarm at Nickelsdorf"));
  EXPECT_TRUE(Contains(text, "Jonas Berg (jonas)"));
  EXPECT_TRUE(Contains(text, "in_progress  " + TitleOf("identify_nuclide")));
  EXPECT_TRUE(Contains(text, "Mira Okafor (" + std::string(kMember) + ") — you"));
  // The member's own line comes first.
  EXPECT_LT(text.find("Mira Okafor"), text.find("Jonas Berg"));

  json list = json::parse(Team(true));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["age_ms"], 14 * kMinute);
  EXPECT_EQ(list[0]["hq_at"], hq_at);
  EXPECT_EQ(list[0]["members"][1]["name"], "Jonas Berg");
  EXPECT_EQ(list[0]["members"][1]["tasks"][0]["state"], "in_progress");
  EXPECT_EQ(list[0]["members"][1]["tasks"][0]["title"], TitleOf("identify_nuclide"));
  EXPECT_EQ(list[0]["members"][0]["you"], true);
}

TEST_F(TeamTest, OwnTasksShowWhatTheMemberDidHereNotWhatHqLastKnew) {
  ASSERT_TRUE(store_->ApplyDeliveries({TeamDelivery(6, clock_.Now(), "ready", "waiting")}).ok());
  std::ostringstream out;
  ASSERT_TRUE(SetState(*store_, "secondary_inspection", "in_progress", "", false, out).ok());
  json list = json::parse(Team(true));
  EXPECT_EQ(list[0]["members"][0]["tasks"][0]["state"], "in_progress");
}

TEST_F(TeamTest, TheLastWholeViewInTheStreamWinsAndStubsChangeNothing) {
  const Millis first = clock_.Now();
  clock_.Advance(kMinute);
  ASSERT_EQ(*store_->ApplyDeliveries({TeamDelivery(6, first, "ready", "waiting"),
                                      TeamDelivery(7, first + kMinute, "ready", "completed"),
                                      {8, "team", first, {{"deployment", 1}, {"superseded", true}}}}),
            8u)
      << "a stub from an older coordinator is applied (the stream goes on) but changes nothing";
  json list = json::parse(Team(true));
  EXPECT_EQ(list[0]["hq_at"], first + kMinute);
  EXPECT_EQ(list[0]["members"][1]["tasks"][0]["state"], "completed");
  // A snapshot that survives a reopen, as each CLI verb opens the store anew.
  auto cli = OpenAnother();
  ASSERT_EQ(cli->TeamSnapshots()->size(), 1u);
}

TEST_F(TeamTest, ChangesUpdateTheViewByPlaceAndAddTasksAndMembers) {
  Delivery whole = TeamDelivery(6, clock_.Now(), "ready", "waiting");
  whole.body["version"] = 3;
  ASSERT_EQ(*store_->ApplyDeliveries({whole}), 6u);
  clock_.Advance(kMinute);
  const json change = {{"deployment", 1},
                       {"version", 4},
                       {"set", {{1, 3}}},  // jonas's task: in_progress
                       {"add", {{2, "d1.establish_cordon.li", "establish_cordon", "li", 1}}},
                       {"members", {{"li", "Li Wei"}}}};
  ASSERT_EQ(*store_->ApplyDeliveries({{7, "team", clock_.Now(), change}}), 7u);
  json list = json::parse(Team(true));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["hq_at"], clock_.Now()) << "the view is as new as its last change";
  std::map<std::string, std::string> states;
  for (const json& member : list[0]["members"]) {
    for (const json& task : member["tasks"]) states[task["task"]] = task["state"];
  }
  EXPECT_EQ(states["d1.identify_nuclide.jonas"], "in_progress");
  EXPECT_EQ(states["d1.establish_cordon.li"], "ready");
  EXPECT_TRUE(Contains(Team(false), "Li Wei"));
  // A change replayed (HQ sent it again after a cut) changes nothing.
  const json older = {{"deployment", 1}, {"version", 4}, {"set", {{1, 5}}}};  // blocked
  ASSERT_EQ(*store_->ApplyDeliveries({{8, "team", clock_.Now(), older}}), 8u);
  EXPECT_TRUE(Contains(Team(false), "in_progress"));
  // A change for a team this laptop has no view of is skipped; the stream goes on.
  const json orphan = {{"deployment", 9}, {"version", 2}, {"set", {{0, 3}}}};
  ASSERT_EQ(*store_->ApplyDeliveries({{9, "team", clock_.Now(), orphan}}), 9u);
  EXPECT_EQ(store_->TeamSnapshots()->size(), 1u);
}

TEST_F(TeamTest, AWholeViewAfterHqWasRestoredReplacesAViewOfAHigherVersion) {
  Delivery before = TeamDelivery(6, clock_.Now(), "ready", "completed");
  before.body["version"] = 40;
  Delivery restored = TeamDelivery(7, clock_.Now() + kMinute, "ready", "waiting");
  restored.body["version"] = 3;  // HQ counts again from its backup
  ASSERT_EQ(*store_->ApplyDeliveries({before, restored}), 7u);
  EXPECT_EQ(json::parse(Team(true))[0]["members"][1]["tasks"][0]["state"], "waiting");
  const json change = {{"deployment", 1}, {"version", 4}, {"set", {{1, 3}}}};
  ASSERT_EQ(*store_->ApplyDeliveries({{8, "team", clock_.Now(), change}}), 8u);
  EXPECT_EQ(json::parse(Team(true))[0]["members"][1]["tasks"][0]["state"], "in_progress")
      << "the changes that follow apply";
}

TEST_F(TeamTest, AMalformedSnapshotIsSkippedWithoutStoppingLaterDeliveries) {
  ASSERT_EQ(*store_->ApplyDeliveries({{6, "team", 0, {{"deployment", "one"}}},
                                      TeamDelivery(7, clock_.Now(), "ready", "blocked")}),
            7u);
  EXPECT_EQ(json::parse(Team(true))[0]["members"][1]["tasks"][0]["state"], "blocked");
}

TEST_F(TeamTest, ALaptopClockBehindHqsFallsBackToTheArrivalTime) {
  ASSERT_TRUE(store_->ApplyDeliveries({TeamDelivery(6, clock_.Now() + 60 * kMinute, "ready",
                                                    "waiting")}).ok());
  clock_.Advance(3 * kMinute);
  EXPECT_TRUE(Contains(Team(), "as relayed by HQ 3m ago"));
}

// A laptop 3 hours fast that measured its offset: the view's age is counted in HQ's time,
// not by the laptop's wrong clock (which would call a 14-minute-old view 3 hours old).
TEST_F(TeamTest, AFastLaptopThatMeasuredItsOffsetCountsTheAgeInHqTime) {
  constexpr Millis kHour = 60 * kMinute;
  ASSERT_TRUE(store_->SetClockOffsetToHq({-3 * kHour, 600, clock_.Now()}).ok());
  const Millis hq_now = clock_.Now() - 3 * kHour;
  ASSERT_TRUE(store_->ApplyDeliveries({TeamDelivery(6, hq_now - 14 * kMinute, "ready",
                                                    "waiting")}).ok());
  EXPECT_TRUE(Contains(Team(), "as relayed by HQ 14m ago"));
}

TEST_F(TeamTest, TasksNameWhoHoldsWhatATaskWaitsOn) {
  json waits = WaitsOn("secondary_inspection", "in_progress", "jonas");
  waits["name"] = "Jonas Berg";
  ASSERT_TRUE(store_->ApplyDeliveries({TaskDelivery(6, {.step = "identify_nuclide",
                                                        .waits_on = json::array({waits})})})
                  .ok());
  std::ostringstream out;
  ASSERT_TRUE(ListTasks(*store_, clock_, false, out).ok());
  EXPECT_TRUE(Contains(out.str(), "secondary_inspection (Jonas Berg, in_progress)"));
}

}  // namespace
}  // namespace muster::agent::testing
