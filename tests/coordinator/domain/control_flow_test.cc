// `completion: any` and a trigger's `else` at HQ, on a real store: one searcher's
// completion closes the other's task without a conflict and releases what waited; a false
// condition decides the else once the steps it reads are done, and the trigger is then
// decided for good.
#include "hq_fixture.h"
#include "sweep_playbook.h"

namespace muster::coordtest {
namespace {

class ControlFlowTest : public HeadquartersTest {
 protected:
  void SetUp() override {
    HeadquartersTest::SetUp();
    CreateIncident("INC-1", "Suspicious vapour");
    DeployTeam({{"amira", "team_leader"}, {"li", "searcher"}, {"paulo", "searcher"}},
               kSweepPlaybook);
  }
  std::int64_t Alerts(const std::string& kind) {
    return Count("SELECT COUNT(*) FROM alerts WHERE kind='" + kind + "'");
  }
};

TEST_F(ControlFlowTest, OneSearchersCompletionIsEnoughAndClosesTheOthersTask) {
  IngestOk("li-1", {StatusRecord(1, "d1.sweep_area.li", "completed")});
  EXPECT_EQ(TaskState("d1.sweep_area.li"), "completed");
  EXPECT_EQ(TaskState("d1.sweep_area.paulo"), "cancelled");
  EXPECT_EQ(QueryText(hq_->database().db(),
                      "SELECT reason FROM tasks WHERE id='d1.sweep_area.paulo'"),
            "done by li (completion: any)");
  json told;
  for (const auto& delivery : OfKind(Deliveries("paulo-1"), "task")) {
    if (delivery.body["task"] == "d1.sweep_area.paulo") told = delivery.body;
  }
  EXPECT_EQ(told["state"], "cancelled");
  // Paulo had swept too, offline: accepted as done, no conflict.
  IngestOk("paulo-1", {StatusRecord(1, "d1.sweep_area.paulo", "completed")});
  EXPECT_EQ(TaskState("d1.sweep_area.paulo"), "completed");
  EXPECT_EQ(Alerts("conflict"), 0);
}

TEST_F(ControlFlowTest, AFalseConditionRunsTheElseOnceTheStepsItReadsAreDone) {
  // A finding alone does not decide the else: the check is not done yet.
  // 0.2 ppm < 3 × 20 ppb + 0.5 ppm = 0.56 ppm: false.
  IngestOk("amira-1",
           {FindingRecord(1, "d1.check_vapour.amira", {{"vapour", 0.2}, {"background", 20.0}})});
  EXPECT_TRUE(TaskDormant("d1.declare_clear.amira"));
  IngestOk("amira-1", {StatusRecord(2, "d1.check_vapour.amira", "completed")});
  EXPECT_FALSE(TaskDormant("d1.declare_clear.amira"));
  EXPECT_TRUE(TaskDormant("d1.call_specialists.amira"));
  EXPECT_EQ(TaskState("d1.declare_clear.amira"), "waiting");  // on the sweep
  IngestOk("li-1", {StatusRecord(1, "d1.sweep_area.li", "completed")});
  EXPECT_EQ(TaskState("d1.declare_clear.amira"), "ready");
  // Decided: a later reading above the threshold changes nothing, nor does the laptop's
  // own record of the then branch.
  IngestOk("amira-1", {FindingRecord(3, "d1.check_vapour.amira", {{"vapour", 5.0}}),
                       TriggerRecord(4, "d1.check_vapour.amira", "vapour_present")});
  EXPECT_TRUE(TaskDormant("d1.call_specialists.amira"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fired_triggers WHERE trigger_id LIKE 'vapour_present%'"),
            1);
}

TEST_F(ControlFlowTest, AReadingAboveThreeTimesBackgroundPlusHalfAPpmCallsTheSpecialists) {
  // 0.6 ppm ≥ 3 × 20 ppb + 0.5 ppm = 0.56 ppm, with the ppb converted: true.
  IngestOk("amira-1",
           {FindingRecord(1, "d1.check_vapour.amira", {{"vapour", 0.6}, {"background", 20.0}})});
  EXPECT_FALSE(TaskDormant("d1.call_specialists.amira"));
  EXPECT_TRUE(TaskDormant("d1.declare_clear.amira"));
}

TEST_F(ControlFlowTest, AnElseTheLaptopDecidedReachesHqAsItsOwnId) {
  IngestOk("amira-1", {TriggerRecord(1, "d1.check_vapour.amira", "vapour_present/else")});
  EXPECT_FALSE(TaskDormant("d1.declare_clear.amira"));
  EXPECT_TRUE(TaskDormant("d1.call_specialists.amira"));
  auto bogus = hq_->ingest().Commit(
      "amira-1", {TriggerRecord(2, "d1.check_vapour.amira", "vapour_present/elsewhere")});
  ASSERT_TRUE(bogus.ok());
  ASSERT_EQ(bogus->refused.size(), 1u);
  EXPECT_EQ(bogus->refused[0].second.code(), ErrorCode::kInvalidValue);
}

}  // namespace
}  // namespace muster::coordtest
