#include "test_util.h"

namespace muster::playbook::testing {

const char kMinimal[] = R"(id: demo
version: "1.0.0"
title: Demo
hazards: [radiological]
roles:
  - id: lead
    title: Lead
phases:
  - id: work
    title: Work
steps:
  - id: survey
    title: Survey
    phase: work
    role: lead
    findings:
      - id: dose_rate
        type: number
        unit: µSv/h
  - id: report
    title: Report
    phase: work
    role: lead
    depends_on: [survey]
)";

LoadResult Load(std::string_view text, const LoadOptions& options) {
  return LoadText(text, "t.yaml", options);
}

std::string Edit(const std::string& text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "'" << from << "' is not in the text";
  if (at == std::string::npos) return text;
  EXPECT_EQ(text.find(from, at + 1), std::string::npos) << "'" << from << "' occurs twice";
  std::string edited = text;
  edited.replace(at, from.size(), to);
  return edited;
}

std::string AllDiagnostics(const LoadResult& result) {
  std::string all;
  for (const Diagnostic& d : result.diagnostics) all += d.ToString() + "\n";
  return all.empty() ? "(no diagnostics)\n" : all;
}

::testing::AssertionResult HasDiagnostic(const LoadResult& result, const std::string& line) {
  for (const Diagnostic& d : result.diagnostics) {
    const std::string text = d.ToString();
    if (text.substr(0, text.find('\n')) == line) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no diagnostic\n  " << line << "\namong\n"
                                       << AllDiagnostics(result);
}

::testing::AssertionResult HasHint(const LoadResult& result, const std::string& hint) {
  for (const Diagnostic& d : result.diagnostics) {
    if (d.hint == hint) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no hint '" << hint << "' among\n"
                                       << AllDiagnostics(result);
}

}  // namespace muster::playbook::testing
