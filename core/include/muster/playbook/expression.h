// The condition language of trigger `when:` clauses (docs/playbooks.md, "Expressions").
//
//   survey.dose_rate >= param.cordon_threshold and not survey.innocent_alarm
//   identify.nuclide in ["U-235", "Pu-239"] or identify.neutrons_detected
//   survey.dose_rate >= 3 × baseline.background and air.sarin > 0.5 µg/m³
//
// Numbers carry the unit of their field or parameter, or the one written after a literal
// (units.h). Quantities of one dimension are converted before they are compared, added or
// subtracted; a quantity of another dimension is a type error. A number without a unit
// is read in the unit of what it is compared with or added to.
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
#include "muster/playbook/units.h"

namespace muster::playbook {

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

// One node of a parsed expression. Owns its children.
struct ExprNode {
  enum class Kind {
    kNumber,   // number, in |unit| when one is written after it
    kString,   // text
    kBool,     // boolean
    kRef,      // scope.name: a finding (step.field) or a parameter (param.name)
    kNot,      // children[0]
    kAnd,      // children[0], children[1]
    kOr,       // children[0], children[1]
    kCompare,  // children[0] op children[1]
    kIn,       // children[0] in [children[1..]]
    kArith,    // children[0] arith children[1]
  };
  Kind kind = Kind::kBool;
  double number = 0;
  std::string text;
  bool boolean = false;
  std::string scope;  // kRef: a step id, or "param"
  std::string name;   // kRef: a field id or a parameter id
  CompareOp op = CompareOp::kEq;
  char arith = '+';   // kArith: '+', '-', '*' or '/' ('×', '÷' and '−' are read as these)
  std::string unit;   // kNumber: the unit written after the number, e.g. "mg/m³"
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
  bool warning = false;  // the condition works, but probably not as the author meant
};

struct ParsedExpression {
  std::unique_ptr<ExprNode> root;        // null when |error| is set
  std::optional<ExpressionIssue> error;  // the first syntax error
};

ParsedExpression ParseExpression(std::string_view text);

// Every type error in |root| when it is read against |playbook|'s findings and
// parameters: unknown steps, fields, parameters and units, comparisons and arithmetic of
// different types or dimensions, enum values that are not options, and conditions that
// are not true/false. Warnings: a comparison that can never hold because its threshold is
// outside the field's min..max, and a parameter without a unit read in a field's unit.
std::vector<ExpressionIssue> CheckExpression(const ExprNode& root, const Playbook& playbook);

// Three-valued truth: a comparison that reads a finding not yet recorded is unknown.
enum class Truth { kFalse, kTrue, kUnknown };

// Evaluates |root| against |values|. A parameter reads values["param.NAME"] when present,
// its default otherwise. Unknown is never true: `not` keeps it unknown, `and` with a
// false side is false, `or` with a true side is true. Arithmetic that divides by zero is
// unknown. Two quantities in different units are compared in the left one's unit, and
// values within one part in 10^9 of each other are equal, so that 100 µSv/h >= 0.1 mSv/h
// holds whatever the rounding of the conversion.
Truth Evaluate(const ExprNode& root, const Playbook& playbook, const FindingValues& values);

}  // namespace muster::playbook
