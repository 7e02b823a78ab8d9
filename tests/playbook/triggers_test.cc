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

}  // namespace
}  // namespace muster::playbook
