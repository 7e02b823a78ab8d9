// EvaluateTriggers: which triggers fire for a set of recorded findings.
#include "muster/playbook/triggers.h"

#include <gtest/gtest.h>

#include "muster/playbook/load.h"
#include "test_util.h"

namespace muster::playbook {
namespace {

Playbook WithTriggers() {
  const std::string text = std::string(testing::kMinimal) +
                           "  - id: expand\n"
                           "    title: Expand the cordon\n"
                           "    phase: work\n"
                           "    role: lead\n"
                           "    on_trigger: true\n"
                           "parameters:\n"
                           "  - {id: limit, type: number, default: 100}\n"
                           "triggers:\n"
                           "  - id: high\n"
                           "    when: survey.dose_rate >= param.limit\n"
                           "    then:\n"
                           "      - activate: expand\n"
                           "      - alert: Expand the cordon\n"
                           "        severity: critical\n"
                           "  - id: very_high\n"
                           "    when: survey.dose_rate >= 1000\n"
                           "    then:\n"
                           "      - notify: Withdraw and call for support\n";
  LoadResult result = LoadText(text, "t.yaml");
  EXPECT_TRUE(result.ok()) << testing::AllDiagnostics(result);
  return result.ok() ? *result.playbook : Playbook{};
}

std::vector<std::string> Fired(const FindingValues& values,
                               const std::set<std::string>& done = {}) {
  static const Playbook playbook = WithTriggers();
  std::vector<std::string> ids;
  for (const FiredTrigger& f : EvaluateTriggers(playbook, values, done))
    ids.push_back(f.trigger_id);
  return ids;
}

TEST(TriggersTest, NothingRecordedNothingFires) { EXPECT_TRUE(Fired({}).empty()); }

TEST(TriggersTest, FiresWhenTheConditionHolds) {
  EXPECT_TRUE(Fired({{"survey.dose_rate", 99.9}}).empty());
  EXPECT_EQ(Fired({{"survey.dose_rate", 100.0}}), std::vector<std::string>{"high"});
}

TEST(TriggersTest, FiresInDocumentOrderWithTheirActions) {
  static const Playbook playbook = WithTriggers();
  const auto fired = EvaluateTriggers(playbook, {{"survey.dose_rate", 5000.0}}, {});
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].trigger_id, "high");
  ASSERT_EQ(fired[0].actions.size(), 2u);
  EXPECT_EQ(fired[0].actions[0].kind, ActionKind::kActivate);
  EXPECT_EQ(fired[0].actions[0].step, "expand");
  EXPECT_EQ(fired[0].actions[1].severity, "critical");
  EXPECT_EQ(fired[1].trigger_id, "very_high");
}

TEST(TriggersTest, AlreadyFiredTriggersDoNotFireAgain) {
  EXPECT_EQ(Fired({{"survey.dose_rate", 5000.0}}, {"high"}), std::vector<std::string>{"very_high"});
}

TEST(TriggersTest, ParameterOverrideChangesTheThreshold) {
  EXPECT_TRUE(Fired({{"survey.dose_rate", 150.0}, {"param.limit", 200.0}}).empty());
}

TEST(TriggersTest, HandBuiltTriggerWithABadConditionNeverFires) {
  Playbook playbook = WithTriggers();
  playbook.triggers[0].when = "survey.dose_rate >=";
  EXPECT_EQ(EvaluateTriggers(playbook, {{"survey.dose_rate", 5000.0}}, {}).size(), 1u);
}

// A playbook with a stand-down: survey (work) decides, report (work) and archive (wrap)
// are the rest.
std::string StandDownText(const std::string& action) {
  return std::string(testing::kMinimal) +
         "  - id: archive\n"
         "    title: Archive\n"
         "    phase: wrap\n"
         "    role: lead\n"
         "triggers:\n"
         "  - id: innocent\n"
         "    when: survey.dose_rate < 0.3\n"
         "    then:\n" +
         action;
}

LoadResult LoadStandDown(const std::string& action) {
  return LoadText(testing::Edit(StandDownText(action), "phases:\n",
                                "phases:\n  - id: wrap\n    title: Wrap up\n"),
                  "t.yaml");
}

TEST(TriggersTest, AStandDownClosesItsPhaseExceptTheStepsThatDecidedIt) {
  LoadResult phase = LoadStandDown("      - stand_down: work\n        reason: Background only\n");
  ASSERT_TRUE(phase.ok()) << testing::AllDiagnostics(phase);
  const TriggerAction& action = phase.playbook->triggers[0].then[0];
  EXPECT_EQ(action.kind, ActionKind::kStandDown);
  EXPECT_EQ(action.phase, "work");
  EXPECT_EQ(action.message, "Background only");
  EXPECT_EQ(StepsStoodDown(*phase.playbook, "innocent", action),
            std::vector<std::string>{"report"});
  LoadResult all = LoadStandDown("      - stand_down: deployment\n        reason: Background only\n");
  ASSERT_TRUE(all.ok()) << testing::AllDiagnostics(all);
  EXPECT_EQ(StepsStoodDown(*all.playbook, "innocent", all.playbook->triggers[0].then[0]),
            (std::vector<std::string>{"report", "archive"}));
}

TEST(TriggersTest, AStandDownNeedsAPhaseAndAReason) {
  EXPECT_TRUE(testing::HasDiagnostic(
      LoadStandDown("      - stand_down: wrk\n        reason: x\n"),
      "t.yaml:35:21: error: 'wrk' is neither 'deployment' nor a phase"));
  EXPECT_TRUE(testing::HasHint(LoadStandDown("      - stand_down: wrk\n        reason: x\n"),
                               "did you mean 'work'?"));
  EXPECT_TRUE(testing::HasDiagnostic(
      LoadStandDown("      - stand_down: work\n"),
      "t.yaml:35:9: error: an action of trigger 'innocent' stands down without a reason"));
  EXPECT_TRUE(testing::HasDiagnostic(
      LoadStandDown("      - alert: Look\n        reason: x\n"),
      "t.yaml:36:9: error: 'reason' applies to stand_down only"));
}

}  // namespace
}  // namespace muster::playbook
