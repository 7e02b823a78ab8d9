// EvaluateTriggers: which triggers fire for a set of recorded findings.
#include "muster/playbook/triggers.h"

#include <gtest/gtest.h>

#include "muster/playbook/load.h"
#include "test_util.h"

namespace muster::playbook {
namespace {

// kMinimal with a dormant step "expand", then |rest| (triggers, parameters), loaded.
Playbook WithExpand(const std::string& rest) {
  const std::string text = std::string(testing::kMinimal) +
                           "  - id: expand\n"
                           "    title: Expand the cordon\n"
                           "    phase: work\n"
                           "    role: lead\n"
                           "    on_trigger: true\n" +
                           rest;
  LoadResult result = LoadText(text, "t.yaml");
  EXPECT_TRUE(result.ok()) << testing::AllDiagnostics(result);
  return result.ok() ? *result.playbook : Playbook{};
}

Playbook WithTriggers() {
  return WithExpand("parameters:\n"
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
                    "      - notify: Withdraw and call for support\n");
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

// kMinimal's survey decides, by "high", between expanding (then) and standing down (else).
Playbook WithElse() {
  return WithExpand("triggers:\n"
                    "  - id: high\n"
                    "    when: survey.dose_rate >= 100\n"
                    "    then:\n"
                    "      - activate: expand\n"
                    "    else:\n"
                    "      - stand_down: work\n"
                    "        reason: Background only\n");
}

TEST(TriggersTest, ElseRunsWhenTheStepsItReadsAreDoneAndTheConditionIsFalse) {
  static const Playbook playbook = WithElse();
  const auto ids = [&](const FindingValues& values, const std::set<std::string>& fired,
                       const std::set<std::string>& done) {
    std::vector<std::string> out;
    for (const FiredTrigger& f : EvaluateTriggers(playbook, values, fired, done)) {
      out.push_back(f.trigger_id);
    }
    return out;
  };
  using Ids = std::vector<std::string>;
  EXPECT_EQ(ids({{"survey.dose_rate", 5.0}}, {}, {}), Ids{});  // survey not done yet
  EXPECT_EQ(ids({}, {}, {"survey"}), Ids{});                   // unknown decides nothing
  EXPECT_EQ(ids({{"survey.dose_rate", 5.0}}, {}, {"survey"}), Ids{"high/else"});
  EXPECT_EQ(ids({{"survey.dose_rate", 500.0}}, {}, {"survey"}), Ids{"high"});
  // Decided once, by either branch.
  EXPECT_EQ(ids({{"survey.dose_rate", 500.0}}, {"high/else"}, {"survey"}), Ids{});
  EXPECT_EQ(ids({{"survey.dose_rate", 5.0}}, {"high"}, {"survey"}), Ids{});
  const FiredBranch branch = FindFired(playbook, "high/else");
  ASSERT_NE(branch.trigger, nullptr);
  ASSERT_EQ(branch.actions->size(), 1u);
  EXPECT_EQ((*branch.actions)[0].kind, ActionKind::kStandDown);
  EXPECT_EQ(FindFired(playbook, "high/elsewhere").trigger, nullptr);
  // The else's stand-down spares the step that decided it.
  EXPECT_EQ(StepsStoodDown(playbook, "high/else", (*branch.actions)[0]),
            (std::vector<std::string>{"report", "expand"}));
}

TEST(TriggersTest, AnElseNeedsAConditionThatReadsAStep) {
  const std::string text = std::string(testing::kMinimal) +
                           "parameters:\n"
                           "  - {id: drill, type: boolean, default: false}\n"
                           "triggers:\n"
                           "  - id: t1\n"
                           "    when: param.drill\n"
                           "    then:\n"
                           "      - notify: drill\n"
                           "    else:\n"
                           "      - notify: real\n";
  EXPECT_TRUE(testing::HasDiagnostic(
      LoadText(text, "t.yaml"),
      "t.yaml:29:11: error: trigger 't1' has an else, but its condition reads no step's "
      "findings"));
}

}  // namespace
}  // namespace muster::playbook
