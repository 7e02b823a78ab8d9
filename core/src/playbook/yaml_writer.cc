#include "yaml_writer.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace muster::playbook {
namespace {

using nlohmann::ordered_json;

// Whether a plain scalar |text| would be read as something other than text by YAML 1.1
// or 1.2 readers: null, a boolean, or a number.
bool LooksTyped(const std::string& text) {
  static const char* const kWords[] = {
      "",    "~",   "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
      "yes", "Yes", "YES",  "no",   "No",   "NO",   "on",   "On",   "ON",    "off",   "Off",
      "OFF", "y",   "Y",    "n",    "N",    ".inf", ".Inf", ".nan", ".NaN",  "-.inf"};
  for (const char* word : kWords) {
    if (text == word) return true;
  }
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

// A literal block keeps text exactly when it ends with one line feed, holds no carriage
// return or tab, and no line starts or ends with a space that the block would lose.
bool FitsLiteralBlock(const std::string& text) {
  if (text.size() < 2 || text.back() != '\n' || text[text.size() - 2] == '\n') return false;
  if (text.front() == ' ' || text.front() == '\n') return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\t') return false;
    if (c == ' ' && text[i + 1] == '\n') return false;
  }
  return true;
}

std::string FormatNumber(double value) {
  if (std::isfinite(value) && std::trunc(value) == value && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buffer[40];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

void EmitString(const std::string& text, YAML::Emitter& out) {
  if (text.find('\n') != std::string::npos) {
    out << (FitsLiteralBlock(text) ? YAML::Literal : YAML::DoubleQuoted) << text;
  } else if (LooksTyped(text)) {
    out << YAML::DoubleQuoted << text;
  } else {
    out << text;
  }
}

void Emit(const ordered_json& value, YAML::Emitter& out) {
  switch (value.type()) {
    case ordered_json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key << key << YAML::Value;
        Emit(item, out);
      }
      out << YAML::EndMap;
      return;
    case ordered_json::value_t::array:
      // Lists of plain scalars read best on one line: [a, b].
      out << (std::all_of(value.begin(), value.end(),
                          [](const ordered_json& x) { return x.is_primitive(); }) &&
                      !value.empty()
                  ? YAML::Flow
                  : YAML::Block);
      out << YAML::BeginSeq;
      for (const ordered_json& item : value) Emit(item, out);
      out << YAML::EndSeq;
      return;
    case ordered_json::value_t::string:
      EmitString(value.get<std::string>(), out);
      return;
    case ordered_json::value_t::boolean:
      out << (value.get<bool>() ? "true" : "false");
      return;
    case ordered_json::value_t::number_integer:
      out << std::to_string(value.get<long long>());
      return;
    case ordered_json::value_t::number_unsigned:
      out << std::to_string(value.get<unsigned long long>());
      return;
    case ordered_json::value_t::number_float:
      out << FormatNumber(value.get<double>());
      return;
    default:
      out << YAML::Null;
      return;
  }
}

}  // namespace

std::string WriteYaml(const ordered_json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  Emit(value, out);
  std::string text = out.c_str();
  // One line feed at the end; a literal block's clip chomping ignores blank lines after it.
  while (text.size() >= 2 && text.ends_with("\n\n")) text.pop_back();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

}  // namespace muster::playbook
