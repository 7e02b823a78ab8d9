// The codes of Status errors. Each has a wire name: what JSON answers of the API
// (docs/api.md), ERROR messages of the protocol (docs/protocol.md) and logs write.
// Wire names are part of the API and the protocol: never rename one. The table in
// error_code.cc gives each code its wire name, its HTTP status, whether ingest refuses
// one record with it, and what it means; a new code goes at the end of the enum and of
// the table.
#pragma once

#include <iosfwd>
#include <optional>
#include <span>
#include <string_view>

namespace muster {

// kOk is no error: what a Status that succeeded holds. kUnknown stands for a code a peer
// sent that this build does not know (PeerError in muster/result.h).
enum class ErrorCode {
  kOk,
  kUnknown,
  kInternal,
  kMalformed,
  kInvalidArgument,
  kNotFound,
  kConflict,
  kNotReady,
  kUnauthorized,
  kForbidden,
  kInvalidPlaybook,
  kUnassignedRole,
  kNoAgent,
  kInvalidValue,
  kTooLarge,
  kUnsupportedVersion,
  kUnknownType,
  kRateLimited,
  kNoSession,
  kDiskFull,
  kStoreBusy,
  kStoreIo,
  kStoreCorrupt,
  kStoreError,
  kSchemaTooNew,
  kIoError,
  kIsDirectory,
  kUnreadable,
  kInsecureFile,
  kBadKey,
  kInvalidBundle,
  kInvalidConfig,
  kCryptoUnavailable,
  kBindFailed,
  kWrongStore,
  kAmbiguous,
  kTaskClosed,
  kTaskWaiting,
  kNeedsConfirmation,
  kMissingFields,
  kDamaged,
  kNoCoordinator,
  kUnreachable,
  kApiError,
  kUntrustedCertificate,
};

// Every code, in the enum's order.
[[nodiscard]] std::span<const ErrorCode> AllErrorCodes();
// "not_found" for kNotFound.
[[nodiscard]] std::string_view WireName(ErrorCode code);
// The code of a wire name; nullopt for a name this build does not know (a newer peer's).
[[nodiscard]] std::optional<ErrorCode> ErrorCodeFromWire(std::string_view wire);
// The HTTP status the API answers the code with: 400, 401, 403, 404, 409, 413, 503, else
// 500 (and 200 for kOk).
[[nodiscard]] int HttpStatus(ErrorCode code);
// Whether ingest refuses one record with the code (the record is held and acknowledged,
// with no effect) rather than failing the whole batch (rolled back and sent again later).
[[nodiscard]] bool RefusesRecord(ErrorCode code);

// Writes the wire name, as the wire does (for test failures and streams).
std::ostream& operator<<(std::ostream& out, ErrorCode code);

}  // namespace muster
