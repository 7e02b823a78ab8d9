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
  kArith,
  kBad
};

struct Token {
  Tok kind = Tok::kEnd;
  std::size_t offset = 0;
  std::string text;  // identifier, decoded string, number spelling, or operator
  double number = 0;
  std::string unit;  // kNumber: the unit written after it, if any
  CompareOp op = CompareOp::kEq;
  char arith = '+';  // kArith
};

// Reserved words: never identifiers of references, never units after a number.
bool IsReserved(std::string_view word) {
  return word == "and" || word == "or" || word == "not" || word == "in" || word == "true" ||
         word == "false";
}

// Whether a unit starts at |rest|: a letter, µ, μ, °, ℃ or %.
bool StartsUnit(std::string_view rest) {
  if (rest.empty()) return false;
  const auto c = static_cast<unsigned char>(rest[0]);
  return std::isalpha(c) || c == '%' || rest.starts_with("µ") || rest.starts_with("μ") ||
         rest.starts_with("°") || rest.starts_with("℃");
}

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
    if (std::isdigit(static_cast<unsigned char>(c))) return LexNumber(token, error);
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return LexIdent(token);
    if (c == '"' || c == '\'') return LexString(token, error);
    return LexPunct(token, error);
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  Token LexNumber(Token& token, std::optional<ExpressionIssue>& error) {
    const auto digit = [&](std::size_t i) {
      return i < text_.size() && std::isdigit(static_cast<unsigned char>(text_[i]));
    };
    std::size_t end = pos_ + 1;
    while (digit(end) || (end < text_.size() && text_[end] == '.')) ++end;
    // An exponent: 1e-6, 2.5E3.
    if (end < text_.size() && (text_[end] == 'e' || text_[end] == 'E')) {
      const std::size_t sign = end + 1 < text_.size() && (text_[end + 1] == '-' || text_[end + 1] == '+') ? 1 : 0;
      if (digit(end + 1 + sign)) {
        end += 1 + sign;
        while (digit(end)) ++end;
      }
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
    LexUnit(token);
    return token;
  }

  // The unit after a number ("0.5 mSv/h", "20%"): the word that follows, unless it is a
  // reserved word. It ends at a space, a bracket, a comma, a comparison or '+'.
  void LexUnit(Token& token) {
    std::size_t start = pos_;
    while (start < text_.size() && (text_[start] == ' ' || text_[start] == '\t')) ++start;
    if (!StartsUnit(text_.substr(start))) return;
    std::size_t end = start;
    while (end < text_.size()) {
      const char c = text_[end];
      if (std::isspace(static_cast<unsigned char>(c)) || std::string_view("()[],<>=!+").find(c) != std::string_view::npos) break;
      if (c == '-' && (end == start || text_[end - 1] != '^')) break;
      ++end;
    }
    const std::string_view word = text_.substr(start, end - start);
    // A reserved word, or a reference ("1 s.y" is a missing 'and', not seconds).
    if (IsReserved(word) || word.find('.') != std::string_view::npos) return;
    token.unit = std::string(word);
    pos_ = end;
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
    static constexpr std::pair<std::string_view, char> kArith[] = {
        {"+", '+'}, {"-", '-'}, {"−", '-'}, {"*", '*'}, {"×", '*'}, {"/", '/'}, {"÷", '/'}};
    for (const auto& [spelling, arith] : kArith) {
      if (rest.starts_with(spelling)) {
        token.kind = Tok::kArith;
        token.text = std::string(spelling);
        token.arith = arith;
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
    return "expressions use step.field references, numbers with units, \"text\", true, "
           "false, + - * /, == != < <= > >=, and, or, not, in [...] and parentheses";
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// --------------------------------------------------------------------------- parsing

//   expr    = and { "or" and }
//   and     = unary { "and" unary }
//   unary   = "not" unary | compare
//   compare = sum [ ( op sum ) | ( "in" "[" literal { "," literal } "]" ) ]
//   sum     = product { ( "+" | "-" ) product }
//   product = sign { ( "*" | "/" ) sign }
//   sign    = "-" sign | operand
//   operand = number [ unit ] | string | "true" | "false" | ref | "(" expr ")"
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
    NodePtr left = ParseSum(depth);
    if (!left) return nullptr;
    if (token_.kind == Tok::kCompare) {
      const CompareOp op = token_.op;
      Advance();
      NodePtr right = ParseSum(depth);
      if (!right) return nullptr;
      NodePtr node = Binary(ExprNode::Kind::kCompare, std::move(left), std::move(right));
      node->op = op;
      return node;
    }
    if (IsKeyword("in")) return ParseIn(std::move(left));
    return left;
  }

  bool IsArith(std::string_view ops) const {
    return token_.kind == Tok::kArith && ops.find(token_.arith) != std::string_view::npos;
  }

  // One level of left-associative arithmetic: operands read by |next|, joined by |ops|.
  NodePtr ParseArith(int depth, std::string_view ops, NodePtr (Parser::*next)(int)) {
    NodePtr left = (this->*next)(depth);
    // Each operator nests the tree one level deeper: checking and evaluating recurse.
    for (int chained = 0; left && IsArith(ops); ++chained) {
      if (depth + chained > kMaxExpressionDepth) {
        return Fail(token_.offset, "too many '" + std::string(ops.substr(0, 1)) + "' and '" +
                                       std::string(ops.substr(1, 1)) + "' in a row",
                    "at most " + std::to_string(kMaxExpressionDepth) +
                        "; split the condition into several triggers");
      }
      const char op = token_.arith;
      Advance();
      NodePtr right = (this->*next)(depth);
      if (!right) return nullptr;
      left = Binary(ExprNode::Kind::kArith, std::move(left), std::move(right));
      left->arith = op;
    }
    return left;
  }
  NodePtr ParseSum(int depth) { return ParseArith(depth, "+-", &Parser::ParseProduct); }
  NodePtr ParseProduct(int depth) { return ParseArith(depth, "*/", &Parser::ParseSign); }

  // A minus sign before an operand: a negative number, or 0 - the operand.
  NodePtr ParseSign(int depth) {
    if (!IsArith("-")) return ParseOperand(depth);
    if (depth > kMaxExpressionDepth) {
      return Fail(token_.offset, "the condition nests too deeply",
                  "at most " + std::to_string(kMaxExpressionDepth) + " signs and parentheses");
    }
    const std::size_t offset = token_.offset;
    Advance();
    NodePtr operand = ParseSign(depth + 1);
    if (!operand) return nullptr;
    if (operand->kind == ExprNode::Kind::kNumber) {
      operand->number = -operand->number;
      operand->offset = offset;
      return operand;
    }
    auto zero = Make(ExprNode::Kind::kNumber, offset);
    NodePtr node = Binary(ExprNode::Kind::kArith, std::move(zero), std::move(operand));
    node->arith = '-';
    return node;
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
    const std::size_t offset = token_.offset;
    const bool negative = IsArith("-");
    if (negative) Advance();
    if (token_.kind == Tok::kNumber) {
      node = Make(ExprNode::Kind::kNumber, offset);
      node->number = negative ? -token_.number : token_.number;
      node->unit = token_.unit;
    } else if (negative) {
      return Fail(token_.offset, Expected("a number after '-'"), "e.g. -3");
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
                "e.g. survey.dose_rate >= 100 µSv/h");
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

  Lexer lexer_;
  Token token_;
  std::optional<ExpressionIssue> error_;
};

// ------------------------------------------------------------------------- type check

enum class Kind { kBool, kNumber, kText, kEnum, kInvalid };

struct TypeInfo {
  TypeInfo() = default;
  TypeInfo(Kind kind, const FieldSpec* field, std::string what,
           std::optional<Unit> unit = std::nullopt)
      : kind(kind), field(field), what(std::move(what)), unit(std::move(unit)) {}

  Kind kind = Kind::kInvalid;
  const FieldSpec* field = nullptr;  // set for finding references
  std::string what;                  // how to name the operand in messages
  // Numbers: the unit, unless the number has none of its own (a bare literal, a field or
  // parameter without a unit, or arithmetic on those) and takes the other side's.
  std::optional<Unit> unit;
};

// The unit a finding or parameter reference declares; nullopt when it declares none or
// one this table does not know (the loader warns about those).
std::optional<Unit> DeclaredUnit(const ExprNode& ref, const Playbook& playbook) {
  std::string_view symbol;
  if (ref.scope == kParamScope) {
    for (const Parameter& p : playbook.parameters) {
      if (p.id == ref.name) symbol = p.unit;
    }
  } else if (const Step* step = playbook.FindStep(ref.scope)) {
    for (const FieldSpec& f : step->findings) {
      if (f.id == ref.name) symbol = f.unit;
    }
  }
  if (symbol.empty()) return std::nullopt;
  return ParseUnit(symbol);
}

// Values within one part in 10^9 are equal: a threshold met exactly in another unit
// still counts as met after the conversion's rounding.
bool Close(double x, double y) {
  return std::fabs(x - y) <= 1e-9 * std::max(std::fabs(x), std::fabs(y));
}

bool Holds(CompareOp op, double x, double y, bool tolerant) {
  const bool equal = tolerant ? Close(x, y) : x == y;
  switch (op) {
    case CompareOp::kEq:
      return equal;
    case CompareOp::kNe:
      return !equal;
    case CompareOp::kLt:
      return x < y && !equal;
    case CompareOp::kLe:
      return x < y || equal;
    case CompareOp::kGt:
      return x > y && !equal;
    case CompareOp::kGe:
      return x > y || equal;
  }
  return false;
}

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
      return node.unit.empty() ? buffer : std::string(buffer) + " " + node.unit;
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
  void Warn(std::size_t offset, std::string message, std::string hint) {
    issues_.push_back({offset, std::move(message), std::move(hint), true});
  }

  TypeInfo TypeOf(const ExprNode& node) {
    switch (node.kind) {
      case ExprNode::Kind::kNumber:
        return Literal(node);
      case ExprNode::Kind::kArith:
        return Arith(node);
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
        type.unit = DeclaredUnit(node, playbook_);
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
          return {Kind::kNumber, nullptr, RefName(node), DeclaredUnit(node, playbook_)};
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
    if (left.kind == Kind::kNumber) CompareQuantities(node, left, right);
    return result;
  }

  TypeInfo Literal(const ExprNode& node) {
    TypeInfo type{Kind::kNumber, nullptr, Describe(node)};
    if (node.unit.empty()) return type;
    type.unit = ParseUnit(node.unit);
    if (!type.unit) {
      Issue(node.offset, "unknown unit '" + node.unit + "' after " + Describe(node), UnitHint(node.unit));
      return {};
    }
    return type;
  }

  // How a quantity is named in messages: "survey.dose_rate (dose rate, µSv/h)".
  static std::string Quantity(const TypeInfo& type) {
    return type.what + " (" + DescribeDimension(type.unit->dimension) + ", " + type.unit->symbol + ")";
  }

  TypeInfo Arith(const ExprNode& node) {
    const TypeInfo left = TypeOf(*node.children[0]);
    const TypeInfo right = TypeOf(*node.children[1]);
    const std::string op(1, node.arith);
    TypeInfo result{Kind::kInvalid, nullptr, "(" + left.what + " " + op + " " + right.what + ")"};
    if (left.kind == Kind::kInvalid || right.kind == Kind::kInvalid) return result;
    for (const auto* side : {&left, &right}) {
      if (side->kind != Kind::kNumber) {
        Issue(node.children[side == &left ? 0 : 1]->offset,
              "'" + op + "' needs numbers, but " + side->what + " is " + KindName(side->kind),
              "arithmetic reads number fields, number parameters and numbers");
        return result;
      }
      if (side->unit && side->unit->offset != 0) {
        Issue(node.children[side == &left ? 0 : 1]->offset,
              side->what + " is in " + side->unit->symbol + ", a scale with a shifted zero, which arithmetic cannot use",
              "compare temperatures directly, or record them in K");
        return result;
      }
    }
    result.kind = Kind::kNumber;
    if (node.arith == '*' || node.arith == '/') {
      if (left.unit || right.unit) {
        const Unit a = left.unit.value_or(Unit{});
        const Unit b = right.unit.value_or(Unit{});
        result.unit = node.arith == '*' ? Multiply(a, b) : Divide(a, b);
        if (!IsPlausible(result.unit->dimension)) {
          Issue(node.children[1]->offset,
                "the units of " + result.what + " multiply into " +
                    DescribeDimension(result.unit->dimension) + ", which nothing measures",
                "at most the power " + std::to_string(Dimension::kMaxPower) + " of any unit");
          result.kind = Kind::kInvalid;
        }
      }
      return result;
    }
    if (left.unit && right.unit && left.unit->dimension != right.unit->dimension) {
      Issue(node.children[1]->offset,
            std::string(node.arith == '+' ? "cannot add " : "cannot subtract ") + Quantity(right) +
                (node.arith == '+' ? " to " : " from ") + Quantity(left),
            "both sides must measure the same thing; units of one dimension are converted");
      return result;
    }
    result.unit = left.unit ? left.unit : right.unit;
    return result;
  }

  // Numbers compared: their dimensions must agree; a parameter without a unit is read in
  // the other side's, which deserves a unit of its own; a threshold outside a field's
  // min..max can never be crossed.
  void CompareQuantities(const ExprNode& node, const TypeInfo& left, const TypeInfo& right) {
    if (left.unit && right.unit && left.unit->dimension != right.unit->dimension) {
      Issue(node.children[1]->offset, "cannot compare " + Quantity(left) + " with " + Quantity(right),
            "both sides must measure the same thing; units of one dimension are converted "
            "(µg/m³ and mg/m³, µSv/h and mSv/h)");
      return;
    }
    for (int side = 0; side < 2; ++side) {
      const ExprNode& ref = *node.children[side];
      const TypeInfo& other = side == 0 ? right : left;
      if (ref.kind == ExprNode::Kind::kRef && ref.scope == kParamScope && other.unit &&
          !(side == 0 ? left : right).unit) {
        Warn(ref.offset,
             RefName(ref) + " has no unit; it is read in " + other.unit->symbol + ", the unit of " + other.what,
             "give parameter '" + ref.name + "' 'unit: " + other.unit->symbol + "'");
      }
    }
    CheckReachable(node, 0, left);
    CheckReachable(node, 1, right);
  }

  // A finding compared with a constant that lies beyond the field's min..max.
  void CheckReachable(const ExprNode& node, int field_side, const TypeInfo& field) {
    const ExprNode& ref = *node.children[field_side];
    const ExprNode& constant = *node.children[1 - field_side];
    if (ref.kind != ExprNode::Kind::kRef || ref.scope == kParamScope ||
        constant.kind != ExprNode::Kind::kNumber) {
      return;
    }
    if (field.field == nullptr || (!field.field->min && !field.field->max)) return;
    const std::optional<Unit> unit = ParseUnit(constant.unit);
    if (!unit) return;
    double value = constant.number;
    if (!constant.unit.empty() && field.unit) value = Convert(value, *unit, *field.unit);
    CompareOp op = node.op;
    if (field_side == 1) {  // 5 < x is x > 5
      static constexpr CompareOp kMirror[] = {CompareOp::kEq, CompareOp::kNe, CompareOp::kGt,
                                              CompareOp::kGe, CompareOp::kLt, CompareOp::kLe};
      op = kMirror[static_cast<int>(op)];
    }
    const std::optional<double> min = field.field->min;
    const std::optional<double> max = field.field->max;
    const bool above =
        max && (op == CompareOp::kGt || op == CompareOp::kGe || op == CompareOp::kEq) && value > *max;
    const bool below = min && (op == CompareOp::kLt || op == CompareOp::kLe || op == CompareOp::kEq) && value < *min;
    const bool at_max = max && op == CompareOp::kGt && value == *max;
    const bool at_min = min && op == CompareOp::kLt && value == *min;
    if (!(above || below || at_max || at_min)) return;
    const std::string unit_text = field.field->unit.empty() ? "" : " " + field.field->unit;
    char bound[32];
    std::snprintf(bound, sizeof bound, "%g", (above || at_max) ? *max : *min);
    Warn(constant.offset,
         Describe(constant) + " is beyond what " + field.what + " expects (" +
             ((above || at_max) ? "max " : "min ") + bound + unit_text +
             "): the condition holds only for a value a member confirms as out of range",
         "check the threshold's number and unit against the field's min and max");
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
      if (left.unit && item.unit && left.unit->dimension != item.unit->dimension) {
        Issue(node.children[i]->offset,
              "the list holds " + Quantity(item) + ", but " + Quantity(left) + " measures " +
                  "something else",
              "both sides must measure the same thing; units of one dimension are converted");
      }
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

  // A number and the unit it is in; |unit| unset when it has none of its own.
  struct Quantity {
    double value = 0;
    std::optional<Unit> unit;
  };

  // The number |node| stands for, or nullopt when it is not recorded yet, not a number,
  // or arithmetic that has no finite result.
  std::optional<Quantity> Number(const ExprNode& node) const {
    if (node.kind == ExprNode::Kind::kNumber) {
      if (node.unit.empty()) return Quantity{node.number, std::nullopt};
      const std::optional<Unit> unit = ParseUnit(node.unit);
      if (!unit) return std::nullopt;
      return Quantity{node.number, unit};
    }
    if (node.kind == ExprNode::Kind::kArith) return Arith(node);
    if (node.kind != ExprNode::Kind::kRef) return std::nullopt;
    const std::optional<Value> value = Lookup(node);
    if (!value || !std::holds_alternative<double>(*value)) return std::nullopt;
    return Quantity{std::get<double>(*value), DeclaredUnit(node, playbook_)};
  }

  // |b| in |a|'s unit, when both have one.
  static double InUnitOf(const Quantity& b, const Quantity& a) {
    return a.unit && b.unit ? Convert(b.value, *b.unit, *a.unit) : b.value;
  }

  std::optional<Quantity> Arith(const ExprNode& node) const {
    const std::optional<Quantity> a = Number(*node.children[0]);
    const std::optional<Quantity> b = Number(*node.children[1]);
    if (!a || !b) return std::nullopt;
    Quantity result;
    switch (node.arith) {
      case '+':
      case '-':
        result.value = node.arith == '+' ? a->value + InUnitOf(*b, *a) : a->value - InUnitOf(*b, *a);
        result.unit = a->unit ? a->unit : b->unit;
        break;
      default: {
        if (node.arith == '/' && b->value == 0) return std::nullopt;
        result.value = node.arith == '*' ? a->value * b->value : a->value / b->value;
        if (a->unit || b->unit) {
          const Unit x = a->unit.value_or(Unit{});
          const Unit y = b->unit.value_or(Unit{});
          result.unit = node.arith == '*' ? Multiply(x, y) : Divide(x, y);
        }
      }
    }
    if (!std::isfinite(result.value)) return std::nullopt;
    return result;
  }

  Truth Compare(const ExprNode& node) const {
    const std::optional<Quantity> x = Number(*node.children[0]);
    const std::optional<Quantity> y = Number(*node.children[1]);
    if (x && y) {
      const bool converted = x->unit && y->unit && !x->unit->SameScale(*y->unit);
      return FromBool(Holds(node.op, x->value, InUnitOf(*y, *x), converted));
    }
    const std::optional<Value> a = ValueOf(*node.children[0]);
    const std::optional<Value> b = ValueOf(*node.children[1]);
    if (!a || !b || a->index() != b->index() || std::holds_alternative<double>(*a)) {
      return Truth::kUnknown;
    }
    switch (node.op) {
      case CompareOp::kEq:
        return FromBool(*a == *b);
      case CompareOp::kNe:
        return FromBool(*a != *b);
      default:
        return Truth::kUnknown;
    }
  }

  Truth In(const ExprNode& node) const {
    const std::optional<Quantity> number = Number(*node.children[0]);
    const std::optional<Value> a = number ? std::nullopt : ValueOf(*node.children[0]);
    if (!number && !a) return Truth::kUnknown;
    for (std::size_t i = 1; i < node.children.size(); ++i) {
      const std::optional<Quantity> item = number ? Number(*node.children[i]) : std::nullopt;
      if (item ? Holds(CompareOp::kEq, number->value, InUnitOf(*item, *number),
                       number->unit && item->unit && !number->unit->SameScale(*item->unit))
               : ValueOf(*node.children[i]) == a) {
        return Truth::kTrue;
      }
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
