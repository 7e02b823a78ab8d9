// Recurring steps and escalations: what the loader accepts and refuses, and the rules in
// playbook/schedule.h that the agent and HQ both apply.
#include "muster/playbook/schedule.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace muster::playbook {
namespace {

using testing::Edit;
using testing::HasDiagnostic;
using testing::kMinimal;
using testing::Load;

constexpr Millis kMinute = 60'000;

// kMinimal with |keys| added to step report (its last line is line 24).
std::string WithReportKeys(const std::string& keys) {
  return Edit(kMinimal, "    depends_on: [survey]\n", "    depends_on: [survey]\n" + keys);
}

TEST(ScheduleLoadTest, ARecurringStepWithEscalationsLoads) {
  const LoadResult result = Load(WithReportKeys(
      "    every: 30m\n"
      "    times: 4\n"
      "    escalate:\n"
      "      - when: overdue\n"
      "        after: 10m\n"
      "        then:\n"
      "          - alert: Report late\n"
      "            severity: critical\n"
      "          - notify: The report is late\n"
      "            to: lead\n"
      "      - when: blocked\n"
      "        then:\n"
      "          - alert: Report blocked\n"));
  ASSERT_TRUE(result.ok()) << testing::AllDiagnostics(result);
  const Step* report = result.playbook->FindStep("report");
  EXPECT_EQ(report->every_ms, 30 * kMinute);
  EXPECT_EQ(report->times, 4);
  ASSERT_EQ(report->escalate.size(), 2u);
  EXPECT_EQ(report->escalate[0].when, EscalateWhen::kOverdue);
  EXPECT_EQ(report->escalate[0].after_ms, 10 * kMinute);
  ASSERT_EQ(report->escalate[0].then.size(), 2u);
  EXPECT_EQ(report->escalate[0].then[0].severity, "critical");
  EXPECT_EQ(report->escalate[0].then[1].role, "lead");
  EXPECT_EQ(report->escalate[1].when, EscalateWhen::kBlocked);
  EXPECT_EQ(report->escalate[1].then[0].severity, "warning");
}

TEST(ScheduleLoadTest, APeriodUnderAMinuteOrNotADurationIsRefused) {
  EXPECT_TRUE(HasDiagnostic(Load(WithReportKeys("    every: 30s\n")),
                            "t.yaml:25:12: error: every '30s' of step 'report' is shorter "
                            "than one minute"));
  EXPECT_TRUE(HasDiagnostic(Load(WithReportKeys("    every: often\n")),
                            "t.yaml:25:12: error: every 'often' of step 'report' is not a "
                            "duration"));
}

TEST(ScheduleLoadTest, TimesNeedsEveryAndAWholeNumber) {
  EXPECT_TRUE(HasDiagnostic(Load(WithReportKeys("    times: 3\n")),
                            "t.yaml:25:5: error: 'times' applies to recurring steps only"));
  EXPECT_TRUE(HasDiagnostic(Load(WithReportKeys("    every: 1h\n    times: 2.5\n")),
                            "t.yaml:26:12: error: times of step 'report' must be a whole "
                            "number from 1 to 1000"));
}

TEST(ScheduleLoadTest, AnOverdueEscalationNeedsADueTime) {
  const LoadResult result = Load(WithReportKeys(
      "    escalate:\n      - when: overdue\n        then:\n          - alert: late\n"));
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:26:9: error: step 'report' escalates when overdue, but has "
                            "no due time"));
}

TEST(ScheduleLoadTest, AnEscalationCannotStandDownNorUseAfterWhenBlocked) {
  const LoadResult stand_down = Load(WithReportKeys(
      "    due_in: 1h\n    escalate:\n      - when: overdue\n        then:\n"
      "          - stand_down: work\n            reason: late\n"));
  EXPECT_TRUE(HasDiagnostic(stand_down, "t.yaml:29:13: error: an escalation cannot stand down"));
  const LoadResult after = Load(WithReportKeys(
      "    escalate:\n      - when: blocked\n        after: 5m\n        then:\n"
      "          - alert: blocked\n"));
  EXPECT_TRUE(HasDiagnostic(after, "t.yaml:27:9: error: 'after' applies to 'when: overdue' only"));
}

TEST(ScheduleLoadTest, EscalationTargetsMustExist) {
  const LoadResult result = Load(WithReportKeys(
      "    due_in: 1h\n    escalate:\n      - when: overdue\n        then:\n"
      "          - activate: survey\n          - notify: late\n            to: leed\n"));
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:29:13: error: the overdue escalation of step 'report' "
                            "activates step 'survey', which is not on_trigger"));
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:30:13: error: the overdue escalation of step 'report' "
                            "notifies 'leed', which is not a role"));
}

TEST(ScheduleLoadTest, AStepOnlyAnEscalationActivatesIsNotReportedDormant) {
  const LoadResult result = Load(Edit(
      WithReportKeys("    due_in: 1h\n    escalate:\n      - when: overdue\n        then:\n"
                     "          - activate: backup\n"),
      "steps:\n", "steps:\n  - id: backup\n    title: Backup\n    phase: work\n    role: lead\n"
                  "    on_trigger: true\n"));
  EXPECT_TRUE(result.ok()) << testing::AllDiagnostics(result);
}

TEST(OccurrenceTest, IdsRoundTripAndMalformedSuffixesAreRefused) {
  EXPECT_EQ(OccurrenceId("d1.sitrep.amira", 1), "d1.sitrep.amira");
  EXPECT_EQ(OccurrenceId("d1.sitrep.amira", 7), "d1.sitrep.amira#7");
  const auto seventh = ParseOccurrence("d1.sitrep.amira#7");
  ASSERT_TRUE(seventh);
  EXPECT_EQ(seventh->base, "d1.sitrep.amira");
  EXPECT_EQ(seventh->number, 7);
  EXPECT_EQ(ParseOccurrence("d1.sitrep.amira")->number, 1);
  for (const char* bad : {"d1.x.a#0", "d1.x.a#1", "d1.x.a#", "d1.x.a#x", "d1.x.a#07", "#3",
                          "d1.x.a#99999999999999999999"}) {
    EXPECT_FALSE(ParseOccurrence(bad)) << bad;
  }
}

TEST(OccurrenceTest, OccurrencesOpenEachPeriodUpToTimes) {
  Step step;
  step.every_ms = 30 * kMinute;
  const Millis ready = 1'000'000;
  EXPECT_EQ(OccurrencesOpen(step, ready, ready - 5), 1);
  EXPECT_EQ(OccurrencesOpen(step, ready, ready), 1);
  EXPECT_EQ(OccurrencesOpen(step, ready, ready + 30 * kMinute - 1), 1);
  EXPECT_EQ(OccurrencesOpen(step, ready, ready + 30 * kMinute), 2);
  EXPECT_EQ(OccurrencesOpen(step, ready, ready + 95 * kMinute), 4);
  step.times = 3;
  EXPECT_EQ(OccurrencesOpen(step, ready, ready + 1000 * kMinute), 3);
  step.times = 0;
  EXPECT_EQ(OccurrencesOpen(step, ready, ready + 100LL * 365 * 24 * 60 * kMinute),
            kMaxOccurrences);
  // Due one period after opening, or due_in when the step has one.
  EXPECT_EQ(OccurrenceAt(step, ready, 3).opens_at, ready + 60 * kMinute);
  EXPECT_EQ(OccurrenceAt(step, ready, 3).due_at, ready + 90 * kMinute);
  step.due_in_ms = 10 * kMinute;
  EXPECT_EQ(OccurrenceAt(step, ready, 3).due_at, ready + 70 * kMinute);
}

TEST(EscalationTest, OverdueAfterTheGraceBlockedWhileBlockedEachOnce) {
  Step step;
  Escalation overdue;
  overdue.when = EscalateWhen::kOverdue;
  overdue.after_ms = 5 * kMinute;
  Escalation blocked;
  blocked.when = EscalateWhen::kBlocked;
  step.escalate = {overdue, blocked};
  const Millis due = 10 * kMinute;
  const auto ids = [&](const std::string& state, Millis now, const std::set<std::string>& fired) {
    std::vector<std::string> out;
    for (const DueEscalation& hit : DueEscalations(step, "d1.a.b", state, due, now, fired)) {
      out.push_back(hit.id);
    }
    return out;
  };
  using Ids = std::vector<std::string>;
  EXPECT_EQ(ids("ready", due + 5 * kMinute, {}), Ids{});
  EXPECT_EQ(ids("ready", due + 5 * kMinute + 1, {}), Ids{"escalate:d1.a.b:0"});
  EXPECT_EQ(ids("completed", due + 60 * kMinute, {}), Ids{});
  EXPECT_EQ(ids("blocked", due + 60 * kMinute, {}), (Ids{"escalate:d1.a.b:0", "escalate:d1.a.b:1"}));
  EXPECT_EQ(ids("blocked", 0, {}), Ids{"escalate:d1.a.b:1"});
  EXPECT_EQ(ids("blocked", due + 60 * kMinute, {"escalate:d1.a.b:0", "escalate:d1.a.b:1"}), Ids{});
  EXPECT_TRUE(DueEscalations(step, "d1.a.b", "ready", std::nullopt, due * 100, {}).empty());
  const auto ref = ParseEscalationId("escalate:d1.a.b#3:1");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->task, "d1.a.b#3");
  EXPECT_EQ(ref->index, 1u);
  EXPECT_FALSE(ParseEscalationId("innocent_alarm"));
  EXPECT_FALSE(ParseEscalationId("escalate::1"));
  EXPECT_FALSE(ParseEscalationId("escalate:d1.a.b:x"));
}

}  // namespace
}  // namespace muster::playbook
