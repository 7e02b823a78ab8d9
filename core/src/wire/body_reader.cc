#include "body_reader.h"

#include "muster/protocol.h"

namespace muster::wire {

using nlohmann::json;

BodyReader::BodyReader(const json& body, std::string what) : body_(body), what_(std::move(what)) {
  if (!body_.is_object()) Fail(ErrorCode::kMalformed, what_ + " must be a map");
}

void BodyReader::Fail(ErrorCode code, const std::string& message) {
  if (status_.ok()) status_ = Status::Error(code, message);
}

void BodyReader::ExpectKind(std::string_view kind, ErrorCode code, const std::string& otherwise) {
  if (String("kind") != kind && ok()) Fail(code, otherwise);
}

void BodyReader::Wrong(const char* name, const char* expected) {
  Fail(ErrorCode::kMalformed,
       "field '" + std::string(name) + "' of " + what_ + " must be " + expected);
}

const json* BodyReader::Find(const char* name, bool required) {
  if (!body_.is_object()) return nullptr;
  auto it = body_.find(name);
  if (it == body_.end()) {
    if (required) {
      Fail(ErrorCode::kMalformed, what_ + " has no field '" + std::string(name) + "'");
    }
    return nullptr;
  }
  return &*it;
}

std::string BodyReader::String(const char* name) {
  const json* value = Find(name, true);
  if (value == nullptr) return "";
  if (!value->is_string()) {
    Wrong(name, "a string");
    return "";
  }
  return value->get<std::string>();
}

std::string BodyReader::OptionalString(const char* name, std::string fallback) {
  const json* value = Find(name, false);
  if (value == nullptr) return fallback;
  if (!value->is_string()) {
    Wrong(name, "a string");
    return fallback;
  }
  return value->get<std::string>();
}

std::optional<std::uint64_t> BodyReader::OptionalUnsigned(const char* name) {
  const json* value = Find(name, false);
  if (value == nullptr) return std::nullopt;
  if (value->is_number_unsigned()) return value->get<std::uint64_t>();
  if (value->is_number_integer() && value->get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(value->get<std::int64_t>());
  }
  Wrong(name, "an unsigned integer");
  return std::nullopt;
}

std::uint64_t BodyReader::Unsigned(const char* name) {
  if (Find(name, true) == nullptr) return 0;
  return OptionalUnsigned(name).value_or(0);
}

std::optional<std::int64_t> BodyReader::OptionalInteger(const char* name) {
  const json* value = Find(name, false);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (value->is_number_integer() &&
      (!value->is_number_unsigned() ||
       value->get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX))) {
    return value->get<std::int64_t>();
  }
  Wrong(name, "an integer");
  return std::nullopt;
}

std::int64_t BodyReader::Integer(const char* name) {
  const json* value = Find(name, true);
  if (value == nullptr) return 0;
  if (value->is_null()) {
    Wrong(name, "an integer");
    return 0;
  }
  return OptionalInteger(name).value_or(0);
}

bool BodyReader::OptionalBool(const char* name, bool fallback) {
  const json* value = Find(name, false);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) {
    Wrong(name, "true or false");
    return fallback;
  }
  return value->get<bool>();
}

const json* BodyReader::OptionalObject(const char* name) {
  const json* value = Find(name, false);
  if (value == nullptr) return nullptr;
  if (!value->is_object()) {
    Wrong(name, "a map");
    return nullptr;
  }
  return value;
}

const json* BodyReader::OptionalArray(const char* name) {
  const json* value = Find(name, false);
  if (value == nullptr) return nullptr;
  if (!value->is_array()) {
    Wrong(name, "a list");
    return nullptr;
  }
  return value;
}

const json* BodyReader::Object(const char* name) {
  if (Find(name, true) == nullptr) return nullptr;
  return OptionalObject(name);
}

const json* BodyReader::Array(const char* name) {
  if (Find(name, true) == nullptr) return nullptr;
  return OptionalArray(name);
}

std::vector<std::string> BodyReader::OptionalStrings(const char* name) {
  std::vector<std::string> strings;
  const json* list = OptionalArray(name);
  if (list == nullptr) return strings;
  for (const json& entry : *list) {
    if (!entry.is_string()) {
      Wrong(name, "a list of strings");
      return {};
    }
    strings.push_back(entry.get<std::string>());
  }
  return strings;
}

}  // namespace muster::wire
