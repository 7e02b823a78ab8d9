#include "muster/exercise/script.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "../playbook/yaml_guard.h"
#include "muster/text_limits.h"

namespace muster::exercise {
namespace {

constexpr std::size_t kMaxScriptBytes = 1 << 20;
constexpr int kMaxDepth = 16;
constexpr const char* kKinds = "reading, message, alert or silence";

// Errors carry "FILE:LINE: what; fix".
class Reader {
 public:
  explicit Reader(const std::string& file) : file_(file) {}

  Status Fail(const YAML::Node& node, const std::string& what) const {
    return Fail(node.Mark().line + 1, what);
  }
  Status Fail(int line, const std::string& what) const {
    return Status::Error(ErrorCode::kInvalidArgument,
                         file_ + ":" + std::to_string(line) + ": " + what);
  }

  // The keys of |map| must be among |known|.
  Status OnlyKeys(const YAML::Node& map, const std::set<std::string>& known,
                  const std::string& where) const {
    for (const auto& item : map) {
      const std::string key = item.first.Scalar();
      if (!known.count(key)) {
        std::string names;
        for (const std::string& name : known) names += (names.empty() ? "" : ", ") + name;
        return Fail(item.first, where + " has no '" + key + "'; it takes " + names);
      }
    }
    return Status::Ok();
  }

  // A text scalar of |map| (required or not), within |limit| characters.
  Result<std::string> Text(const YAML::Node& map, const std::string& key, bool required,
                           std::size_t limit, const std::string& where) const {
    const YAML::Node node = map[key];
    if (!node) {
      if (!required) return std::string();
      return Fail(map, where + " needs '" + key + "'");
    }
    if (!node.IsScalar() || node.Scalar().empty()) {
      return Fail(node, where + ": '" + key + "' must be a non-empty text");
    }
    Status length = limits::CheckLength(where + "'s " + key, node.Scalar(), limit);
    if (!length.ok()) return Fail(node, length.message());
    return node.Scalar();
  }

  Result<Millis> Duration(const YAML::Node& map, const std::string& key, Millis min,
                          const std::string& where) const {
    const YAML::Node node = map[key];
    if (!node) return Fail(map, where + " needs '" + key + "', a duration such as 20m or 1h30m");
    const Millis value = node.IsScalar() ? ParseDuration(node.Scalar()) : -1;
    if (value < min || value > kMaxOffset) {
      return Fail(node, where + ": '" + key + "' must be a duration such as 20m or 1h30m" +
                            (min > 0 ? ", more than zero" : "") + ", at most 30d");
    }
    return value;
  }

 private:
  const std::string& file_;
};

Result<Inject> ReadInject(const Reader& reader, const YAML::Node& node, std::size_t index) {
  const std::string where = "inject " + std::to_string(index + 1);
  if (!node.IsMap()) {
    return reader.Fail(node, where + " must be a map: at: and one of " + std::string(kKinds));
  }
  Inject inject;
  inject.line = node.Mark().line + 1;
  auto at = reader.Duration(node, "at", 0, where);
  if (!at.ok()) return at.status();
  inject.at_ms = *at;
  std::string kind;
  for (const auto& item : node) {
    const std::string key = item.first.Scalar();
    if (key == "at") continue;
    if (!kind.empty()) {
      return reader.Fail(item.first, where + " has both '" + kind + "' and '" + key +
                                         "'; write one inject per list item");
    }
    kind = key;
  }
  if (kind.empty()) return reader.Fail(node, where + " needs one of " + std::string(kKinds));
  const YAML::Node body = node[kind];
  if (!body.IsMap()) {
    return reader.Fail(body, where + ": '" + kind + "' must be a map (see docs/programme.md)");
  }
  const std::string what = where + " (" + kind + ")";
  auto text = [&](const std::string& key, bool required, std::size_t limit,
                  std::string& into) -> Status {
    auto value = reader.Text(body, key, required, limit, what);
    if (!value.ok()) return value.status();
    into = *value;
    return Status::Ok();
  };
  if (kind == "reading") {
    inject.kind = InjectKind::kReading;
    MUSTER_RETURN_IF_ERROR(reader.OnlyKeys(body, {"to", "what", "value", "unit"}, what));
    MUSTER_RETURN_IF_ERROR(text("to", true, limits::kShort, inject.to));
    MUSTER_RETURN_IF_ERROR(text("what", true, limits::kShort, inject.text));
    MUSTER_RETURN_IF_ERROR(text("value", true, limits::kShort, inject.value));
    MUSTER_RETURN_IF_ERROR(text("unit", false, limits::kShort, inject.unit));
  } else if (kind == "message") {
    inject.kind = InjectKind::kMessage;
    MUSTER_RETURN_IF_ERROR(reader.OnlyKeys(body, {"to", "text"}, what));
    MUSTER_RETURN_IF_ERROR(text("to", true, limits::kShort, inject.to));
    MUSTER_RETURN_IF_ERROR(text("text", true, limits::kLine, inject.text));
  } else if (kind == "alert") {
    inject.kind = InjectKind::kAlert;
    MUSTER_RETURN_IF_ERROR(reader.OnlyKeys(body, {"severity", "text"}, what));
    MUSTER_RETURN_IF_ERROR(text("text", true, limits::kLine, inject.text));
    MUSTER_RETURN_IF_ERROR(text("severity", false, limits::kShort, inject.severity));
    if (inject.severity.empty()) inject.severity = "warning";
    if (inject.severity != "info" && inject.severity != "warning" &&
        inject.severity != "critical") {
      return reader.Fail(body["severity"], what + ": severity must be info, warning or critical");
    }
  } else if (kind == "silence") {
    inject.kind = InjectKind::kSilence;
    MUSTER_RETURN_IF_ERROR(reader.OnlyKeys(body, {"member", "for"}, what));
    MUSTER_RETURN_IF_ERROR(text("member", true, limits::kShort, inject.member));
    auto span = reader.Duration(body, "for", 1, what);
    if (!span.ok()) return span.status();
    inject.for_ms = *span;
  } else {
    return reader.Fail(node, where + ": '" + kind + "' is no inject; write one of " +
                                 std::string(kKinds));
  }
  return inject;
}

std::string Spaced(const std::string& text) { return text.empty() ? text : " " + text; }

}  // namespace

const char* InjectKindName(InjectKind kind) {
  switch (kind) {
    case InjectKind::kReading: return "reading";
    case InjectKind::kMessage: return "message";
    case InjectKind::kAlert: return "alert";
    case InjectKind::kSilence: return "silence";
  }
  return "message";
}

std::string Inject::Summary() const {
  switch (kind) {
    case InjectKind::kReading: return "reading to " + to + ": " + text + " " + value + Spaced(unit);
    case InjectKind::kMessage: return "message to " + to + ": " + text;
    case InjectKind::kAlert: return severity + " alert: " + text;
    case InjectKind::kSilence: return member + " silent for " + FormatAge(for_ms);
  }
  return text;
}

std::string Marked(std::string_view text) {
  return std::string(kExerciseMark) + " — " + std::string(text);
}

std::string Inject::FieldText() const {
  if (kind == InjectKind::kReading) {
    return Marked("simulated reading: " + text + " " + value + Spaced(unit));
  }
  return Marked(text);
}

Result<Script> ParseScript(std::string_view text, const std::string& file) {
  Reader reader(file);
  if (text.size() > kMaxScriptBytes) {
    return reader.Fail(1, "the script is " + std::to_string(text.size()) +
                              " bytes; the limit is 1 MiB: split the exercise");
  }
  if (const auto bad = playbook::CheckEncoding(text)) {
    return reader.Fail(bad->pos.line, bad->message + "; " + bad->hint);
  }
  if (const auto deep = playbook::CheckDepth(text, kMaxDepth)) {
    return reader.Fail(deep->pos.line, "the script nests too deep; an inject needs two levels");
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return reader.Fail(e.mark.line + 1, "YAML syntax error: " + e.msg +
                                            "; check the indentation and the quoting here");
  }
  if (!root.IsMap()) {
    return reader.Fail(1, "an exercise script is a map with exercise: (its name) and injects:");
  }
  MUSTER_RETURN_IF_ERROR(reader.OnlyKeys(root, {"exercise", "injects"}, "the script"));
  Script script;
  auto name = reader.Text(root, "exercise", true, limits::kShort, "the script");
  if (!name.ok()) return name.status();
  script.name = *name;
  const YAML::Node injects = root["injects"];
  if (!injects || !injects.IsSequence() || injects.size() == 0) {
    return reader.Fail(injects ? injects : root,
                       "injects: must be a list of at least one inject (docs/programme.md)");
  }
  if (injects.size() > kMaxInjects) {
    return reader.Fail(injects, "the script has " + std::to_string(injects.size()) +
                                    " injects; the limit is " + std::to_string(kMaxInjects));
  }
  for (std::size_t i = 0; i < injects.size(); ++i) {
    auto inject = ReadInject(reader, injects[i], i);
    if (!inject.ok()) return inject.status();
    script.injects.push_back(std::move(*inject));
  }
  std::stable_sort(script.injects.begin(), script.injects.end(),
                   [](const Inject& a, const Inject& b) { return a.at_ms < b.at_ms; });
  return script;
}

}  // namespace muster::exercise
