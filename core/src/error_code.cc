#include "muster/error_code.h"

#include <algorithm>
#include <array>
#include <ostream>

namespace muster {
namespace {

using enum ErrorCode;

struct Row {
  ErrorCode code;
  std::string_view wire;
  int http;             // the status the API answers with
  bool refuses_record;  // at ingest: one record refused, not the whole batch failed
};

// A row a code, in the enum's order, each under what the code means.
constexpr Row kTable[] = {
    // Not an error: what a Status that succeeded reports.
    {kOk, "ok", 200, false},
    // A peer sent a code this build does not know; the message starts with the peer's code.
    {kUnknown, "unknown", 500, false},
    // An unexpected failure, or HQ's store failed under a batch or a HELLO.
    {kInternal, "internal", 500, false},
    // A frame, record or request body is not shaped as the protocol or the API says.
    {kMalformed, "malformed", 400, true},
    // A request or command is wrong: a bad id, a missing, unknown or empty field.
    {kInvalidArgument, "invalid_argument", 400, true},
    // What the request or record names does not exist.
    {kNotFound, "not_found", 404, true},
    // The change contradicts what is there: it exists already, or it is closed or finished.
    {kConflict, "conflict", 409, false},
    // What is asked for is not complete yet (an attachment still arriving).
    {kNotReady, "not_ready", 409, false},
    // An API request without the valid bearer token.
    {kUnauthorized, "unauthorized", 401, false},
    // The agent is revoked or replaced, or a record acts on another member's task.
    {kForbidden, "forbidden", 403, true},
    // A playbook fails lint, or a task's stored playbook no longer loads or matches its hash.
    {kInvalidPlaybook, "invalid_playbook", 400, true},
    // A deployment leaves a required role without a member.
    {kUnassignedRole, "unassigned_role", 400, false},
    // A member given work has no active agent.
    {kNoAgent, "no_agent", 400, false},
    // A value fails its field's checks, or a record names a state or trigger it may not.
    {kInvalidValue, "invalid_value", 400, true},
    // A message, record, file or list is over its limit.
    {kTooLarge, "too_large", 413, true},
    // A frame's protocol version is not 1.
    {kUnsupportedVersion, "unsupported_version", 500, false},
    // A frame's message type is unknown, or one HQ does not accept.
    {kUnknownType, "unknown_type", 500, false},
    // An agent sent over its rate or burst; the message was not handled.
    {kRateLimited, "rate_limited", 429, false},
    // An agent sent before its HELLO (say, after HQ restarted).
    {kNoSession, "no_session", 500, false},
    // A disk is full: free space, then retry.
    {kDiskFull, "disk_full", 503, false},
    // The SQLite store is locked by another writer: retry later.
    {kStoreBusy, "store_busy", 503, false},
    // The store cannot be opened or written.
    {kStoreIo, "store_io", 500, false},
    // The store file is damaged: restore it from a backup.
    {kStoreCorrupt, "store_corrupt", 500, false},
    // Any other failure of the store.
    {kStoreError, "store_error", 500, false},
    // The store was migrated by a newer program than this one.
    {kSchemaTooNew, "schema_too_new", 500, false},
    // A file or folder could not be created, read, written or synced.
    {kIoError, "io_error", 500, false},
    // A path names a folder where a file was expected.
    {kIsDirectory, "is_directory", 500, false},
    // A file cannot be opened or read.
    {kUnreadable, "unreadable", 500, false},
    // A secret file is readable by others, or holds too short a token.
    {kInsecureFile, "insecure_file", 500, false},
    // A key file holds no valid key, or the public key does not match the secret one.
    {kBadKey, "bad_key", 500, false},
    // An enrolment bundle is not one, or lacks a field or a valid key.
    {kInvalidBundle, "invalid_bundle", 500, false},
    // A configuration file has an unknown key or a bad value.
    {kInvalidConfig, "invalid_config", 500, false},
    // Libsodium failed to start.
    {kCryptoUnavailable, "crypto_unavailable", 500, false},
    // A socket or the API cannot bind its address (is the port in use?).
    {kBindFailed, "bind_failed", 500, false},
    // An agent's data directory belongs to another agent.
    {kWrongStore, "wrong_store", 500, false},
    // A step names several tasks: give the task id.
    {kAmbiguous, "ambiguous", 500, false},
    // HQ cancelled or reassigned the task (--force acts anyway).
    {kTaskClosed, "task_closed", 500, false},
    // The task waits on a dependency or a trigger (--force acts anyway).
    {kTaskWaiting, "task_waiting", 500, false},
    // A value is outside its field's range (--confirm records it).
    {kNeedsConfirmation, "needs_confirmation", 500, false},
    // The task needs findings before it is done.
    {kMissingFields, "missing_fields", 500, false},
    // An attachment's stored copy is gone, changed or shorter than recorded.
    {kDamaged, "damaged", 500, false},
    // No coordinator has started with the console's data directory.
    {kNoCoordinator, "no_coordinator", 500, false},
    // The coordinator's API does not answer.
    {kUnreachable, "unreachable", 500, false},
    // The API answered an error without a readable code.
    {kApiError, "api_error", 500, false},
    // The coordinator's TLS certificate is not the pinned one, or cannot be verified.
    {kUntrustedCertificate, "untrusted_certificate", 500, false},
};

constexpr bool InEnumOrder() {
  for (std::size_t i = 0; i < std::size(kTable); ++i) {
    if (kTable[i].code != static_cast<ErrorCode>(i)) return false;
  }
  return true;
}
static_assert(InEnumOrder(), "the table's rows follow the enum");
// kUntrustedCertificate is the enum's last code: a code appended after it takes its place
// here.
static_assert(std::size(kTable) == static_cast<std::size_t>(kUntrustedCertificate) + 1,
              "every code has a row: the last code of the enum is the last row");

constexpr std::array<ErrorCode, std::size(kTable)> kAll = [] {
  std::array<ErrorCode, std::size(kTable)> all{};
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = kTable[i].code;
  return all;
}();

const Row& RowOf(ErrorCode code) { return kTable[static_cast<std::size_t>(code)]; }

}  // namespace

std::span<const ErrorCode> AllErrorCodes() { return kAll; }

std::string_view WireName(ErrorCode code) { return RowOf(code).wire; }

std::optional<ErrorCode> ErrorCodeFromWire(std::string_view wire) {
  const auto row = std::find_if(std::begin(kTable), std::end(kTable),
                                [&](const Row& r) { return r.wire == wire; });
  if (row == std::end(kTable)) return std::nullopt;
  return row->code;
}

int HttpStatus(ErrorCode code) { return RowOf(code).http; }

bool RefusesRecord(ErrorCode code) { return RowOf(code).refuses_record; }

std::ostream& operator<<(std::ostream& out, ErrorCode code) { return out << WireName(code); }

}  // namespace muster
