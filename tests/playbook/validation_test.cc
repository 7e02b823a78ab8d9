// One test per validation rule: a minimal failing playbook, the exact message and where.
#include <gtest/gtest.h>

#include "muster/playbook/load.h"
#include "test_util.h"

namespace muster::playbook {
namespace {

using testing::Edit;
using testing::HasDiagnostic;
using testing::HasHint;
using testing::kMinimal;
using testing::Load;
using testing::AllDiagnostics;

// kMinimal plus a trigger block; the trigger's `when:` is on line 27, its value at col 11.
std::string WithTrigger(const std::string& when, const std::string& then = "      - alert: x\n") {
  return std::string(kMinimal) +
         "triggers:\n"
         "  - id: t1\n"
         "    when: " +
         when +
         "\n"
         "    then:\n" +
         then;
}

// kMinimal with survey's findings replaced by |findings| (starting on line 17).
std::string WithFindings(const std::string& findings) {
  return Edit(kMinimal, "      - id: dose_rate\n        type: number\n        unit: µSv/h\n",
              findings);
}

TEST(ValidationTest, YamlSyntaxErrorHasPosition) {
  const LoadResult result = Load(Edit(kMinimal, "title: Demo", "title: [Demo"));
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u) << testing::AllDiagnostics(result);
  const Diagnostic& d = result.diagnostics[0];
  EXPECT_EQ(d.message.rfind("YAML syntax error: ", 0), 0u) << d.message;
  EXPECT_GE(d.pos.line, 3);
  EXPECT_GT(d.pos.column, 0);
}

TEST(ValidationTest, UnknownKeySuggestsTheNearKey) {
  const LoadResult result =
      Load(Edit(kMinimal, "    phase: work\n    role: lead\n    findings",
                "    phase: work\n    role: lead\n    priorty: high\n    findings"));
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:16:5: error: unknown key 'priorty' in step 'survey'"));
  EXPECT_TRUE(HasHint(result, "did you mean 'priority'?"));
}

TEST(ValidationTest, UnknownKeyFarFromAnyListsTheKeys) {
  const LoadResult result = Load(Edit(kMinimal, "title: Demo\n", "title: Demo\nwibble: 1\n"));
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:4:1: error: unknown key 'wibble' in the playbook"));
  EXPECT_TRUE(HasHint(result,
                      "keys are: id, version, title, hazards, summary, authors, roles, "
                      "parameters, phases, include, steps, triggers, valid_from, "
                      "valid_until, marking"));
}

TEST(ValidationTest, MissingRequiredKey) {
  const LoadResult result = Load(Edit(kMinimal, "    role: lead\n    findings:", "    findings:"));
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:12:5: error: step 'survey' has no 'role'"));
  EXPECT_TRUE(HasHint(result, "add 'role:' to it"));
}

TEST(ValidationTest, MissingTopLevelKey) {
  const LoadResult result = Load(Edit(kMinimal, "hazards: [radiological]\n", ""));
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:1:1: error: the playbook has no 'hazards'"));
}

TEST(ValidationTest, RepeatedKey) {
  const LoadResult result =
      Load(Edit(kMinimal, "    title: Report\n", "    title: Report\n    title: Again\n"));
  EXPECT_TRUE(
      HasDiagnostic(result, "t.yaml:22:5: error: key 'title' appears twice in step 'report'"));
  EXPECT_TRUE(HasHint(result, "keep one; the first is at line 21"));
}

TEST(ValidationTest, DuplicateStepId) {
  const LoadResult result = Load(Edit(kMinimal, "  - id: report", "  - id: survey"));
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:20:5: error: two steps have the id 'survey'"));
  EXPECT_TRUE(HasHint(result, "rename one; the first is at line 12"));
}

TEST(ValidationTest, DuplicateRoleId) {
  const LoadResult result = Load(
      Edit(kMinimal, "    title: Lead\n", "    title: Lead\n  - id: lead\n    title: Second\n"));
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:8:5: error: two roles have the id 'lead'"));
}

TEST(ValidationTest, DuplicateFindingId) {
  const LoadResult result =
      Load(WithFindings("      - id: dose_rate\n        type: number\n        unit: µSv/h\n"
                        "      - id: dose_rate\n        type: text\n"));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:20:9: error: step 'survey' has two findings with id 'dose_rate'"));
}

TEST(ValidationTest, UnknownRole) {
  const LoadResult result =
      Load(Edit(kMinimal, "    role: lead\n    findings:", "    role: leader\n    findings:"));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:15:11: error: step 'survey' names role 'leader', which is not defined"));
  EXPECT_TRUE(HasHint(result, "did you mean 'lead'?"));
}

TEST(ValidationTest, UnknownPhase) {
  const LoadResult result = Load(Edit(kMinimal, "    phase: work\n    role: lead\n    depends",
                                      "    phase: wrok\n    role: lead\n    depends"));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:22:12: error: step 'report' names phase 'wrok', which is not defined"));
  EXPECT_TRUE(HasHint(result, "did you mean 'work'?"));
}

TEST(ValidationTest, UnknownDependency) {
  const LoadResult result = Load(Edit(kMinimal, "[survey]", "[survey, anlyse]"));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:24:26: error: step 'report' depends on 'anlyse', which is not a step"));
  EXPECT_TRUE(HasHint(result, "steps are: survey, report"));
}

TEST(ValidationTest, SelfDependency) {
  const LoadResult result = Load(Edit(kMinimal, "[survey]", "[report]"));
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:24:18: error: step 'report' depends on itself"));
}

TEST(ValidationTest, DependencyCycleIsNamed) {
  const LoadResult result = Load(Edit(kMinimal, "    role: lead\n    findings:",
                                      "    role: lead\n    depends_on: [report]\n    findings:"));
  EXPECT_TRUE(
      HasDiagnostic(result, "t.yaml:16:18: error: dependency cycle: survey -> report -> survey"));
}

TEST(ValidationTest, StepWaitingOnACycleCanNeverBecomeReady) {
  std::string text = Edit(kMinimal, "    role: lead\n    findings:",
                          "    role: lead\n    depends_on: [report]\n    findings:");
  text +=
      "  - id: archive\n    title: Archive\n    phase: work\n    role: lead\n"
      "    depends_on: [report]\n";
  const LoadResult result = Load(text);
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:30:18: error: step 'archive' can never become ready: it "
                            "waits on 'report', which is in a dependency cycle"));
}

TEST(ValidationTest, OnTriggerStepThatNoTriggerActivates) {
  const LoadResult result = Load(Edit(kMinimal, "    depends_on: [survey]\n",
                                      "    depends_on: [survey]\n    on_trigger: true\n"));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:20:5: error: step 'report' is on_trigger, but no trigger activates it"));
  EXPECT_TRUE(
      HasHint(result, "add '- activate: report' to a trigger's or an escalation's then, or "
                      "remove on_trigger"));
}

TEST(ValidationTest, ActivatingAStepThatIsNotOnTrigger) {
  const LoadResult result = Load(WithTrigger("survey.dose_rate > 1", "      - activate: report\n"));
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:29:9: error: trigger 't1' activates step 'report', which is "
                            "not on_trigger"));
}

TEST(ValidationTest, ActivatingAnUnknownStep) {
  const LoadResult result = Load(WithTrigger("survey.dose_rate > 1", "      - activate: reprot\n"));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:29:9: error: trigger 't1' activates 'reprot', which is not a step"));
  EXPECT_TRUE(HasHint(result, "did you mean 'report'?"));
}

TEST(ValidationTest, ActionNeedsExactlyOneKind) {
  const LoadResult result =
      Load(WithTrigger("survey.dose_rate > 1", "      - alert: x\n        notify: y\n"));
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:29:9: error: an action of trigger 't1' must have exactly one "
                            "of activate, alert, notify, stand_down"));
}

TEST(ValidationTest, AlertSeverityMustBeKnown) {
  const LoadResult result =
      Load(WithTrigger("survey.dose_rate > 1", "      - alert: x\n        severity: urgent\n"));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:30:19: error: 'severity' of an action of trigger 't1' cannot be 'urgent'"));
}

TEST(ValidationTest, TriggerExpressionSyntaxErrorPointsIntoTheLine) {
  const LoadResult result = Load(WithTrigger("survey.dose_rate >= 100 and"));
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:27:38: error: in the condition of trigger 't1': expected a "
                            "value or a step.field reference, but the condition ends"));
}

TEST(ValidationTest, TriggerExpressionSyntaxErrorInQuotedScalar) {
  const LoadResult result = Load(WithTrigger("\"survey.dose_rate = 100\""));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:27:29: error: in the condition of trigger 't1': unexpected '='"));
  EXPECT_TRUE(HasHint(result, "compare with '=='"));
}

TEST(ValidationTest, TriggerComparesNumberWithText) {
  const LoadResult result = Load(WithTrigger("survey.dose_rate > \"high\""));
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:27:30: error: in the condition of trigger 't1': cannot compare "
                            "survey.dose_rate (a number) with \"high\" (text)"));
}

TEST(ValidationTest, TriggerReadsUnknownField) {
  const LoadResult result = Load(WithTrigger("survey.dose > 1"));
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:27:18: error: in the condition of trigger 't1': step 'survey' "
                            "has no finding 'dose'"));
  EXPECT_TRUE(HasHint(result, "did you mean 'dose_rate'?"));
}

TEST(ValidationTest, TriggerComparesEnumWithUnknownOption) {
  std::string text =
      WithFindings("      - id: nuclide\n        type: enum\n        options: [Cs-137, Co-60]\n");
  text +=
      "triggers:\n  - id: t1\n    when: survey.nuclide == \"Cs137\"\n    then:\n"
      "      - alert: x\n";
  const LoadResult result = Load(text);
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:27:29: error: in the condition of trigger 't1': \"Cs137\" is "
                            "not an option of survey.nuclide"));
  EXPECT_TRUE(HasHint(result, "did you mean 'Cs-137'?"));
}

TEST(ValidationTest, TriggerReadsUnknownParameter) {
  const LoadResult result = Load(WithTrigger("survey.dose_rate > param.limit"));
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:27:36: error: in the condition of trigger 't1': there is no "
                            "parameter 'limit'"));
}

TEST(ValidationTest, TriggerConditionMustBeTrueOrFalse) {
  const LoadResult result = Load(WithTrigger("survey.dose_rate"));
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:27:11: error: in the condition of trigger 't1': the condition "
                            "is a number (survey.dose_rate), not true/false"));
}

TEST(ValidationTest, NumberWithoutUnitIsAWarning) {
  const LoadResult result = Load(WithFindings("      - id: count\n        type: number\n"));
  EXPECT_TRUE(result.ok());
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:17:9: warning: number finding 'count' has no unit"));
}

TEST(ValidationTest, MinGreaterThanMax) {
  const LoadResult result = Load(WithFindings(
      "      - id: dose_rate\n        type: number\n        unit: µSv/h\n        min: 10\n"
      "        max: 1\n"));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:21:14: error: min of finding 'dose_rate' is greater than its max"));
}

TEST(ValidationTest, ReportRolesAreReadAndChecked) {
  const LoadResult good = Load(WithFindings(
      "      - id: what\n        type: enum\n        options: [Cs-137, U-235]\n"
      "        report: material\n"
      "      - id: grams\n        type: number\n        unit: g\n        report: quantity\n"
      "      - id: via\n        type: text\n        report: transit\n"));
  ASSERT_TRUE(good.ok());
  const auto& fields = good.playbook->steps.front().findings;
  EXPECT_EQ(fields[0].report, ReportRole::kMaterial);
  EXPECT_EQ(fields[1].report, ReportRole::kQuantity);
  EXPECT_EQ(fields[2].report, ReportRole::kTransit);

  const LoadResult bad = Load(WithFindings(
      "      - id: grams\n        type: number\n        unit: g\n        report: quantity\n"
      "      - id: from\n        type: text\n        report: origin\n"
      "      - id: from2\n        type: text\n        report: origin\n"
      "      - id: how\n        type: text\n        report: quantity\n"
      "      - id: odd\n        type: text\n        report: smuggled\n"
      "      - id: flag\n        type: boolean\n        report: method\n"));
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(HasDiagnostic(
      bad, "t.yaml:17:9: error: finding 'grams' of step 'survey' is a quantity of no material"));
  EXPECT_TRUE(HasDiagnostic(bad,
                            "t.yaml:24:9: error: step 'survey' has two findings with report: "
                            "origin ('from' and 'from2')"));
  EXPECT_TRUE(HasDiagnostic(
      bad, "t.yaml:27:9: error: finding 'how' of step 'survey' is text, which cannot be report: "
           "quantity"));
  EXPECT_TRUE(HasDiagnostic(
      bad, "t.yaml:32:17: error: 'report' of a finding of step 'survey' cannot be 'smuggled'"));
  EXPECT_TRUE(HasDiagnostic(
      bad, "t.yaml:35:9: error: 'report' does not apply to finding 'flag', which is boolean"));

  const LoadResult unitless = Load(WithFindings(
      "      - id: what\n        type: text\n        report: material\n"
      "      - id: n\n        type: number\n        report: quantity\n"));
  EXPECT_TRUE(HasDiagnostic(
      unitless, "t.yaml:20:9: error: finding 'n' of step 'survey' is a quantity without a unit"));
}

TEST(ValidationTest, KeyThatDoesNotApplyToTheType) {
  const LoadResult result =
      Load(WithFindings("      - id: note\n        type: text\n        unit: m\n"));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:19:9: error: 'unit' does not apply to finding 'note', which is text"));
}

TEST(ValidationTest, UnknownFieldTypeSuggests) {
  const LoadResult result = Load(WithFindings("      - id: where\n        type: geolocaton\n"));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:18:15: error: 'type' of a finding of step 'survey' cannot be 'geolocaton'"));
  EXPECT_TRUE(HasHint(result, "did you mean 'geolocation'?"));
}

TEST(ValidationTest, EnumWithoutOptions) {
  const LoadResult result = Load(WithFindings("      - id: kind\n        type: enum\n"));
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:17:9: error: enum finding 'kind' has no options"));
}

TEST(ValidationTest, EnumWithRepeatedOption) {
  const LoadResult result =
      Load(WithFindings("      - id: kind\n        type: enum\n        options: [a, b, a]\n"));
  EXPECT_TRUE(
      HasDiagnostic(result, "t.yaml:17:9: error: option 'a' of finding 'kind' is listed twice"));
}

TEST(ValidationTest, SampleIdPatternMustBeARegex) {
  const LoadResult result = Load(
      WithFindings("      - id: sample\n        type: sample_id\n        pattern: \"^RN-[0-9\"\n"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.diagnostics[0].pos.line, 19);
  EXPECT_EQ(result.diagnostics[0].pos.column, 18);
  EXPECT_EQ(result.diagnostics[0].message.rfind(
                "pattern of finding 'sample' is not a regular expression RE2 can use", 0),
            0u)
      << result.diagnostics[0].message;
}

// Backreferences and lookaround cannot be matched in linear time: RE2 refuses them, and so
// does lint, rather than leave a value to take exponential time on the agent.
TEST(ValidationTest, SampleIdPatternsRe2CannotUseAreRefused) {
  for (const std::string pattern : {"^(a)\\\\1$", "^RN-(?=[0-9])[0-9]{4}$"}) {
    const LoadResult result = Load(WithFindings(
        "      - id: sample\n        type: sample_id\n        pattern: \"" + pattern + "\"\n"));
    ASSERT_FALSE(result.ok()) << pattern;
    EXPECT_NE(result.diagnostics[0].message.find("RE2 can use"), std::string::npos)
        << result.diagnostics[0].message;
  }
  // A nested repetition is fine: RE2 matches it in linear time.
  EXPECT_TRUE(Load(WithFindings(
                       "      - id: sample\n        type: sample_id\n        pattern: \"^(a+)+$\"\n"))
                  .ok());
}

TEST(ValidationTest, VersionMustBeSemantic) {
  const LoadResult result = Load(Edit(kMinimal, "version: \"1.0.0\"", "version: 1.0"));
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:2:10: error: version '1.0' is not a semantic version"));
}

TEST(ValidationTest, SemverAcceptsPrereleaseAndBuild) {
  EXPECT_TRUE(Load(Edit(kMinimal, "\"1.0.0\"", "\"2.10.3-rc.1+build.5\"")).ok());
  EXPECT_FALSE(Load(Edit(kMinimal, "\"1.0.0\"", "\"01.0.0\"")).ok());
  EXPECT_FALSE(Load(Edit(kMinimal, "\"1.0.0\"", "\"1.0.0-01\"")).ok());
}

TEST(ValidationTest, UnknownHazardSuggests) {
  const LoadResult result = Load(Edit(kMinimal, "[radiological]", "[radiologcal]"));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:4:11: error: 'hazards' of the playbook cannot be 'radiologcal'"));
  EXPECT_TRUE(HasHint(result, "did you mean 'radiological'?"));
}

TEST(ValidationTest, DueInMustBeADuration) {
  const LoadResult result = Load(
      Edit(kMinimal, "    depends_on: [survey]\n", "    depends_on: [survey]\n    due_in: soon\n"));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:25:13: error: due_in 'soon' of step 'report' is not a duration"));
}

TEST(ValidationTest, PriorityMustBeKnown) {
  const LoadResult result = Load(Edit(kMinimal, "    depends_on: [survey]\n",
                                      "    depends_on: [survey]\n    priority: urgent\n"));
  EXPECT_TRUE(
      HasDiagnostic(result, "t.yaml:25:15: error: 'priority' of step 'report' cannot be 'urgent'"));
}

TEST(ValidationTest, StepIdMustBeAnIdentifier) {
  const LoadResult result = Load(Edit(kMinimal, "  - id: report", "  - id: Report-1"));
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:20:9: error: id 'Report-1' of a step is not valid"));
}

TEST(ValidationTest, PlaybookIdMustBeKebabCase) {
  const LoadResult result = Load(Edit(kMinimal, "id: demo", "id: Demo Playbook"));
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:1:5: error: playbook id 'Demo Playbook' is not valid"));
}

TEST(ValidationTest, ParameterDefaultMustMatchItsType) {
  const std::string text =
      std::string(kMinimal) + "parameters:\n  - id: limit\n    type: number\n    default: lots\n";
  const LoadResult result = Load(text);
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:28:14: error: 'default' of parameter 'limit' must be a number, "
                            "not 'lots'"));
}

TEST(ValidationTest, ListExpectedButScalarGiven) {
  const LoadResult result = Load(Edit(kMinimal, "[survey]", "survey"));
  EXPECT_TRUE(
      HasDiagnostic(result,
                    "t.yaml:24:17: error: 'depends_on' of step 'report' must be a list, not "
                    "'survey'"));
}

TEST(ValidationTest, TopLevelMustBeAMap) {
  const LoadResult result = Load("- just\n- a list\n");
  EXPECT_TRUE(
      HasDiagnostic(result, "t.yaml:1:1: error: the playbook must be a map of keys, not a list"));
}

TEST(ValidationTest, OneDocumentPerFile) {
  const LoadResult result = Load(std::string(kMinimal) + "---\nid: other\n");
  EXPECT_TRUE(
      HasDiagnostic(result, "t.yaml:25:1: error: the file holds more than one YAML document"));
}

TEST(ValidationTest, UnusedRoleIsAWarning) {
  const LoadResult result = Load(
      Edit(kMinimal, "    title: Lead\n", "    title: Lead\n  - id: spare\n    title: Spare\n"));
  EXPECT_TRUE(result.ok());
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:8:5: warning: role 'spare' has no steps"));
}

TEST(ValidationTest, StepCannotBeCalledParam) {
  const LoadResult result = Load(Edit(kMinimal, "  - id: report", "  - id: param"));
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:20:5: error: a step cannot be called 'param'"));
}

TEST(ValidationTest, ARoutineStepWaitingOnADormantStepWarns) {
  // survey waits for a trigger; report, a routine step, waits on it.
  const std::string text = Edit(kMinimal, "    role: lead\n    findings:",
                                "    role: lead\n    on_trigger: true\n    findings:") +
                           "triggers:\n"
                           "  - id: wake\n"
                           "    when: survey.dose_rate > 1\n"
                           "    then: [{activate: survey}]\n";
  const LoadResult result = Load(text);
  EXPECT_TRUE(result.ok()) << AllDiagnostics(result);
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:25:18: warning: step 'report' waits on 'survey', which is "
                            "on_trigger: if no trigger activates 'survey', 'report' is never ready"));
}

TEST(ValidationTest, AnOptionalRoleSaysWhatItsDependantsDoWhenItIsEmpty) {
  const std::string text =
      Edit(Edit(kMinimal, "  - id: lead\n    title: Lead\n",
                "  - id: lead\n    title: Lead\n  - id: aide\n    title: Aide\n"
                "    required: false\n"),
           "    phase: work\n    role: lead\n    findings:",
           "    phase: work\n    role: aide\n    findings:");
  LoadResult result = Load(text);
  EXPECT_TRUE(result.ok()) << AllDiagnostics(result);
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:8:5: warning: optional role 'aide' does not say what 'report', "
                            "which waits on its step 'survey', does when a deployment leaves the "
                            "role empty"));
  for (const std::string choice : {"skip", "wait"}) {
    result = Load(Edit(text, "    required: false\n",
                       "    required: false\n    when_empty: " + choice + "\n"));
    EXPECT_TRUE(result.ok() && result.diagnostics.empty()) << AllDiagnostics(result);
    EXPECT_EQ(WaitsForEmptyRole(*result.playbook, "survey"), choice == "wait");
  }
  EXPECT_FALSE(Load(Edit(text, "    required: false\n", "    when_empty: wait\n")).ok())
      << "when_empty on a required role";
  EXPECT_FALSE(Load(Edit(text, "    required: false\n",
                         "    required: false\n    when_empty: later\n")).ok());
}

TEST(ValidationTest, EmptyIdIsReportedOnceAndNeverNamedElsewhere) {
  const LoadResult result =
      Load(Edit(Edit(kMinimal, "id: survey", "id: \"\""), "title: Survey", "titel: Survey"));
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:12:9: error: id '' of a step is not valid"));
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:13:5: error: unknown key 'titel' in a step"));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:24:18: error: step 'report' depends on 'survey', which is not a step"));
  EXPECT_TRUE(HasHint(result, "steps are: report"));
  int empty_names = 0;
  for (const Diagnostic& d : result.diagnostics) {
    empty_names += (d.message + d.hint).find("''") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(empty_names, 1) << testing::AllDiagnostics(result);
}

}  // namespace
}  // namespace muster::playbook
