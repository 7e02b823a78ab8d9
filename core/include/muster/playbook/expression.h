// The condition language of trigger `when:` clauses (docs/playbooks.md, "Expressions").
//
//   survey.dose_rate >= param.cordon_threshold and not survey.innocent_alarm
//   identify.nuclide in ["U-235", "Pu-239"] or identify.neutrons_detected
//
// Parsing needs only the text; type checking needs the playbook whose findings the
// expression reads; evaluation needs the recorded finding values. The loader parses and
// checks every trigger, so evaluation never meets an ill-typed expression it accepted.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "muster/playbook/model.h"
#include "muster/playbook/triggers.h"

namespace muster::playbook {

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

// One node of a parsed expression. Owns its children.
struct ExprNode {
  enum class Kind {
    kNumber,   // number
    kString,   // text
    kBool,     // boolean
    kRef,      // scope.name: a finding (step.field) or a parameter (param.name)
    kNot,      // children[0]
    kAnd,      // children[0], children[1]
    kOr,       // children[0], children[1]
    kCompare,  // children[0] op children[1]
    kIn,       // children[0] in [children[1..]]
  };
  Kind kind = Kind::kBool;
  double number = 0;
  std::string text;
  bool boolean = false;
  std::string scope;  // kRef: a step id, or "param"
  std::string name;   // kRef: a field id or a parameter id
  CompareOp op = CompareOp::kEq;
  std::vector<std::unique_ptr<ExprNode>> children;
  std::size_t offset = 0;  // byte offset of the node's first character in the text
};

// The scope name that makes a reference read a parameter instead of a finding.
inline constexpr std::string_view kParamScope = "param";
// Longest expression accepted, in bytes, and deepest nesting of parentheses and `not`.
inline constexpr std::size_t kMaxExpressionBytes = 2000;
inline constexpr int kMaxExpressionDepth = 32;

// A problem in an expression; |offset| is a byte offset into the expression text.
struct ExpressionIssue {
  std::size_t offset = 0;
  std::string message;
  std::string hint;
};

struct ParsedExpression {
  std::unique_ptr<ExprNode> root;        // null when |error| is set
  std::optional<ExpressionIssue> error;  // the first syntax error
};

ParsedExpression ParseExpression(std::string_view text);

// Every type error in |root| when it is read against |playbook|'s findings and
// parameters: unknown steps, fields and parameters, comparisons of different types,
// enum values that are not options, and conditions that are not true/false.
std::vector<ExpressionIssue> CheckExpression(const ExprNode& root, const Playbook& playbook);

// Three-valued truth: a comparison that reads a finding not yet recorded is unknown.
enum class Truth { kFalse, kTrue, kUnknown };

// Evaluates |root| against |values|. A parameter reads values["param.NAME"] when present,
// its default otherwise. Unknown is never true: `not` keeps it unknown, `and` with a
// false side is false, `or` with a true side is true.
Truth Evaluate(const ExprNode& root, const Playbook& playbook, const FindingValues& values);

}  // namespace muster::playbook
