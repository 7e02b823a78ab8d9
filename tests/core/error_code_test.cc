#include "muster/error_code.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "muster/result.h"

namespace muster {
namespace {

TEST(ErrorCodeTest, EveryCodeIsListedOnceInTheEnumsOrder) {
  const auto all = AllErrorCodes();
  ASSERT_FALSE(all.empty());
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(all[i]), i) << all[i];
  }
  EXPECT_EQ(all.front(), ErrorCode::kOk);
  EXPECT_EQ(all.back(), ErrorCode::kUntrustedCertificate);
}

TEST(ErrorCodeTest, EveryCodeHasAUniqueLowerCaseWireName) {
  static const std::regex kWord("[a-z]+(_[a-z]+)*");
  std::set<std::string_view> seen;
  for (ErrorCode code : AllErrorCodes()) {
    const std::string wire(WireName(code));
    EXPECT_TRUE(std::regex_match(wire, kWord)) << "'" << wire << "'";
    EXPECT_TRUE(seen.insert(WireName(code)).second) << wire << " names two codes";
  }
}

TEST(ErrorCodeTest, WireNamesRoundTrip) {
  for (ErrorCode code : AllErrorCodes()) {
    EXPECT_EQ(ErrorCodeFromWire(WireName(code)), code) << code;
  }
}

// Wire names are part of the API and the protocol: a rename breaks older peers.
TEST(ErrorCodeTest, WireNamesAreThoseOfEarlierReleases) {
  const std::vector<std::pair<ErrorCode, std::string_view>> kPinned = {
      {ErrorCode::kOk, "ok"},
      {ErrorCode::kUnknown, "unknown"},
      {ErrorCode::kInternal, "internal"},
      {ErrorCode::kMalformed, "malformed"},
      {ErrorCode::kInvalidArgument, "invalid_argument"},
      {ErrorCode::kNotFound, "not_found"},
      {ErrorCode::kConflict, "conflict"},
      {ErrorCode::kNotReady, "not_ready"},
      {ErrorCode::kUnauthorized, "unauthorized"},
      {ErrorCode::kForbidden, "forbidden"},
      {ErrorCode::kInvalidPlaybook, "invalid_playbook"},
      {ErrorCode::kUnassignedRole, "unassigned_role"},
      {ErrorCode::kNoAgent, "no_agent"},
      {ErrorCode::kInvalidValue, "invalid_value"},
      {ErrorCode::kTooLarge, "too_large"},
      {ErrorCode::kUnsupportedVersion, "unsupported_version"},
      {ErrorCode::kUnknownType, "unknown_type"},
      {ErrorCode::kRateLimited, "rate_limited"},
      {ErrorCode::kNoSession, "no_session"},
      {ErrorCode::kDiskFull, "disk_full"},
      {ErrorCode::kStoreBusy, "store_busy"},
      {ErrorCode::kStoreIo, "store_io"},
      {ErrorCode::kStoreCorrupt, "store_corrupt"},
      {ErrorCode::kStoreError, "store_error"},
      {ErrorCode::kSchemaTooNew, "schema_too_new"},
      {ErrorCode::kIoError, "io_error"},
      {ErrorCode::kIsDirectory, "is_directory"},
      {ErrorCode::kUnreadable, "unreadable"},
      {ErrorCode::kInsecureFile, "insecure_file"},
      {ErrorCode::kBadKey, "bad_key"},
      {ErrorCode::kInvalidBundle, "invalid_bundle"},
      {ErrorCode::kInvalidConfig, "invalid_config"},
      {ErrorCode::kCryptoUnavailable, "crypto_unavailable"},
      {ErrorCode::kBindFailed, "bind_failed"},
      {ErrorCode::kWrongStore, "wrong_store"},
      {ErrorCode::kAmbiguous, "ambiguous"},
      {ErrorCode::kTaskClosed, "task_closed"},
      {ErrorCode::kTaskWaiting, "task_waiting"},
      {ErrorCode::kNeedsConfirmation, "needs_confirmation"},
      {ErrorCode::kMissingFields, "missing_fields"},
      {ErrorCode::kDamaged, "damaged"},
      {ErrorCode::kNoCoordinator, "no_coordinator"},
      {ErrorCode::kUnreachable, "unreachable"},
      {ErrorCode::kApiError, "api_error"},
      {ErrorCode::kUntrustedCertificate, "untrusted_certificate"},
  };
  EXPECT_EQ(kPinned.size(), AllErrorCodes().size()) << "pin the wire name of a new code here";
  for (const auto& [code, wire] : kPinned) EXPECT_EQ(WireName(code), wire);
}

TEST(ErrorCodeTest, NamesThisBuildDoesNotKnowHaveNoCode) {
  for (const char* wire : {"quota_exceeded", "", "NOT_FOUND", "not_found ", " ok", "error"}) {
    EXPECT_EQ(ErrorCodeFromWire(wire), std::nullopt) << "'" << wire << "'";
  }
}

TEST(ErrorCodeTest, HttpStatusIsTheApisAnswer) {
  const std::map<ErrorCode, int> kNot500 = {
      {ErrorCode::kOk, 200},
      {ErrorCode::kNotFound, 404},
      {ErrorCode::kConflict, 409},
      {ErrorCode::kNotReady, 409},
      {ErrorCode::kUnauthorized, 401},
      {ErrorCode::kInvalidArgument, 400},
      {ErrorCode::kInvalidPlaybook, 400},
      {ErrorCode::kUnassignedRole, 400},
      {ErrorCode::kNoAgent, 400},
      {ErrorCode::kMalformed, 400},
      {ErrorCode::kInvalidValue, 400},
      {ErrorCode::kForbidden, 403},
      {ErrorCode::kRateLimited, 429},
      {ErrorCode::kTooLarge, 413},
      {ErrorCode::kDiskFull, 503},
      {ErrorCode::kStoreBusy, 503},
  };
  for (ErrorCode code : AllErrorCodes()) {
    const auto it = kNot500.find(code);
    EXPECT_EQ(HttpStatus(code), it == kNot500.end() ? 500 : it->second) << code;
  }
}

TEST(ErrorCodeTest, IngestRefusesOneRecordForTheseCodesOnly) {
  const std::set<ErrorCode> kRefusals = {ErrorCode::kForbidden,       ErrorCode::kNotFound,
                                         ErrorCode::kInvalidArgument, ErrorCode::kInvalidValue,
                                         ErrorCode::kMalformed,       ErrorCode::kInvalidPlaybook,
                                         ErrorCode::kTooLarge};
  for (ErrorCode code : AllErrorCodes()) {
    EXPECT_EQ(RefusesRecord(code), kRefusals.count(code) == 1) << code;
  }
}

TEST(ErrorCodeTest, StreamsAsItsWireName) {
  std::ostringstream out;
  out << ErrorCode::kNoSession;
  EXPECT_EQ(out.str(), "no_session");
}

TEST(PeerErrorTest, AKnownCodeIsTakenAsItIs) {
  const Status error = PeerError("not_found", "no incident 'INC-9'");
  EXPECT_EQ(error.code(), ErrorCode::kNotFound);
  EXPECT_EQ(error.message(), "no incident 'INC-9'");
  EXPECT_EQ(error.ToString(), "not_found: no incident 'INC-9'");
}

TEST(PeerErrorTest, AnUnknownCodeIsKeptAtTheStartOfTheMessage) {
  const Status error = PeerError("quota_exceeded", "over quota");
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(error.code(), ErrorCode::kUnknown);
  EXPECT_EQ(error.message(), "quota_exceeded: over quota");
  EXPECT_EQ(error.ToString(), "unknown: quota_exceeded: over quota");
}

TEST(PeerErrorTest, APeersOkIsNoSuccess) {
  const Status error = PeerError("ok", "refused all the same");
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(error.code(), ErrorCode::kUnknown);
  EXPECT_EQ(error.message(), "ok: refused all the same");
}

}  // namespace
}  // namespace muster
