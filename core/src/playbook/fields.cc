#include "muster/playbook/fields.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <regex>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include <re2/re2.h>

#include "muster/playbook/units.h"
#include "muster/text_limits.h"
#include "muster/watchlist/matcher.h"

namespace muster::playbook {
namespace {

std::string Expected(const FieldSpec& field) {
  switch (field.type) {
    case FieldType::kNumber: {
      std::string text = "a number";
      if (!field.unit.empty()) text += " in " + field.unit;
      return text;
    }
    case FieldType::kText: return "text";
    case FieldType::kEnum: {
      std::string text = "one of";
      for (const std::string& option : field.options) text += " " + option;
      return text;
    }
    case FieldType::kBoolean: return "yes or no (true/false)";
    case FieldType::kTime: return "a UTC time such as 2026-11-24T15:20:00Z";
    case FieldType::kGeolocation: return "latitude,longitude in decimal degrees (WGS 84)";
    case FieldType::kSampleId:
      return field.pattern.empty() ? "a sample id" : "a sample id matching " + field.pattern;
    case FieldType::kAttachment: return "a file path";
    case FieldType::kPerson: return "a person: NAME|DATE OF BIRTH|DOCUMENT|NATIONALITY";
  }
  return "a value";
}

// Real sample ids are a few dozen bytes; anything far longer is a mistake.
constexpr std::size_t kMaxSampleIdBytes = 256;

// What was given, for an error message, between |quote|s; cut (at a character boundary)
// when it is too long to show whole.
std::string Shown(const std::string& text, const std::string& quote) {
  constexpr std::size_t kShown = 80;
  if (text.size() <= kShown) return quote + text + quote;
  std::size_t cut = kShown;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return quote + text.substr(0, cut) + "…" + quote + " (" + std::to_string(text.size()) + " bytes)";
}

Status Bad(const FieldSpec& field, const std::string& text) {
  return Status::Error(ErrorCode::kInvalidValue,
                       field.id + ": expected " + Expected(field) + ", got " + Shown(text, "'"));
}

// A value of the wrong JSON type for |field|.
Status BadType(const FieldSpec& field, const nlohmann::json& value) {
  std::string given;
  if (value.is_string()) {
    given = "the text " + Shown(value.get<std::string>(), "'");
  } else {
    given = Shown(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "");
  }
  return Status::Error(ErrorCode::kInvalidValue,
                       field.id + ": expected " + Expected(field) + ", got " + given);
}

bool ParseDouble(const std::string& text, double& out) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

// "YYYY-MM-DDTHH:MM[:SS]Z" naming a real instant: months 1-12, days within the month
// (leap years counted), hours 0-23, minutes and seconds 0-59.
bool IsUtcTime(const std::string& text) {
  static const std::regex kShape(R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:(\d{2}))?Z$)");
  std::smatch parts;
  if (!std::regex_match(text, parts, kShape)) return false;
  const int year = std::stoi(parts[1]), month = std::stoi(parts[2]), day = std::stoi(parts[3]);
  const int hour = std::stoi(parts[4]), minute = std::stoi(parts[5]);
  const int second = parts[7].matched ? std::stoi(parts[7]) : 0;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int days = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day >= 1 && day <= days && hour < 24 && minute < 60 && second < 60;
}

// "latitude,longitude" in decimal degrees, each within its bounds.
bool IsPlace(const std::string& text) {
  const auto comma = text.find(',');
  double lat = 0, lon = 0;
  return comma != std::string::npos && ParseDouble(text.substr(0, comma), lat) &&
         ParseDouble(text.substr(comma + 1), lon) && lat >= -90 && lat <= 90 && lon >= -180 &&
         lon <= 180;
}

std::string FormatNumber(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// The range rule: a number outside the playbook's expected range is valid but flagged,
// with a note for people. |text| is the number as given.
CheckedValue CheckRange(const FieldSpec& field, double number, const std::string& text) {
  CheckedValue checked;
  checked.value = number;
  if ((field.min && number < *field.min) || (field.max && number > *field.max)) {
    checked.out_of_range = true;
    checked.note = field.id + " = " + text + " is outside the expected range " +
                   (field.min ? FormatNumber(*field.min) : "…") + " to " +
                   (field.max ? FormatNumber(*field.max) : "…") +
                   (field.unit.empty() ? "" : " " + field.unit);
  }
  return checked;
}

// A number typed with a unit ("0.1 mSv/h" for a field in µSv/h), converted into the
// field's unit: the member copies what the instrument shows, the playbook keeps one unit.
Result<double> NumberInFieldUnit(const FieldSpec& field, const std::string& text) {
  double number = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  const auto [ptr, ec] = std::from_chars(begin, end, number);
  if (ec != std::errc() || ptr == begin || !std::isfinite(number)) return Bad(field, text);
  std::string_view rest(ptr, static_cast<std::size_t>(end - ptr));
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  const std::optional<Unit> given = ParseUnit(rest);
  const std::optional<Unit> wanted = ParseUnit(field.unit);
  if (rest.empty() || !given || !wanted || field.unit.empty()) return Bad(field, text);
  if (given->dimension != wanted->dimension) {
    return Status::Error(ErrorCode::kInvalidValue,
                         field.id + ": " + Shown(text, "'") + " is " +
                             DescribeDimension(given->dimension) + ", but the field records " +
                             DescribeDimension(wanted->dimension) + " in " + field.unit);
  }
  const double converted = Convert(number, *given, *wanted);
  if (!std::isfinite(converted)) return Bad(field, text);
  return converted;
}

// yes/no words, in any case; nullopt for anything else.
std::optional<bool> ParseBoolean(const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (lower == "true" || lower == "yes" || lower == "y") return true;
  if (lower == "false" || lower == "no" || lower == "n") return false;
  return std::nullopt;
}

Status CheckSampleId(const FieldSpec& field, const std::string& text) {
  if (text.empty()) return Bad(field, text);
  if (text.size() > kMaxSampleIdBytes) {
    return Status::Error(ErrorCode::kInvalidValue, field.id + ": expected a sample id of at most " +
                                                       std::to_string(kMaxSampleIdBytes) +
                                                       " bytes, got " + Shown(text, "'"));
  }
  if (field.pattern.empty()) return Status::Ok();
  if (PatternProblem(field.pattern)) {
    return Status::Error(ErrorCode::kInvalidPlaybook,
                         field.id + ": the playbook's pattern cannot be used");
  }
  return MatchesPattern(field.pattern, text) ? Status::Ok() : Bad(field, text);
}

// A person's text form (watchlist::Person::Parse), its error naming the field.
Status CheckPerson(const FieldSpec& field, const std::string& text) {
  if (text.empty()) return field.required ? Bad(field, text) : Status::Ok();
  const Result<watchlist::Person> person = watchlist::Person::Parse(text);
  if (person.ok()) return Status::Ok();
  return Status::Error(ErrorCode::kInvalidValue, field.id + ": " + person.status().message());
}

// The rule of each type whose values are text (all but numbers and booleans).
Status CheckText(const FieldSpec& field, const std::string& text) {
  switch (field.type) {
    case FieldType::kEnum:
      return std::find(field.options.begin(), field.options.end(), text) == field.options.end()
                 ? Bad(field, text)
                 : Status::Ok();
    case FieldType::kTime: return IsUtcTime(text) ? Status::Ok() : Bad(field, text);
    case FieldType::kGeolocation: return IsPlace(text) ? Status::Ok() : Bad(field, text);
    case FieldType::kSampleId: return CheckSampleId(field, text);
    case FieldType::kPerson: return CheckPerson(field, text);
    case FieldType::kText:
    case FieldType::kAttachment:
      return text.empty() && field.required ? Bad(field, text) : Status::Ok();
    case FieldType::kNumber:
    case FieldType::kBoolean: break;
  }
  return Bad(field, text);
}

// An attachment field's value names a file: one the record describes, attached through
// this field or through none. Empty (an optional field left blank) names no file.
Status CheckAttachedFile(const FieldSpec& field, const std::string& name,
                         const std::vector<AttachedFile>& files) {
  if (name.empty()) return Status::Ok();
  std::string described;
  for (const AttachedFile& file : files) {
    if (file.field.empty() || file.field == field.id) {
      if (file.name == name) return Status::Ok();
      described += (described.empty() ? "" : ", ") + file.name;
    }
  }
  return Status::Error(ErrorCode::kInvalidValue,
                       field.id + ": expected the name of a file this finding attaches (" +
                           (described.empty() ? "it attaches none" : described) + "), got " +
                           Shown(name, "'"));
}

}  // namespace

Result<CheckedValue> ParseFieldValue(const FieldSpec& field, const std::string& text) {
  CheckedValue checked;
  switch (field.type) {
    case FieldType::kNumber: {
      double number = 0;
      if (ParseDouble(text, number)) return CheckRange(field, number, text);
      const Result<double> converted = NumberInFieldUnit(field, text);
      if (!converted.ok()) return converted.status();
      return CheckRange(field, *converted, text);
    }
    case FieldType::kBoolean: {
      std::optional<bool> flag = ParseBoolean(text);
      if (!flag) return Bad(field, text);
      checked.value = *flag;
      return checked;
    }
    default: {
      MUSTER_RETURN_IF_ERROR(CheckText(field, text));
      checked.value = text;
      return checked;
    }
  }
}

Status CheckFieldValue(const FieldSpec& field, const nlohmann::json& value,
                       const ValueContext& context) {
  switch (field.type) {
    case FieldType::kNumber: {
      if (!value.is_number() || !std::isfinite(value.get<double>())) return BadType(field, value);
      const double number = value.get<double>();
      CheckedValue checked = CheckRange(field, number, FormatNumber(number));
      if (checked.out_of_range && !context.confirmed) {
        return Status::Error(ErrorCode::kInvalidValue,
                             checked.note + ", and the member did not confirm it");
      }
      return Status::Ok();
    }
    case FieldType::kBoolean: return value.is_boolean() ? Status::Ok() : BadType(field, value);
    default: {
      if (!value.is_string()) return BadType(field, value);
      const std::string& text = value.get_ref<const std::string&>();
      MUSTER_RETURN_IF_ERROR(CheckText(field, text));
      MUSTER_RETURN_IF_ERROR(limits::CheckLength("the value of " + field.id, text, limits::kText,
                                                 ErrorCode::kInvalidValue));
      return field.type == FieldType::kAttachment ? CheckAttachedFile(field, text, context.files)
                                                  : Status::Ok();
    }
  }
}

namespace {

// Compiled patterns, shared by every thread that checks values (RE2 objects are safe to
// match from several threads); a playbook library has a handful.
std::shared_ptr<const re2::RE2> Compiled(const std::string& pattern) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const re2::RE2>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto found = cache.find(pattern);
  if (found != cache.end()) return found->second;
  if (cache.size() >= 256) cache.clear();
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto compiled = std::make_shared<const re2::RE2>(pattern, options);
  cache.emplace(pattern, compiled);
  return compiled;
}

}  // namespace

std::optional<std::string> PatternProblem(const std::string& pattern) {
  std::shared_ptr<const re2::RE2> compiled = Compiled(pattern);
  if (compiled->ok()) return std::nullopt;
  return compiled->error();
}

bool MatchesPattern(const std::string& pattern, const std::string& text) {
  std::shared_ptr<const re2::RE2> compiled = Compiled(pattern);
  return compiled->ok() && re2::RE2::FullMatch(text, *compiled);
}

std::string FormatValue(const Value& value) {
  if (const double* number = std::get_if<double>(&value)) return FormatNumber(*number);
  if (const bool* flag = std::get_if<bool>(&value)) return *flag ? "true" : "false";
  return std::get<std::string>(value);
}

std::optional<Value> ValueFromJson(const nlohmann::json& value) {
  if (value.is_number()) return Value(value.get<double>());
  if (value.is_boolean()) return Value(value.get<bool>());
  if (value.is_string()) return Value(value.get<std::string>());
  return std::nullopt;
}

std::vector<std::string> MissingRequiredFields(const Step& step,
                                               const std::vector<std::string>& given) {
  std::vector<std::string> missing;
  for (const FieldSpec& field : step.findings) {
    if (field.required && std::find(given.begin(), given.end(), field.id) == given.end()) {
      missing.push_back(field.id);
    }
  }
  return missing;
}

const FieldSpec& PositionField() {
  static const FieldSpec field = [] {
    FieldSpec spec;
    spec.id = "position";
    spec.type = FieldType::kGeolocation;
    spec.required = true;
    return spec;
  }();
  return field;
}

}  // namespace muster::playbook
