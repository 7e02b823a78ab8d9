// The `when:` condition language: parsing, type checking and three-valued evaluation.
#include "muster/playbook/expression.h"

#include <gtest/gtest.h>

#include "muster/playbook/load.h"
#include "test_util.h"

namespace muster::playbook {
namespace {

// A playbook with one step of each readable finding type and two parameters.
Playbook Sample() {
  const char* text = R"(id: sample
version: "1.0.0"
title: Sample
hazards: [nuclear]
roles: [{id: lead, title: Lead}]
phases: [{id: work, title: Work}]
parameters:
  - {id: limit, type: number, default: 100, unit: µSv/h}
  - {id: strict, type: boolean, default: "false"}
  - {id: label, type: string}
  - {id: wait, type: duration, default: 5m}
steps:
  - id: survey
    title: Survey
    phase: work
    role: lead
    findings:
      - {id: dose, type: number, unit: µSv/h}
      - {id: neutrons, type: boolean}
      - {id: nuclide, type: enum, options: [Cs-137, U-235, Pu-239]}
      - {id: note, type: text}
      - {id: where, type: geolocation}
)";
  LoadResult result = LoadText(text, "sample.yaml");
  EXPECT_TRUE(result.ok()) << testing::AllDiagnostics(result);
  return result.ok() ? *result.playbook : Playbook{};
}

std::string SyntaxError(const std::string& text) {
  const ParsedExpression parsed = ParseExpression(text);
  if (!parsed.error) return "(parsed)";
  return std::to_string(parsed.error->offset) + ": " + parsed.error->message;
}

std::vector<std::string> TypeErrors(const std::string& text) {
  static const Playbook playbook = Sample();
  const ParsedExpression parsed = ParseExpression(text);
  EXPECT_FALSE(parsed.error) << parsed.error->message;
  std::vector<std::string> messages;
  if (!parsed.root) return messages;
  for (const auto& issue : CheckExpression(*parsed.root, playbook)) {
    messages.push_back(std::to_string(issue.offset) + ": " + issue.message);
  }
  return messages;
}

Truth Eval(const std::string& text, const FindingValues& values) {
  static const Playbook playbook = Sample();
  const ParsedExpression parsed = ParseExpression(text);
  EXPECT_TRUE(parsed.root) << text;
  if (!parsed.root) return Truth::kUnknown;
  EXPECT_TRUE(CheckExpression(*parsed.root, playbook).empty()) << text;
  return Evaluate(*parsed.root, playbook, values);
}

TEST(ExpressionTest, ParsesPrecedence) {
  // not > and > or: "a or b and not c" is "a or (b and (not c))".
  const ParsedExpression parsed = ParseExpression("s.a or s.b and not s.c");
  ASSERT_TRUE(parsed.root);
  EXPECT_EQ(parsed.root->kind, ExprNode::Kind::kOr);
  const ExprNode& right = *parsed.root->children[1];
  EXPECT_EQ(right.kind, ExprNode::Kind::kAnd);
  EXPECT_EQ(right.children[1]->kind, ExprNode::Kind::kNot);
}

TEST(ExpressionTest, ParsesComparisonsListsAndLiterals) {
  const ParsedExpression parsed =
      ParseExpression("(s.x >= -2.5) and s.n in ['a', \"b\"] and s.f != true");
  ASSERT_TRUE(parsed.root) << parsed.error->message;
  const ExprNode& left = *parsed.root->children[0]->children[0];
  EXPECT_EQ(left.kind, ExprNode::Kind::kCompare);
  EXPECT_EQ(left.op, CompareOp::kGe);
  EXPECT_DOUBLE_EQ(left.children[1]->number, -2.5);
  const ExprNode& in = *parsed.root->children[0]->children[1];
  EXPECT_EQ(in.kind, ExprNode::Kind::kIn);
  ASSERT_EQ(in.children.size(), 3u);
  EXPECT_EQ(in.children[2]->text, "b");
}

TEST(ExpressionTest, SyntaxErrorsNameTheOffset) {
  EXPECT_EQ(SyntaxError(""), "0: the condition is empty");
  EXPECT_EQ(SyntaxError("s.x >"),
            "5: expected a value or a step.field reference, but the condition ends");
  EXPECT_EQ(SyntaxError("s.x = 1"), "4: unexpected '='");
  EXPECT_EQ(SyntaxError("s.x > 1 && s.y"), "8: unexpected '&'");
  EXPECT_EQ(SyntaxError("(s.x > 1"), "8: expected ')', but the condition ends");
  EXPECT_EQ(SyntaxError("s.x > 1 s.y"), "8: unexpected 's' after a complete condition");
  EXPECT_EQ(SyntaxError("dose > 1"), "0: 'dose' is not a field reference");
  EXPECT_EQ(SyntaxError("s.n in 'a'"), "7: 'in' must be followed by a list");
  EXPECT_EQ(SyntaxError("s.n in [s.m]"), "8: expected a value, got 's'");
  EXPECT_EQ(SyntaxError("s.n == \"open"), "7: the text starting here has no closing \"");
  EXPECT_EQ(SyntaxError("s.x > 1.2.3"), "6: '1.2.3' is not a number");
}

TEST(ExpressionTest, NestingAndLengthAreLimited) {
  std::string deep(100, '(');
  deep += "s.a";
  deep += std::string(100, ')');
  EXPECT_NE(SyntaxError(deep).find("nests too deeply"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 100; ++i) nots += "not ";
  EXPECT_NE(SyntaxError(nots + "s.a").find("nests too deeply"), std::string::npos);
  EXPECT_NE(SyntaxError(std::string(5000, ' ') + "s.a").find("bytes long"), std::string::npos);
}

TEST(ExpressionTest, TypeChecksAgainstTheFindings) {
  EXPECT_TRUE(TypeErrors("survey.dose >= param.limit and not survey.neutrons").empty());
  EXPECT_TRUE(
      TypeErrors("survey.nuclide in [\"U-235\", \"Pu-239\"] or survey.note == \"x\"").empty());
  EXPECT_EQ(
      TypeErrors("survey.dose == \"high\""),
      std::vector<std::string>{"15: cannot compare survey.dose (a number) with \"high\" (text)"});
  EXPECT_EQ(TypeErrors("survey.nuclide == \"Cs137\""),
            std::vector<std::string>{"18: \"Cs137\" is not an option of survey.nuclide"});
  EXPECT_EQ(TypeErrors("survey.nuclide > \"Cs-137\""),
            std::vector<std::string>{
                "0: <, <=, > and >= compare numbers, but survey.nuclide is an enum"});
  EXPECT_EQ(TypeErrors("survey.dose and survey.neutrons"),
            std::vector<std::string>{"0: 'and' needs true/false, but survey.dose is a number"});
  EXPECT_EQ(TypeErrors("survey.where == \"x\""),
            std::vector<std::string>{
                "0: survey.where is a geolocation field, which conditions cannot read"});
  EXPECT_EQ(TypeErrors("sruvey.dose > 1"),
            std::vector<std::string>{"0: 'sruvey' is not a step of this playbook"});
  EXPECT_EQ(TypeErrors("param.wait > 1"),
            std::vector<std::string>{"0: param.wait is a duration, which conditions cannot read"});
  EXPECT_EQ(
      TypeErrors("survey.nuclide in [\"U-235\", 5]"),
      std::vector<std::string>{"28: the list holds 5 (a number), but survey.nuclide is an enum"});
}

TEST(ExpressionTest, ReportsEveryTypeErrorOfAnExpression) {
  EXPECT_EQ(TypeErrors("survey.dose == \"a\" or survey.nuclide == \"b\"").size(), 2u);
}

TEST(ExpressionTest, EvaluatesComparisons) {
  const FindingValues values = {
      {"survey.dose", 150.0}, {"survey.neutrons", false}, {"survey.nuclide", std::string("U-235")}};
  EXPECT_EQ(Eval("survey.dose >= 150", values), Truth::kTrue);
  EXPECT_EQ(Eval("survey.dose < 150", values), Truth::kFalse);
  EXPECT_EQ(Eval("survey.neutrons == false", values), Truth::kTrue);
  EXPECT_EQ(Eval("survey.nuclide in [\"U-235\", \"Pu-239\"]", values), Truth::kTrue);
  EXPECT_EQ(Eval("survey.nuclide != \"U-235\"", values), Truth::kFalse);
  EXPECT_EQ(Eval("not survey.neutrons", values), Truth::kTrue);
}

TEST(ExpressionTest, UnrecordedFieldsAreUnknownNeverTrue) {
  const FindingValues none;
  EXPECT_EQ(Eval("survey.dose > 1", none), Truth::kUnknown);
  EXPECT_EQ(Eval("not (survey.dose > 1)", none), Truth::kUnknown);
  EXPECT_EQ(Eval("survey.neutrons", none), Truth::kUnknown);
  const FindingValues some = {{"survey.neutrons", true}};
  EXPECT_EQ(Eval("survey.dose > 1 or survey.neutrons", some), Truth::kTrue);
  EXPECT_EQ(Eval("survey.dose > 1 and not survey.neutrons", some), Truth::kFalse);
  EXPECT_EQ(Eval("survey.dose > 1 and survey.neutrons", some), Truth::kUnknown);
}

TEST(ExpressionTest, ParametersUseTheirDefaultUnlessOverridden) {
  const FindingValues values = {{"survey.dose", 120.0}};
  EXPECT_EQ(Eval("survey.dose >= param.limit", values), Truth::kTrue);
  EXPECT_EQ(Eval("param.strict", values), Truth::kFalse);
  FindingValues overridden = values;
  overridden["param.limit"] = 200.0;
  EXPECT_EQ(Eval("survey.dose >= param.limit", overridden), Truth::kFalse);
  // A parameter without a default and without a value is unknown.
  EXPECT_EQ(Eval("param.label == \"x\"", values), Truth::kUnknown);
}

TEST(ExpressionTest, ValueOfTheWrongTypeIsUnknown) {
  const FindingValues values = {{"survey.dose", std::string("high")}};
  EXPECT_EQ(Eval("survey.dose > 1", values), Truth::kUnknown);
}

}  // namespace
}  // namespace muster::playbook
