#include "muster/playbook/fields.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <regex>
#include <sstream>

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
  }
  return "a value";
}

Status Bad(const FieldSpec& field, const std::string& text) {
  return Status::Error("invalid_value",
                       field.id + ": expected " + Expected(field) + ", got '" + text + "'");
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

std::string FormatNumber(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

Result<CheckedValue> ParseFieldValue(const FieldSpec& field, const std::string& text) {
  CheckedValue checked;
  switch (field.type) {
    case FieldType::kNumber: {
      double number = 0;
      if (!ParseDouble(text, number)) return Bad(field, text);
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
    case FieldType::kBoolean: {
      std::string lower = text;
      std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
      if (lower == "true" || lower == "yes" || lower == "y") checked.value = true;
      else if (lower == "false" || lower == "no" || lower == "n") checked.value = false;
      else return Bad(field, text);
      return checked;
    }
    case FieldType::kEnum:
      if (std::find(field.options.begin(), field.options.end(), text) == field.options.end()) {
        return Bad(field, text);
      }
      checked.value = text;
      return checked;
    case FieldType::kTime: {
      if (!IsUtcTime(text)) return Bad(field, text);
      checked.value = text;
      return checked;
    }
    case FieldType::kGeolocation: {
      const auto comma = text.find(',');
      double lat = 0, lon = 0;
      if (comma == std::string::npos || !ParseDouble(text.substr(0, comma), lat) ||
          !ParseDouble(text.substr(comma + 1), lon) || lat < -90 || lat > 90 || lon < -180 ||
          lon > 180) {
        return Bad(field, text);
      }
      checked.value = text;
      return checked;
    }
    case FieldType::kSampleId: {
      if (text.empty()) return Bad(field, text);
      if (!field.pattern.empty()) {
        try {
          if (!std::regex_match(text, std::regex(field.pattern))) return Bad(field, text);
        } catch (const std::regex_error&) {
          return Status::Error("invalid_playbook",
                               field.id + ": the playbook's pattern cannot be used");
        }
      }
      checked.value = text;
      return checked;
    }
    case FieldType::kText:
    case FieldType::kAttachment:
      if (text.empty() && field.required) return Bad(field, text);
      checked.value = text;
      return checked;
  }
  return Bad(field, text);
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

}  // namespace muster::playbook
