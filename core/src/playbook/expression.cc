#include "muster/playbook/expression.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <utility>

#include "suggest.h"

namespace muster::playbook {
namespace {

// ---------------------------------------------------------------------------- lexing

enum class Tok {
  kEnd,
  kNumber,
  kString,
  kIdent,
  kDot,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kCompare,
  kBad
};

struct Token {
  Tok kind = Tok::kEnd;
  std::size_t offset = 0;
  std::string text;  // identifier, decoded string, number spelling, or operator
  double number = 0;
  CompareOp op = CompareOp::kEq;
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // Reads the next token; on a lexical error returns kBad with |error| set.
  Token Next(std::optional<ExpressionIssue>& error) {
    SkipSpace();
    Token token;
    token.offset = pos_;
    if (pos_ >= text_.size()) return token;
    const char c = text_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '-' && pos_ + 1 < text_.size() &&
         std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])))) {
      return LexNumber(token, error);
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return LexIdent(token);
    if (c == '"' || c == '\'') return LexString(token, error);
    return LexPunct(token, error);
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  Token LexNumber(Token& token, std::optional<ExpressionIssue>& error) {
    std::size_t end = pos_ + 1;
    while (end < text_.size() &&
           (std::isdigit(static_cast<unsigned char>(text_[end])) || text_[end] == '.')) {
      ++end;
    }
    token.text = std::string(text_.substr(pos_, end - pos_));
    const auto [ptr, ec] =
        std::from_chars(token.text.data(), token.text.data() + token.text.size(), token.number);
    if (ec != std::errc() || ptr != token.text.data() + token.text.size() ||
        !std::isfinite(token.number)) {
      error = ExpressionIssue{pos_, "'" + token.text + "' is not a number",
                              "write numbers like 100, 0.5 or -3"};
      token.kind = Tok::kBad;
      return token;
    }
    pos_ = end;
    token.kind = Tok::kNumber;
    return token;
  }

  Token LexIdent(Token& token) {
    std::size_t end = pos_;
    while (end < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '_')) {
      ++end;
    }
    token.text = std::string(text_.substr(pos_, end - pos_));
    token.kind = Tok::kIdent;
    pos_ = end;
    return token;
  }

  Token LexString(Token& token, std::optional<ExpressionIssue>& error) {
    const char quote = text_[pos_];
    std::size_t i = pos_ + 1;
    for (; i < text_.size() && text_[i] != quote; ++i) {
      if (text_[i] == '\\' && i + 1 < text_.size()) ++i;
      token.text += text_[i];
    }
    if (i >= text_.size()) {
      error =
          ExpressionIssue{pos_, "the text starting here has no closing " + std::string(1, quote),
                          "end the text with " + std::string(1, quote)};
      token.kind = Tok::kBad;
      return token;
    }
    pos_ = i + 1;
    token.kind = Tok::kString;
    return token;
  }

  Token LexPunct(Token& token, std::optional<ExpressionIssue>& error) {
    static constexpr std::pair<std::string_view, CompareOp> kOps[] = {
        {"==", CompareOp::kEq}, {"!=", CompareOp::kNe}, {"<=", CompareOp::kLe},
        {">=", CompareOp::kGe}, {"<", CompareOp::kLt},  {">", CompareOp::kGt}};
    const std::string_view rest = text_.substr(pos_);
    for (const auto& [spelling, op] : kOps) {
      if (rest.substr(0, spelling.size()) == spelling) {
        token.kind = Tok::kCompare;
        token.text = std::string(spelling);
        token.op = op;
        pos_ += spelling.size();
        return token;
      }
    }
    static constexpr std::pair<char, Tok> kPunct[] = {{'.', Tok::kDot},      {'(', Tok::kLParen},
                                                      {')', Tok::kRParen},   {'[', Tok::kLBracket},
                                                      {']', Tok::kRBracket}, {',', Tok::kComma}};
    for (const auto& [c, kind] : kPunct) {
      if (rest[0] == c) {
        token.kind = kind;
        token.text = std::string(1, c);
        ++pos_;
        return token;
      }
    }
    error = ExpressionIssue{pos_, "unexpected '" + std::string(1, rest[0]) + "'", PunctHint(rest)};
    token.kind = Tok::kBad;
    return token;
  }

  static std::string PunctHint(std::string_view rest) {
    if (rest.substr(0, 2) == "&&") return "write 'and'";
    if (rest.substr(0, 2) == "||") return "write 'or'";
    if (rest[0] == '!') return "write 'not'";
    if (rest[0] == '=') return "compare with '=='";
    return "expressions use step.field references, numbers, \"text\", true, false, "
           "== != < <= > >=, and, or, not, in [...] and parentheses";
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// --------------------------------------------------------------------------- parsing

//   expr    = and { "or" and }
//   and     = unary { "and" unary }
//   unary   = "not" unary | compare
//   compare = operand [ ( op operand ) | ( "in" "[" literal { "," literal } "]" ) ]
//   operand = number | string | "true" | "false" | ref | "(" expr ")"
//   ref     = identifier "." identifier
class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text) { Advance(); }

  ParsedExpression Parse() {
    ParsedExpression result;
    auto root = ParseOr(0);
    if (root && !error_ && token_.kind != Tok::kEnd) {
      Fail(token_.offset, "unexpected '" + token_.text + "' after a complete condition",
           "join conditions with 'and' or 'or'");
    }
    if (error_) {
      result.error = std::move(error_);
    } else {
      result.root = std::move(root);
    }
    return result;
  }

 private:
  using NodePtr = std::unique_ptr<ExprNode>;

  void Advance() {
    if (error_) return;
    token_ = lexer_.Next(error_);
  }
  bool IsKeyword(std::string_view word) const {
    return token_.kind == Tok::kIdent && token_.text == word;
  }
  NodePtr Fail(std::size_t offset, std::string message, std::string hint) {
    if (!error_) error_ = ExpressionIssue{offset, std::move(message), std::move(hint)};
    return nullptr;
  }
  static NodePtr Make(ExprNode::Kind kind, std::size_t offset) {
    auto node = std::make_unique<ExprNode>();
    node->kind = kind;
    node->offset = offset;
    return node;
  }
  NodePtr Binary(ExprNode::Kind kind, NodePtr left, NodePtr right) {
    auto node = Make(kind, left->offset);
    node->children.push_back(std::move(left));
    node->children.push_back(std::move(right));
    return node;
  }

  NodePtr ParseOr(int depth) {
    NodePtr left = ParseAnd(depth);
    while (left && IsKeyword("or")) {
      Advance();
      NodePtr right = ParseAnd(depth);
      if (!right) return nullptr;
      left = Binary(ExprNode::Kind::kOr, std::move(left), std::move(right));
    }
    return left;
  }

  NodePtr ParseAnd(int depth) {
    NodePtr left = ParseUnary(depth);
    while (left && IsKeyword("and")) {
      Advance();
      NodePtr right = ParseUnary(depth);
      if (!right) return nullptr;
      left = Binary(ExprNode::Kind::kAnd, std::move(left), std::move(right));
    }
    return left;
  }

  NodePtr ParseUnary(int depth) {
    if (depth > kMaxExpressionDepth) {
      return Fail(token_.offset, "the condition nests too deeply",
                  "at most " + std::to_string(kMaxExpressionDepth) +
                      " levels of parentheses and 'not'; split it into simpler triggers");
    }
    if (!IsKeyword("not")) return ParseCompare(depth);
    const std::size_t offset = token_.offset;
    Advance();
    NodePtr operand = ParseUnary(depth + 1);
    if (!operand) return nullptr;
    auto node = Make(ExprNode::Kind::kNot, offset);
    node->children.push_back(std::move(operand));
    return node;
  }

  NodePtr ParseCompare(int depth) {
    NodePtr left = ParseOperand(depth);
    if (!left) return nullptr;
    if (token_.kind == Tok::kCompare) {
      const CompareOp op = token_.op;
      Advance();
      NodePtr right = ParseOperand(depth);
      if (!right) return nullptr;
      NodePtr node = Binary(ExprNode::Kind::kCompare, std::move(left), std::move(right));
      node->op = op;
      return node;
    }
    if (IsKeyword("in")) return ParseIn(std::move(left));
    return left;
  }

  NodePtr ParseIn(NodePtr left) {
    auto node = Make(ExprNode::Kind::kIn, left->offset);
    node->children.push_back(std::move(left));
    Advance();
    if (token_.kind != Tok::kLBracket) {
      return Fail(token_.offset, "'in' must be followed by a list",
                  "write e.g. identify.nuclide in [\"Cs-137\", \"Co-60\"]");
    }
    do {
      Advance();
      NodePtr item = ParseLiteral();
      if (!item) return nullptr;
      node->children.push_back(std::move(item));
    } while (token_.kind == Tok::kComma);
    if (token_.kind != Tok::kRBracket) {
      return Fail(token_.offset, "expected ',' or ']' in the list", "close the list with ']'");
    }
    Advance();
    return node;
  }

  NodePtr ParseLiteral() {
    if (error_) return nullptr;
    NodePtr node;
    if (token_.kind == Tok::kNumber) {
      node = Make(ExprNode::Kind::kNumber, token_.offset);
      node->number = token_.number;
    } else if (token_.kind == Tok::kString) {
      node = Make(ExprNode::Kind::kString, token_.offset);
      node->text = token_.text;
    } else if (IsKeyword("true") || IsKeyword("false")) {
      node = Make(ExprNode::Kind::kBool, token_.offset);
      node->boolean = token_.text == "true";
    } else {
      return Fail(token_.offset, Expected("a value"),
                  "list items are numbers, \"text\", true or false");
    }
    Advance();
    return node;
  }

  NodePtr ParseOperand(int depth) {
    if (error_) return nullptr;
    if (token_.kind == Tok::kLParen) {
      const std::size_t open = token_.offset;
      Advance();
      NodePtr inner = ParseOr(depth + 1);
      if (!inner) return nullptr;
      if (token_.kind != Tok::kRParen) {
        return Fail(token_.offset, Expected("')'"),
                    "close the parenthesis opened at offset " + std::to_string(open));
      }
      Advance();
      return inner;
    }
    if (token_.kind == Tok::kIdent && !IsReserved(token_.text)) return ParseRef();
    if (token_.kind == Tok::kNumber || token_.kind == Tok::kString || IsKeyword("true") ||
        IsKeyword("false")) {
      return ParseLiteral();
    }
    return Fail(token_.offset, Expected("a value or a step.field reference"),
                "e.g. survey.dose_rate >= 100");
  }

  NodePtr ParseRef() {
    auto node = Make(ExprNode::Kind::kRef, token_.offset);
    node->scope = token_.text;
    Advance();
    if (token_.kind != Tok::kDot) {
      return Fail(node->offset, "'" + node->scope + "' is not a field reference",
                  "refer to a finding as step.field (e.g. " + node->scope +
                      ".dose_rate), to a parameter as param.name, or quote text: \"" + node->scope +
                      "\"");
    }
    Advance();
    if (token_.kind != Tok::kIdent) {
      return Fail(token_.offset, Expected("a field name after '" + node->scope + ".'"),
                  "e.g. " + node->scope + ".dose_rate");
    }
    node->name = token_.text;
    Advance();
    return node;
  }

  std::string Expected(const std::string& what) const {
    if (token_.kind == Tok::kEnd) return "expected " + what + ", but the condition ends";
    return "expected " + what + ", got '" + token_.text + "'";
  }

  static bool IsReserved(std::string_view word) {
    return word == "and" || word == "or" || word == "not" || word == "in" || word == "true" ||
           word == "false";
  }

  Lexer lexer_;
  Token token_;
  std::optional<ExpressionIssue> error_;
};

// ------------------------------------------------------------------------- type check

enum class Kind { kBool, kNumber, kText, kEnum, kInvalid };

struct TypeInfo {
  Kind kind = Kind::kInvalid;
  const FieldSpec* field = nullptr;  // set for finding references
  std::string what;                  // how to name the operand in messages
};

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kBool:
      return "a boolean";
    case Kind::kNumber:
      return "a number";
    case Kind::kText:
      return "text";
    case Kind::kEnum:
      return "an enum";
    case Kind::kInvalid:
      break;
  }
  return "invalid";
}

std::string RefName(const ExprNode& node) { return node.scope + "." + node.name; }

std::string Describe(const ExprNode& node) {
  switch (node.kind) {
    case ExprNode::Kind::kNumber: {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%g", node.number);
      return buffer;
    }
    case ExprNode::Kind::kString:
      return "\"" + node.text + "\"";
    case ExprNode::Kind::kBool:
      return node.boolean ? "true" : "false";
    case ExprNode::Kind::kRef:
      return RefName(node);
    default:
      return "this condition";
  }
}

class Checker {
 public:
  explicit Checker(const Playbook& playbook) : playbook_(playbook) {}

  std::vector<ExpressionIssue> Check(const ExprNode& root) {
    const TypeInfo type = TypeOf(root);
    if (type.kind != Kind::kBool && type.kind != Kind::kInvalid) {
      Issue(root.offset,
            "the condition is " + std::string(KindName(type.kind)) + " (" + type.what +
                "), not true/false",
            "compare it, e.g. " + type.what +
                (type.kind == Kind::kNumber ? " >= 100" : " == \"...\""));
    }
    return std::move(issues_);
  }

 private:
  void Issue(std::size_t offset, std::string message, std::string hint) {
    issues_.push_back({offset, std::move(message), std::move(hint)});
  }

  TypeInfo TypeOf(const ExprNode& node) {
    switch (node.kind) {
      case ExprNode::Kind::kNumber:
        return {Kind::kNumber, nullptr, Describe(node)};
      case ExprNode::Kind::kString:
        return {Kind::kText, nullptr, Describe(node)};
      case ExprNode::Kind::kBool:
        return {Kind::kBool, nullptr, Describe(node)};
      case ExprNode::Kind::kRef:
        return RefType(node);
      case ExprNode::Kind::kNot:
        return Logic(node, "not");
      case ExprNode::Kind::kAnd:
        return Logic(node, "and");
      case ExprNode::Kind::kOr:
        return Logic(node, "or");
      case ExprNode::Kind::kCompare:
        return Compare(node);
      case ExprNode::Kind::kIn:
        return In(node);
    }
    return {};
  }

  TypeInfo Logic(const ExprNode& node, const std::string& word) {
    for (const auto& child : node.children) {
      const TypeInfo type = TypeOf(*child);
      if (type.kind == Kind::kBool || type.kind == Kind::kInvalid) continue;
      Issue(
          child->offset,
          "'" + word + "' needs true/false, but " + type.what + " is " + KindName(type.kind),
          "compare it, e.g. " + type.what + (type.kind == Kind::kNumber ? " > 0" : " == \"...\""));
    }
    return {Kind::kBool, nullptr, "this condition"};
  }

  TypeInfo RefType(const ExprNode& node) {
    if (node.scope == kParamScope) return ParamType(node);
    const Step* step = playbook_.FindStep(node.scope);
    if (step == nullptr) {
      std::vector<std::string> ids;
      for (const Step& s : playbook_.steps) ids.push_back(s.id);
      Issue(node.offset, "'" + node.scope + "' is not a step of this playbook",
            SuggestHint(node.scope, ids, "steps are") +
                (node.scope == "params" ? " (parameters are read as param.NAME)" : ""));
      return {};
    }
    const FieldSpec* field = nullptr;
    std::vector<std::string> names;
    for (const FieldSpec& f : step->findings) {
      names.push_back(f.id);
      if (f.id == node.name) field = &f;
    }
    if (field == nullptr) {
      Issue(node.offset + node.scope.size() + 1,
            "step '" + node.scope + "' has no finding '" + node.name + "'",
            names.empty() ? "the step records no findings"
                          : SuggestHint(node.name, names, "its findings are"));
      return {};
    }
    return FieldType(node, *field);
  }

  TypeInfo FieldType(const ExprNode& node, const FieldSpec& field) {
    TypeInfo type{Kind::kInvalid, &field, RefName(node)};
    switch (field.type) {
      case FieldType::kNumber:
        type.kind = Kind::kNumber;
        break;
      case FieldType::kBoolean:
        type.kind = Kind::kBool;
        break;
      case FieldType::kEnum:
        type.kind = Kind::kEnum;
        break;
      case FieldType::kText:
      case FieldType::kSampleId:
        type.kind = Kind::kText;
        break;
      default:
        Issue(node.offset,
              RefName(node) + " is a " + ToString(field.type) +
                  " field, which conditions cannot read",
              "conditions read number, boolean, enum, text and sample_id fields");
    }
    return type;
  }

  TypeInfo ParamType(const ExprNode& node) {
    for (const Parameter& p : playbook_.parameters) {
      if (p.id != node.name) continue;
      switch (p.type) {
        case ParamType::kNumber:
          return {Kind::kNumber, nullptr, RefName(node)};
        case ParamType::kBoolean:
          return {Kind::kBool, nullptr, RefName(node)};
        case ParamType::kString:
          return {Kind::kText, nullptr, RefName(node)};
        case ParamType::kDuration:
          Issue(node.offset, RefName(node) + " is a duration, which conditions cannot read",
                "conditions read number, boolean and string parameters");
          return {};
      }
    }
    std::vector<std::string> ids;
    for (const Parameter& p : playbook_.parameters) ids.push_back(p.id);
    Issue(node.offset + node.scope.size() + 1, "there is no parameter '" + node.name + "'",
          ids.empty() ? "declare it under parameters:"
                      : SuggestHint(node.name, ids, "parameters are"));
    return {};
  }

  TypeInfo Compare(const ExprNode& node) {
    const TypeInfo left = TypeOf(*node.children[0]);
    const TypeInfo right = TypeOf(*node.children[1]);
    const TypeInfo result{Kind::kBool, nullptr, "this comparison"};
    if (left.kind == Kind::kInvalid || right.kind == Kind::kInvalid) return result;
    const bool ordering = node.op != CompareOp::kEq && node.op != CompareOp::kNe;
    if (!Comparable(left.kind, right.kind)) {
      Issue(node.children[1]->offset,
            "cannot compare " + left.what + " (" + KindName(left.kind) + ") with " + right.what +
                " (" + KindName(right.kind) + ")",
            "both sides must have the same type");
      return result;
    }
    if (ordering && left.kind != Kind::kNumber) {
      Issue(node.children[0]->offset,
            "<, <=, > and >= compare numbers, but " + left.what + " is " + KindName(left.kind),
            "use == or !=, or 'in [...]'");
      return result;
    }
    CheckOption(left, *node.children[1]);
    CheckOption(right, *node.children[0]);
    return result;
  }

  static bool Comparable(Kind a, Kind b) {
    auto textual = [](Kind k) { return k == Kind::kText || k == Kind::kEnum; };
    return a == b || (textual(a) && textual(b));
  }

  // An enum field compared with a literal: the literal must be one of its options.
  void CheckOption(const TypeInfo& type, const ExprNode& literal) {
    if (type.kind != Kind::kEnum || literal.kind != ExprNode::Kind::kString) return;
    const std::vector<std::string>& options = type.field->options;
    for (const std::string& option : options) {
      if (option == literal.text) return;
    }
    Issue(literal.offset, "\"" + literal.text + "\" is not an option of " + type.what,
          SuggestHint(literal.text, options, "options are"));
  }

  TypeInfo In(const ExprNode& node) {
    const TypeInfo left = TypeOf(*node.children[0]);
    const TypeInfo result{Kind::kBool, nullptr, "this test"};
    if (left.kind == Kind::kInvalid) return result;
    for (std::size_t i = 1; i < node.children.size(); ++i) {
      const TypeInfo item = TypeOf(*node.children[i]);
      if (!Comparable(left.kind, item.kind)) {
        Issue(node.children[i]->offset,
              "the list holds " + item.what + " (" + KindName(item.kind) + "), but " + left.what +
                  " is " + KindName(left.kind),
              "every item must have the type of the left side");
        continue;
      }
      CheckOption(left, *node.children[i]);
    }
    return result;
  }

  const Playbook& playbook_;
  std::vector<ExpressionIssue> issues_;
};

// -------------------------------------------------------------------------- evaluate

Truth FromBool(bool b) { return b ? Truth::kTrue : Truth::kFalse; }

class Evaluator {
 public:
  Evaluator(const Playbook& playbook, const FindingValues& values)
      : playbook_(playbook), values_(values) {}

  Truth Eval(const ExprNode& node) const {
    switch (node.kind) {
      case ExprNode::Kind::kNot: {
        const Truth t = Eval(*node.children[0]);
        if (t == Truth::kUnknown) return t;
        return FromBool(t == Truth::kFalse);
      }
      case ExprNode::Kind::kAnd:
        return And(Eval(*node.children[0]), Eval(*node.children[1]));
      case ExprNode::Kind::kOr:
        return Or(Eval(*node.children[0]), Eval(*node.children[1]));
      case ExprNode::Kind::kCompare:
        return Compare(node);
      case ExprNode::Kind::kIn:
        return In(node);
      default: {
        const std::optional<Value> value = ValueOf(node);
        if (!value || !std::holds_alternative<bool>(*value)) return Truth::kUnknown;
        return FromBool(std::get<bool>(*value));
      }
    }
  }

 private:
  static Truth And(Truth a, Truth b) {
    if (a == Truth::kFalse || b == Truth::kFalse) return Truth::kFalse;
    if (a == Truth::kUnknown || b == Truth::kUnknown) return Truth::kUnknown;
    return Truth::kTrue;
  }
  static Truth Or(Truth a, Truth b) {
    if (a == Truth::kTrue || b == Truth::kTrue) return Truth::kTrue;
    if (a == Truth::kUnknown || b == Truth::kUnknown) return Truth::kUnknown;
    return Truth::kFalse;
  }

  std::optional<Value> ValueOf(const ExprNode& node) const {
    switch (node.kind) {
      case ExprNode::Kind::kNumber:
        return Value(node.number);
      case ExprNode::Kind::kString:
        return Value(node.text);
      case ExprNode::Kind::kBool:
        return Value(node.boolean);
      case ExprNode::Kind::kRef:
        return Lookup(node);
      default:
        return std::nullopt;
    }
  }

  std::optional<Value> Lookup(const ExprNode& node) const {
    const auto found = values_.find(RefName(node));
    if (found != values_.end()) return found->second;
    if (node.scope != kParamScope) return std::nullopt;
    for (const Parameter& p : playbook_.parameters) {
      if (p.id == node.name && !p.default_value.empty()) return ParamDefault(p);
    }
    return std::nullopt;
  }

  static std::optional<Value> ParamDefault(const Parameter& p) {
    if (p.type == ParamType::kBoolean) return Value(p.default_value == "true");
    if (p.type != ParamType::kNumber) return Value(p.default_value);
    double number = 0;
    const char* end = p.default_value.data() + p.default_value.size();
    const auto [ptr, ec] = std::from_chars(p.default_value.data(), end, number);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return Value(number);
  }

  Truth Compare(const ExprNode& node) const {
    const std::optional<Value> a = ValueOf(*node.children[0]);
    const std::optional<Value> b = ValueOf(*node.children[1]);
    if (!a || !b || a->index() != b->index()) return Truth::kUnknown;
    switch (node.op) {
      case CompareOp::kEq:
        return FromBool(*a == *b);
      case CompareOp::kNe:
        return FromBool(*a != *b);
      default:
        break;
    }
    if (!std::holds_alternative<double>(*a)) return Truth::kUnknown;
    const double x = std::get<double>(*a);
    const double y = std::get<double>(*b);
    switch (node.op) {
      case CompareOp::kLt:
        return FromBool(x < y);
      case CompareOp::kLe:
        return FromBool(x <= y);
      case CompareOp::kGt:
        return FromBool(x > y);
      default:
        return FromBool(x >= y);
    }
  }

  Truth In(const ExprNode& node) const {
    const std::optional<Value> a = ValueOf(*node.children[0]);
    if (!a) return Truth::kUnknown;
    for (std::size_t i = 1; i < node.children.size(); ++i) {
      if (ValueOf(*node.children[i]) == a) return Truth::kTrue;
    }
    return Truth::kFalse;
  }

  const Playbook& playbook_;
  const FindingValues& values_;
};

}  // namespace

ParsedExpression ParseExpression(std::string_view text) {
  if (text.size() > kMaxExpressionBytes) {
    ParsedExpression result;
    result.error =
        ExpressionIssue{0,
                        "the condition is " + std::to_string(text.size()) +
                            " bytes long; the limit is " + std::to_string(kMaxExpressionBytes),
                        "split it into several triggers"};
    return result;
  }
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    ParsedExpression result;
    result.error =
        ExpressionIssue{0, "the condition is empty", "e.g. when: survey.dose_rate >= 100"};
    return result;
  }
  return Parser(text).Parse();
}

std::vector<ExpressionIssue> CheckExpression(const ExprNode& root, const Playbook& playbook) {
  return Checker(playbook).Check(root);
}

Truth Evaluate(const ExprNode& root, const Playbook& playbook, const FindingValues& values) {
  return Evaluator(playbook, values).Eval(root);
}

}  // namespace muster::playbook
