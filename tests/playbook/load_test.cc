// Loading a valid playbook: the model it builds, its source and identity.
#include "muster/playbook/load.h"

#include <gtest/gtest.h>

#include "playbook/source.h"
#include "test_util.h"

namespace muster::playbook {
namespace {

using testing::Edit;
using testing::HasDiagnostic;
using testing::kMinimal;
using testing::Load;

TEST(LoadTest, MinimalPlaybookBuildsTheModel) {
  const LoadResult result = Load(kMinimal);
  ASSERT_TRUE(result.ok()) << testing::AllDiagnostics(result);
  EXPECT_TRUE(result.diagnostics.empty()) << testing::AllDiagnostics(result);
  const Playbook& p = *result.playbook;
  EXPECT_EQ(p.id, "demo");
  EXPECT_EQ(p.version, "1.0.0");
  ASSERT_EQ(p.hazards.size(), 1u);
  EXPECT_EQ(p.hazards[0], Hazard::kRadiological);
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_EQ(p.steps[1].depends_on, std::vector<std::string>{"survey"});
  EXPECT_EQ(p.steps[0].pos.line, 12);
  EXPECT_EQ(p.steps[0].pos.column, 5);
  ASSERT_EQ(p.steps[0].findings.size(), 1u);
  EXPECT_EQ(p.steps[0].findings[0].unit, "µSv/h");
  EXPECT_EQ(p.steps[0].findings[0].label, "dose_rate");  // defaults to the id
  ASSERT_NE(p.FindRole("lead"), nullptr);
  EXPECT_EQ(p.FindStep("nope"), nullptr);
}

TEST(LoadTest, EveryStepKeyIsRead) {
  const std::string text = Edit(kMinimal, "    depends_on: [survey]\n",
                                "    depends_on: [survey]\n"
                                "    instructions: |\n"
                                "      Call **HQ**.\n"
                                "    checklist: [Call placed, Log written]\n"
                                "    due_in: 1h30m\n"
                                "    priority: critical\n");
  const LoadResult result = Load(text);
  ASSERT_TRUE(result.ok()) << testing::AllDiagnostics(result);
  const Step& report = result.playbook->steps[1];
  EXPECT_EQ(report.instructions, "Call **HQ**.\n");
  EXPECT_EQ(report.checklist.size(), 2u);
  EXPECT_EQ(report.due_in_ms, 90 * 60 * 1000);
  EXPECT_EQ(report.priority, Priority::kCritical);
}

TEST(LoadTest, SourceIsTheTextAndTheHashIsItsSha256) {
  const LoadResult result = Load(kMinimal);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.playbook->source, kMinimal);
  // sha256 is 64 lowercase hex digits; a one-byte change changes it.
  EXPECT_EQ(result.playbook->content_hash.size(), 64u);
  const LoadResult other = Load(Edit(kMinimal, "title: Demo", "title: Demo!"));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other.playbook->content_hash, result.playbook->content_hash);
}

TEST(LoadTest, DiagnosticFormat) {
  Diagnostic d{Severity::kError, "a.yaml", {3, 7}, "something is wrong", "fix it"};
  EXPECT_EQ(d.ToString(), "a.yaml:3:7: error: something is wrong\n  hint: fix it");
  d.severity = Severity::kWarning;
  d.hint.clear();
  EXPECT_EQ(d.ToString(), "a.yaml:3:7: warning: something is wrong");
}

TEST(LoadTest, WarningsDoNotStopLoading) {
  const LoadResult result = Load(Edit(kMinimal, "        unit: µSv/h\n", ""));
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(
      HasDiagnostic(result, "t.yaml:17:9: warning: number finding 'dose_rate' has no unit"));
}

TEST(LoadTest, ReportsEveryErrorInOneRun) {
  std::string text = Edit(kMinimal, "    title: Survey", "    titel: Survey");
  text = Edit(text, "    role: lead\n    findings:", "    role: leed\n    findings:");
  text = Edit(text, "[survey]", "[survy]");
  const LoadResult result = Load(text);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(ErrorCount(result.diagnostics), 4) << testing::AllDiagnostics(result);
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:12:5: error: step 'survey' has no 'title'"));
  EXPECT_TRUE(HasDiagnostic(result, "t.yaml:13:5: error: unknown key 'titel' in step 'survey'"));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:15:11: error: step 'survey' names role 'leed', which is not defined"));
  EXPECT_TRUE(HasDiagnostic(
      result, "t.yaml:24:18: error: step 'report' depends on 'survy', which is not a step"));
}

TEST(LoadTest, DiagnosticsAreSortedByPosition) {
  std::string text = Edit(kMinimal, "[survey]", "[survy]");
  text = Edit(text, "title: Demo", "titl: Demo");
  const LoadResult result = Load(text);
  ASSERT_GE(result.diagnostics.size(), 2u);
  for (std::size_t i = 1; i < result.diagnostics.size(); ++i) {
    EXPECT_LE(result.diagnostics[i - 1].pos.line, result.diagnostics[i].pos.line);
  }
}

TEST(LoadTest, MissingFileIsAnError) {
  const LoadResult result = LoadFile("/nonexistent/playbook.yaml");
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].file, "/nonexistent/playbook.yaml");
}

TEST(LoadTest, ParametersAndTriggersAreRead) {
  const std::string text = std::string(kMinimal) +
                           "parameters:\n"
                           "  - id: threshold\n"
                           "    type: number\n"
                           "    default: 100\n"
                           "    description: Alarm level\n"
                           "triggers:\n"
                           "  - id: high\n"
                           "    when: survey.dose_rate >= param.threshold\n"
                           "    then:\n"
                           "      - alert: High dose rate\n"
                           "        severity: critical\n"
                           "      - notify: Tell HQ\n";
  const LoadResult result = Load(text);
  ASSERT_TRUE(result.ok()) << testing::AllDiagnostics(result);
  const Playbook& p = *result.playbook;
  ASSERT_EQ(p.parameters.size(), 1u);
  EXPECT_EQ(p.parameters[0].type, ParamType::kNumber);
  EXPECT_EQ(p.parameters[0].default_value, "100");
  ASSERT_EQ(p.triggers.size(), 1u);
  EXPECT_EQ(p.triggers[0].when, "survey.dose_rate >= param.threshold");
  ASSERT_EQ(p.triggers[0].then.size(), 2u);
  EXPECT_EQ(p.triggers[0].then[0].kind, ActionKind::kAlert);
  EXPECT_EQ(p.triggers[0].then[0].severity, "critical");
  EXPECT_EQ(p.triggers[0].then[1].kind, ActionKind::kNotify);
  EXPECT_EQ(p.triggers[0].then[1].message, "Tell HQ");
}

}  // namespace
}  // namespace muster::playbook
