// Operations on running deployments, time-based alerts and the SITREP, on a real store
// with a FakeClock: cancel, reassign, add a member, close a deployment; overdue and
// check-in alerts (due times, intervals, dedupe), acknowledgement; late records from a
// member whose task was taken away (conflict rules C1 and C2).
#include <SQLiteCpp/Statement.h>

#include "hq_fixture.h"

namespace muster::coordtest {
namespace {

constexpr Millis kMinute = 60'000;

class HqOpsTest : public HeadquartersTest {
 protected:
  void SetUp() override {
    HeadquartersTest::SetUp();
    DeployBorder();
  }
  // The newest task snapshot of |task| queued to |agent|.
  json LastSnapshot(const std::string& agent, const std::string& task) {
    json last;
    for (const auto& delivery : Deliveries(agent)) {
      if (delivery.kind == "task" && delivery.body["task"] == task) last = delivery.body;
    }
    return last;
  }
  std::int64_t Alerts(const std::string& kind) {
    return Count("SELECT COUNT(*) FROM alerts WHERE kind='" + kind + "'");
  }
  // Amira finishes the arrival steps, so that Jonas's secondary inspection is ready.
  void FinishArrival() {
    IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "completed"),
                         StatusRecord(2, "d1.safety_briefing.amira", "completed")});
    ASSERT_EQ(TaskState("d1.secondary_inspection.jonas"), "ready");
  }
  std::vector<std::string> notify_;
};

TEST_F(HqOpsTest, CancellingATaskTellsItsAgentAndReleasesItsDependents) {
  auto cancelled = hq_->operations().CancelTask("d1.arrival_briefing.amira", "", "officer", &notify_);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "cancelled");
  EXPECT_EQ((*cancelled)["reason"], "cancelled by officer");
  // Its only task was cancelled, so the step no longer holds the safety briefing back.
  EXPECT_EQ(TaskState("d1.safety_briefing.amira"), "ready");
  EXPECT_EQ(LastSnapshot("amira-1", "d1.arrival_briefing.amira")["state"], "cancelled");
  EXPECT_EQ(LastSnapshot("amira-1", "d1.safety_briefing.amira")["state"], "ready");
  EXPECT_EQ(notify_, std::vector<std::string>{"amira-1"});
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='task_cancelled' AND "
                  "actor='officer'"),
            1);

  auto again = hq_->operations().CancelTask("d1.arrival_briefing.amira", "", "officer", nullptr);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kConflict);
  auto unknown = hq_->operations().CancelTask("d1.nope.amira", "", "officer", nullptr);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), ErrorCode::kNotFound);
}

TEST_F(HqOpsTest, ReassigningMovesTheTaskAndBothAgentsLearnIt) {
  AddMember("mara", {"radiation_specialist"});
  EnrollAgent("mara");
  FinishArrival();
  clock_.Advance(kMinute);
  auto moved = hq_->operations().ReassignTask("d1.secondary_inspection.jonas", "mara", "officer", &notify_);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ((*moved)["new_task"], "d1.secondary_inspection.mara");
  EXPECT_EQ(TaskState("d1.secondary_inspection.jonas"), "reassigned");
  EXPECT_EQ(TaskState("d1.secondary_inspection.mara"), "ready");
  // The new task's due time counts from now (the step is due in 45 minutes).
  EXPECT_EQ(Count("SELECT due_at FROM tasks WHERE id='d1.secondary_inspection.mara'"),
            clock_.Now() + 45 * kMinute);
  EXPECT_EQ(LastSnapshot("jonas-1", "d1.secondary_inspection.jonas")["state"], "reassigned");
  // Mara gets the playbook first, then her task.
  auto mara = Deliveries("mara-1");
  ASSERT_GE(mara.size(), 2u);
  EXPECT_EQ(mara[0].kind, "playbook");
  EXPECT_EQ(LastSnapshot("mara-1", "d1.secondary_inspection.mara")["state"], "ready");
  // Jonas's nuclide identification now waits on Mara's inspection.
  json waits = LastSnapshot("jonas-1", "d1.identify_nuclide.jonas")["waits_on"];
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_EQ(waits[0]["member"], "mara");
  EXPECT_NE(std::find(notify_.begin(), notify_.end(), "mara-1"), notify_.end());
  EXPECT_NE(std::find(notify_.begin(), notify_.end(), "jonas-1"), notify_.end());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM assignments WHERE member_id='mara'"), 1);

  // Mara's completion releases Jonas's dependent task.
  IngestOk("mara-1", {StatusRecord(1, "d1.secondary_inspection.mara", "completed")});
  EXPECT_EQ(TaskState("d1.identify_nuclide.jonas"), "ready");
}

TEST_F(HqOpsTest, ReassigningBackRevivesTheMembersOwnTask) {
  AddMember("mara", {"radiation_specialist"});
  EnrollAgent("mara");
  FinishArrival();
  ASSERT_TRUE(hq_->operations().ReassignTask("d1.secondary_inspection.jonas", "mara", "o", nullptr).ok());
  auto back = hq_->operations().ReassignTask("d1.secondary_inspection.mara", "jonas", "o", nullptr);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(TaskState("d1.secondary_inspection.jonas"), "ready");
  EXPECT_EQ(TaskState("d1.secondary_inspection.mara"), "reassigned");
}

TEST_F(HqOpsTest, ReassigningIsRefusedWithAReason) {
  AddMember("nokey", {"radiation_specialist"});
  const std::string task = "d1.secondary_inspection.jonas";
  for (const auto& [member, code] :
       std::vector<std::pair<std::string, ErrorCode>>{{"jonas", ErrorCode::kInvalidArgument},
                                                      {"ghost", ErrorCode::kNotFound},
                                                      {"nokey", ErrorCode::kNoAgent}}) {
    auto refused = hq_->operations().ReassignTask(task, member, "officer", nullptr);
    ASSERT_FALSE(refused.ok()) << member;
    EXPECT_EQ(refused.status().code(), code) << member;
  }
  // Li already holds the evidence steps: giving her another of her own steps is a conflict.
  auto twice = hq_->operations().ReassignTask("d1.photograph_scene.li", "li", "officer", nullptr);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(TaskState(task), "waiting");
}

TEST_F(HqOpsTest, LateWorkOnATaskTakenAwayIsKeptAndRaisesConflicts) {
  AddMember("mara", {"radiation_specialist"});
  EnrollAgent("mara");
  FinishArrival();
  ASSERT_TRUE(hq_->operations().ReassignTask("d1.secondary_inspection.jonas", "mara", "o", nullptr).ok());
  // Jonas was offline: his finding and completion arrive after the reassignment.
  const std::vector<hq::InboundRecord> late = {
      FindingRecord(1, "d1.secondary_inspection.jonas", {{"dose_rate_1m", 3.0}}),
      StatusRecord(2, "d1.secondary_inspection.jonas", "completed")};
  IngestOk("jonas-1", late);
  EXPECT_EQ(TaskState("d1.secondary_inspection.jonas"), "reassigned");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM findings WHERE task_id='d1.secondary_inspection.jonas'"),
            1);
  EXPECT_EQ(Alerts("conflict"), 2);  // C2 for the finding, C1 for the completion
  IngestOk("jonas-1", late);         // sent again: duplicates, no new alerts
  EXPECT_EQ(Alerts("conflict"), 2);
  // His completion does not release the step: Mara's task is the live one.
  EXPECT_EQ(TaskState("d1.identify_nuclide.jonas"), "waiting");
}

TEST_F(HqOpsTest, AMemberAddedAfterAStandDownGetsNoStoodDownStep) {
  IngestOk("jonas-1", {FindingRecord(1, "d1.identify_nuclide.jonas",
                                     {{"nuclide", "K-40"}, {"assessment", "innocent_alarm"}})});
  ASSERT_EQ(TaskState("d1.photograph_scene.li"), "cancelled");
  AddMember("mara", {});
  EnrollAgent("mara");
  auto added = hq_->operations().AddMember(1, "forensic_examiner", "mara", "officer", &notify_);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  // The forensic examiner's three steps are all in the stood-down evidence phase.
  EXPECT_EQ((*added)["tasks"].size(), 0u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM tasks WHERE member_id='mara'"), 0);
}

TEST_F(HqOpsTest, AMemberAddedToARunningDeploymentGetsTheRolesSteps) {
  AddMember("mara", {});
  EnrollAgent("mara");
  auto added = hq_->operations().AddMember(1, "forensic_examiner", "mara", "officer", &notify_);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ((*added)["tasks"].size(), 3u);
  EXPECT_EQ(TaskState("d1.photograph_scene.mara"), "waiting");
  EXPECT_EQ(Deliveries("mara-1").front().kind, "playbook");
  EXPECT_NE(std::find(notify_.begin(), notify_.end(), "mara-1"), notify_.end());
  // Li's recovery of the material now also waits on Mara's photographs.
  bool waits_on_mara = false;
  const json recovery = LastSnapshot("li-1", "d1.recover_material.li");
  for (const auto& dep : recovery["waits_on"]) {
    waits_on_mara |= dep["member"] == "mara";
  }
  EXPECT_TRUE(waits_on_mara);

  auto twice = hq_->operations().AddMember(1, "forensic_examiner", "mara", "officer", nullptr);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().code(), ErrorCode::kConflict);
  auto no_role = hq_->operations().AddMember(1, "cook", "mara", "officer", nullptr);
  ASSERT_FALSE(no_role.ok());
  EXPECT_EQ(no_role.status().code(), ErrorCode::kInvalidArgument);
  auto no_deployment = hq_->operations().AddMember(9, "forensic_examiner", "mara", "o", nullptr);
  ASSERT_FALSE(no_deployment.ok());
  EXPECT_EQ(no_deployment.status().code(), ErrorCode::kNotFound);
}

TEST_F(HqOpsTest, DemobilisingListsOpenWorkAndCancelsItEverywhere) {
  IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "completed")});
  auto closed = hq_->operations().Close(1, "demobilised", "officer", &notify_);
  ASSERT_TRUE(closed.ok()) << closed.status().ToString();
  // 13 tasks: one completed, two dormant (never activated) are not open work.
  EXPECT_EQ((*closed)["open_tasks"].size(), 10u);
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "completed");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM tasks WHERE state='cancelled'"), 12);
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT status FROM deployments WHERE id=1"), "demobilised");
  EXPECT_EQ(LastSnapshot("li-1", "d1.photograph_scene.li")["state"], "cancelled");
  EXPECT_EQ(notify_.size(), 4u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='deployment_demobilised'"), 1);

  auto again = hq_->operations().Close(1, "cancelled", "officer", nullptr);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kConflict);
  auto task = hq_->operations().CancelTask("d1.photograph_scene.li", "", "officer", nullptr);
  ASSERT_FALSE(task.ok());
  EXPECT_EQ(task.status().code(), ErrorCode::kConflict);
  // A closed deployment raises no more time-based alerts.
  clock_.Advance(24 * 60 * kMinute);
  auto swept = hq_->alerts().Sweep();
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 0);
}

TEST_F(HqOpsTest, OverdueTasksRaiseOneAlertAtTheirDueTime) {
  clock_.Advance(29 * kMinute);
  ASSERT_EQ(*hq_->alerts().Sweep(), 0);
  for (const auto& agent : {"amira-1", "jonas-1", "li-1", "paulo-1"}) {
    ASSERT_TRUE(hq_->progress().Touch(agent).ok());  // everyone checks in: no safety alerts
  }
  clock_.Advance(2 * kMinute);  // arrival_briefing was due in 30m
  ASSERT_EQ(*hq_->alerts().Sweep(), 1);
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT dedupe FROM alerts WHERE kind='overdue'")
                .rfind("overdue:d1.arrival_briefing.amira:", 0),
            0u);
  ASSERT_EQ(*hq_->alerts().Sweep(), 0);  // deduplicated
  // A completed task is not overdue; host_liaison (due in 1h) is.
  IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "completed")});
  for (const auto& agent : {"amira-1", "jonas-1", "li-1", "paulo-1"}) {
    ASSERT_TRUE(hq_->progress().Touch(agent).ok());
  }
  clock_.Advance(30 * kMinute);
  ASSERT_EQ(*hq_->alerts().Sweep(), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='overdue' AND message LIKE "
                  "'%host_liaison%'"),
            1);
}

TEST_F(HqOpsTest, SilentMembersRaiseACheckinAlertOncePerSilence) {
  // Every member's interval is 1h; before their first contact it counts from deployment.
  clock_.Advance(59 * kMinute);
  ASSERT_TRUE(hq_->progress().Touch("jonas-1").ok());
  ASSERT_EQ(Alerts("checkin"), 0);
  ASSERT_TRUE(hq_->alerts().Sweep().ok());
  EXPECT_EQ(Alerts("checkin"), 0);
  clock_.Advance(2 * kMinute);
  ASSERT_TRUE(hq_->alerts().Sweep().ok());
  EXPECT_EQ(Alerts("checkin"), 3);  // amira, li, paulo; jonas was heard 2 minutes ago
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='checkin' AND severity='critical' "
                  "AND message LIKE 'amira%not heard from for 1h 1m%'"),
            1);
  ASSERT_TRUE(hq_->alerts().Sweep().ok());
  EXPECT_EQ(Alerts("checkin"), 3);  // the same silence: no second alert
  clock_.Advance(60 * kMinute);
  ASSERT_TRUE(hq_->alerts().Sweep().ok());
  EXPECT_EQ(Alerts("checkin"), 4);  // now jonas too
  // Jonas checks in and falls silent again: a new silence, a new alert.
  ASSERT_TRUE(hq_->progress().Touch("jonas-1").ok());
  clock_.Advance(61 * kMinute);
  ASSERT_TRUE(hq_->alerts().Sweep().ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='checkin' AND message LIKE 'jonas%'"),
            2);
}

TEST_F(HqOpsTest, AnAcknowledgementRecordsWhoAndWhen) {
  clock_.Advance(2 * 60 * kMinute);
  ASSERT_TRUE(hq_->alerts().Sweep().ok());
  auto open = hq_->alerts().List("INC-1", true);
  ASSERT_TRUE(open.ok());
  ASSERT_FALSE(open->empty());
  EXPECT_EQ((*open)[0]["severity"], "critical");  // the most severe first
  const std::int64_t id = (*open)[0]["id"];
  clock_.Advance(kMinute);
  auto acked = hq_->alerts().Ack(id, "duty-officer");
  ASSERT_TRUE(acked.ok()) << acked.status().ToString();
  EXPECT_EQ((*acked)["acked_by"], "duty-officer");
  EXPECT_EQ((*acked)["acked_at"], clock_.Now());
  auto still_open = hq_->alerts().List("INC-1", true);
  EXPECT_EQ(still_open->size(), open->size() - 1);
  auto all = hq_->alerts().List("", false);
  EXPECT_EQ(all->back()["id"], id);  // acknowledged ones last

  auto again = hq_->alerts().Ack(id, "someone-else");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), ErrorCode::kConflict);
  EXPECT_NE(again.status().message().find("duty-officer"), std::string::npos);
  EXPECT_EQ(hq_->alerts().Ack(999, "x").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(hq_->alerts().List("INC-9", false).status().code(), ErrorCode::kNotFound);
}

TEST_F(HqOpsTest, EventsFollowTheTimeline) {
  auto newest = hq_->timeline().Events(-1, "", 200);
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 1u);
  EXPECT_EQ((*newest)[0]["kind"], "deployed");
  const std::int64_t last = (*newest)[0]["id"];
  ASSERT_TRUE(hq_->operations().CancelTask("d1.host_liaison.paulo", "not needed", "o", nullptr).ok());
  auto after = hq_->timeline().Events(last, "INC-1", 200);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0]["kind"], "task_cancelled");
  EXPECT_EQ((*after)[0]["text"], "d1.host_liaison.paulo (paulo): not needed");
  auto timeline = hq_->timeline().OfIncident("INC-1");
  ASSERT_TRUE(timeline.ok());
  EXPECT_EQ(timeline->size(), 3u);  // opened, deployed, cancelled
  EXPECT_EQ(hq_->timeline().OfIncident("INC-9").status().code(), ErrorCode::kNotFound);
}

TEST_F(HqOpsTest, TheSitrepSaysWhereEveryoneIsAndHowFreshItIs) {
  IngestOk("amira-1",
           {FindingRecord(1, "d1.arrival_briefing.amira",
                          {{"scene_location", "46.2331,6.1052"}, {"portal_reading", 2400}}),
            StatusRecord(2, "d1.arrival_briefing.amira", "completed")});
  IngestOk("paulo-1", {hq::InboundRecord{1, "status", clock_.Now(),
                                         {{"task", "d1.host_liaison.paulo"},
                                          {"state", "blocked"},
                                          {"reason", "no interpreter"}}}});
  clock_.Advance(3 * 60 * kMinute + 12 * kMinute);
  auto report = hq_->views().Sitrep("INC-1");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ((*report)["generated_at"], clock_.Now());
  std::map<std::string, json> team;
  for (const auto& member : (*report)["team"]) team[member["id"]] = member;
  ASSERT_EQ(team.size(), 4u);
  EXPECT_EQ(team["amira"]["last_contact_age_ms"], 3 * 60 * kMinute + 12 * kMinute);
  EXPECT_TRUE(team["amira"]["checkin_overdue"]);
  EXPECT_EQ(team["amira"]["location"]["value"], "46.2331,6.1052");
  EXPECT_TRUE(team["jonas"]["location"].is_null());
  EXPECT_TRUE(team["jonas"]["last_contact_at"].is_null());
  bool reading = false;
  for (const auto& finding : (*report)["findings"]) {
    if (finding["field"] != "portal_reading") continue;
    reading = true;
    EXPECT_EQ(finding["unit"], "cps");
    EXPECT_EQ(finding["member"], "amira");
    EXPECT_EQ(finding["label"], "Portal monitor reading at alarm");
  }
  EXPECT_TRUE(reading);
  ASSERT_EQ((*report)["blocked"].size(), 1u);
  EXPECT_EQ((*report)["blocked"][0]["reason"], "no interpreter");
  EXPECT_FALSE((*report)["overdue"].empty());
  EXPECT_EQ((*report)["deployments"][0]["phases"][0]["completed"], 1);
  EXPECT_EQ((*report)["needs"][0], "blocked: d1.host_liaison.paulo (paulo): no interpreter");
  EXPECT_EQ(hq_->views().Sitrep("INC-9").status().code(), ErrorCode::kNotFound);
}

TEST_F(HqOpsTest, AFindingCarriesItsStepsMarkingRaisedByTheMembersNeverLowered) {
  const auto marked = [&](std::uint64_t seq, const std::string& marking) {
    wire::FindingRecord finding;
    finding.task = "d1.secondary_inspection.jonas";
    finding.values = {{"dose_rate_1m", 0.4}};
    finding.marking = marking;
    return Entry(seq, finding);
  };
  IngestOk("jonas-1", {marked(1, "SECRET"), marked(2, "TLP:CLEAR"), marked(3, "")});
  auto findings = hq_->views().IncidentFindings("INC-1");
  ASSERT_TRUE(findings.ok());
  ASSERT_EQ(findings->size(), 3u);
  EXPECT_EQ((*findings)[0]["marking"], "SECRET // TLP:AMBER");
  EXPECT_EQ((*findings)[1]["marking"], "RESTRICTED // TLP:AMBER");  // never lower
  EXPECT_EQ((*findings)[2]["marking"], "RESTRICTED // TLP:AMBER");  // the step's
  auto sitrep = hq_->views().Sitrep("INC-1");
  ASSERT_TRUE(sitrep.ok());
  EXPECT_EQ((*sitrep)["marking"], "SECRET // TLP:AMBER");
  auto hostile = hq_->ingest().Commit("jonas-1", {marked(4, "TLP:PINK\x1b[31m")});
  ASSERT_TRUE(hostile.ok());
  ASSERT_EQ(hostile->refused.size(), 1u);
  EXPECT_EQ(hostile->refused[0].second.code(), ErrorCode::kInvalidValue);
}

}  // namespace
}  // namespace muster::coordtest
