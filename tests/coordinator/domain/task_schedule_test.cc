// Recurring steps and escalations at HQ, by HQ's clock (a FakeClock) on a real store: the
// sweep opens each occurrence once and tells the agent, fires each escalation once, and an
// agent that reached an occurrence or an escalation first changes nothing twice.
#include "domain/task_schedule.h"

#include "hq_fixture.h"
#include "muster/wire/records.h"
#include "watch_playbook.h"

namespace muster::coordtest {
namespace {

constexpr Millis kMinute = 60'000;

class TaskScheduleTest : public HeadquartersTest {
 protected:
  void SetUp() override {
    HeadquartersTest::SetUp();
    CreateIncident("INC-1", "Cordon");
    AddMember("amira", {"team_leader"});
    EnrollAgent("amira");
    AddMember("jonas", {"radiation_specialist"});
    EnrollAgent("jonas");
    hq::DeployInput input;
    input.incident_id = "INC-1";
    input.playbook_source = kWatchPlaybook;
    auto deployment = hq_->deployments().Deploy(input, nullptr);
    ASSERT_TRUE(deployment.ok()) << deployment.status().ToString();
  }
  hq::TaskEffects Sweep() {
    auto effects = hq_->schedule().Sweep();
    EXPECT_TRUE(effects.ok()) << effects.status().ToString();
    return effects.ok() ? *effects : hq::TaskEffects{};
  }
  std::int64_t Alerts(const std::string& kind) {
    return Count("SELECT COUNT(*) FROM alerts WHERE kind='" + kind + "'");
  }
  std::int64_t Sitreps() { return Count("SELECT COUNT(*) FROM tasks WHERE step_id='sitrep'"); }
};

TEST_F(TaskScheduleTest, HqOpensEachOccurrenceOnceByItsClockAndTellsTheAgent) {
  const Millis ready = QueryInt(hq_->database().db(),
                                "SELECT ready_at FROM tasks WHERE id='d1.sitrep.amira'");
  Sweep();
  EXPECT_EQ(Sitreps(), 1);
  clock_.Advance(30 * kMinute);
  hq::TaskEffects effects = Sweep();
  EXPECT_EQ(TaskState("d1.sitrep.amira#2"), "ready");
  EXPECT_EQ(QueryInt(hq_->database().db(),
                     "SELECT due_at FROM tasks WHERE id='d1.sitrep.amira#2'"),
            ready + 60 * kMinute);
  EXPECT_EQ(effects.agents_to_notify, std::vector<std::string>{"amira-1"});
  json snapshot;
  for (const auto& delivery : OfKind(Deliveries("amira-1"), "task")) {
    if (delivery.body["task"] == "d1.sitrep.amira#2") snapshot = delivery.body;
  }
  EXPECT_EQ(snapshot["ready_at"], ready + 30 * kMinute);
  // Three in all, however long HQ waits, and never twice.
  clock_.Advance(5 * 60 * kMinute);
  Sweep();
  Sweep();
  EXPECT_EQ(Sitreps(), 3);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM tasks WHERE id='d1.sitrep.amira#3' AND occurrence=3"), 1);
}

TEST_F(TaskScheduleTest, ACancelledSeriesOpensNoMoreOccurrences) {
  auto cancelled = hq_->operations().CancelTask("d1.sitrep.amira", "not needed", "officer", nullptr);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().ToString();
  clock_.Advance(90 * kMinute);
  Sweep();
  EXPECT_EQ(Sitreps(), 1);
}

TEST_F(TaskScheduleTest, ADependentWaitsOnlyForTheFirstOccurrence) {
  clock_.Advance(31 * kMinute);
  Sweep();
  ASSERT_EQ(TaskState("d1.sitrep.amira#2"), "ready");
  EXPECT_EQ(TaskState("d1.handover.amira"), "waiting");
  IngestOk("amira-1", {StatusRecord(1, "d1.sitrep.amira", "completed")});
  EXPECT_EQ(TaskState("d1.sitrep.amira#2"), "ready");
  EXPECT_EQ(TaskState("d1.handover.amira"), "ready");
}

TEST_F(TaskScheduleTest, AnOverdueTaskEscalatesOnceWhicheverSideSawItFirst) {
  clock_.Advance(20 * kMinute);
  Sweep();
  EXPECT_EQ(Alerts("escalation"), 0);  // due, not yet past due
  clock_.Advance(1);
  Sweep();
  EXPECT_EQ(Alerts("escalation"), 1);
  EXPECT_EQ(TaskState("d1.backup_survey.amira"), "ready");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='notify' AND text LIKE "
                  "'to team_leader (amira): Survey overdue%'"),
            1);
  const auto notices = OfKind(Deliveries("amira-1"), "notice");
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].body["role"], "team_leader");
  EXPECT_EQ(notices[0].body["source"], "escalate:d1.survey.amira:0");
  EXPECT_EQ(notices[0].body["text"], "Survey overdue; backup survey started");
  // The laptop reached it too, offline: its record changes nothing.
  IngestOk("amira-1", {TriggerRecord(1, "d1.survey.amira", "escalate:d1.survey.amira:0")});
  Sweep();
  EXPECT_EQ(Alerts("escalation"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fired_triggers WHERE trigger_id LIKE 'escalate:%'"), 1);
}

TEST_F(TaskScheduleTest, ABlockedTaskEscalatesWhenItsRecordArrives) {
  IngestOk("amira-1", {StatusRecord(1, "d1.survey.amira", "blocked")});
  Sweep();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='escalation' AND message="
                  "'The perimeter survey is blocked'"),
            1);
  EXPECT_EQ(TaskState("d1.backup_survey.amira"), "waiting");  // the overdue one activates it
}

TEST_F(TaskScheduleTest, AnOccurrenceTheLaptopOpenedFirstIsTakenInWithinReason) {
  clock_.Advance(31 * kMinute);
  // Amira's laptop opened #2 and she completed it before HQ's sweep ran.
  IngestOk("amira-1", {StatusRecord(1, "d1.sitrep.amira#2", "completed")});
  EXPECT_EQ(TaskState("d1.sitrep.amira#2"), "completed");
  // #3 opens in 29 minutes: a laptop a little fast is believed.
  IngestOk("amira-1", {StatusRecord(2, "d1.sitrep.amira#3", "in_progress")});
  EXPECT_EQ(TaskState("d1.sitrep.amira#3"), "in_progress");
  // There is no #4 (times: 3), and a colleague cannot open Amira's occurrences.
  auto fourth = hq_->ingest().Commit("amira-1", {StatusRecord(3, "d1.sitrep.amira#4", "completed")});
  ASSERT_TRUE(fourth.ok());
  ASSERT_EQ(fourth->refused.size(), 1u);
  EXPECT_EQ(fourth->refused[0].second.code(), ErrorCode::kForbidden);
  auto stranger = hq_->ingest().Commit("jonas-1", {StatusRecord(1, "d1.sitrep.amira#2", "blocked")});
  ASSERT_TRUE(stranger.ok());
  ASSERT_EQ(stranger->refused.size(), 1u);
  EXPECT_EQ(TaskState("d1.sitrep.amira#2"), "completed");
  EXPECT_EQ(Sitreps(), 3);
  // A made-up escalation is refused, not fired.
  auto bogus = hq_->ingest().Commit(
      "amira-1", {TriggerRecord(4, "d1.survey.amira", "escalate:d1.survey.amira:7")});
  ASSERT_TRUE(bogus.ok());
  ASSERT_EQ(bogus->refused.size(), 1u);
  EXPECT_EQ(bogus->refused[0].second.code(), ErrorCode::kInvalidValue);
}

}  // namespace
}  // namespace muster::coordtest
