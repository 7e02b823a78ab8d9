// Errors as values. Library code returns Status or Result<T>; exceptions thrown by
// third-party libraries (SQLiteCpp, yaml-cpp, nlohmann-json, cppzmq) are caught at the
// adapter that calls them and turned into one of these. Nothing else sees an exception.
// Both types are [[nodiscard]]: an error is handled or passed on, never dropped unseen.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "muster/error_code.h"

namespace muster {

// An error code (muster/error_code.h: stable, part of the API and the wire protocol) plus
// a sentence for people.
class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(ErrorCode code, std::string message) {
    return Status(code, std::move(message));
  }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  // The code as JSON answers, ERROR messages and logs write it.
  std::string_view wire_code() const { return WireName(code_); }
  const std::string& message() const { return message_; }
  std::string ToString() const { return ok() ? "ok" : std::string(wire_code()) + ": " + message_; }

 private:
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// An error a peer reported by its wire code (an HQ ERROR, an API answer). A code this build
// does not know, a newer peer's, is not lost: the error is kUnknown and its message starts
// with the peer's code. A peer's "ok" is no success either: it is unknown too.
inline Status PeerError(std::string_view wire_code, std::string message) {
  const std::optional<ErrorCode> code = ErrorCodeFromWire(wire_code);
  if (code && *code != ErrorCode::kOk) return Status::Error(*code, std::move(message));
  return Status::Error(ErrorCode::kUnknown, std::string(wire_code) + ": " + message);
}

// Either a value or an error Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}                 // NOLINT: implicit on purpose
  Result(Status status) : status_(std::move(status)) {}         // NOLINT: implicit on purpose

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace muster

// Returns early from the enclosing function when |expr| yields an error Status.
#define MUSTER_RETURN_IF_ERROR(expr)          \
  do {                                        \
    ::muster::Status muster_status_ = (expr); \
    if (!muster_status_.ok()) return muster_status_; \
  } while (0)
