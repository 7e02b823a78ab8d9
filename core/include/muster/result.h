// Errors as values. Library code returns Status or Result<T>; exceptions thrown by
// third-party libraries (SQLiteCpp, yaml-cpp, nlohmann-json, cppzmq) are caught at the
// adapter that calls them and turned into one of these. Nothing else sees an exception.
// Both types are [[nodiscard]]: an error is handled or passed on, never dropped unseen.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace muster {

// A stable, machine-readable error code plus a sentence for people. Codes are part of
// the API and the wire protocol: never renumber or rename one.
class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string code, std::string message) {
    return Status(std::move(code), std::move(message));
  }

  bool ok() const { return code_.empty(); }
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const { return ok() ? "ok" : code_ + ": " + message_; }

 private:
  Status(std::string code, std::string message)
      : code_(std::move(code)), message_(std::move(message)) {}
  std::string code_;
  std::string message_;
};

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
