// Reads the fields of one wire body, remembering the first field that is missing or of
// the wrong type; the decoders of records.h and deliveries.h read every field, then ask
// status() once. Never throws.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "muster/error_code.h"
#include "muster/result.h"

namespace muster::wire {

class BodyReader {
 public:
  // |what| names the body in errors: "a status record".
  BodyReader(const nlohmann::json& body, std::string what);

  // Required fields fail when absent; optional ones give the fallback.
  std::string String(const char* name);
  std::string OptionalString(const char* name, std::string fallback = "");
  std::uint64_t Unsigned(const char* name);
  std::optional<std::uint64_t> OptionalUnsigned(const char* name);
  std::int64_t Integer(const char* name);
  std::optional<std::int64_t> OptionalInteger(const char* name);  // null counts as absent
  bool OptionalBool(const char* name, bool fallback);
  // A field that must be an object or array when present (nullptr when absent).
  const nlohmann::json* OptionalObject(const char* name);
  const nlohmann::json* OptionalArray(const char* name);
  const nlohmann::json* Object(const char* name);
  const nlohmann::json* Array(const char* name);
  // A list of strings (absent: empty).
  std::vector<std::string> OptionalStrings(const char* name);

  // Reads the field "kind" of a file format, which must be |kind|; |code| with |otherwise|
  // when it is another (a key file given where a signature was expected).
  void ExpectKind(std::string_view kind, ErrorCode code, const std::string& otherwise);
  // Reports a problem found by the caller (a rule beyond the field's type).
  void Fail(ErrorCode code, const std::string& message);
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

 private:
  const nlohmann::json* Find(const char* name, bool required);
  void Wrong(const char* name, const char* expected);

  const nlohmann::json& body_;
  std::string what_;
  Status status_;
};

// |value| when every field read well, else the first problem.
template <typename T>
Result<T> Finish(const BodyReader& reader, T value) {
  if (!reader.ok()) return reader.status();
  return value;
}

// The kind whose wire name is |name| in a table indexed by the kind's value.
template <typename Kind, std::size_t N>
std::optional<Kind> KindNamed(const std::array<const char*, N>& names, std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (name == names[i]) return static_cast<Kind>(i);
  }
  return std::nullopt;
}

}  // namespace muster::wire
