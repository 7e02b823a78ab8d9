// The roster: the members HQ can deploy, with their roles, qualifications, contact and
// check-in interval. Every change is audited in its own transaction.
// Thread: the one of its HqDatabase (the API's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "muster/clock.h"
#include "muster/result.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"

namespace muster::hq {

struct MemberInput {
  std::string id;
  std::string name;
  std::vector<std::string> roles;
  std::vector<std::string> qualifications;
  std::string contact;
  Millis checkin_interval_ms = 3'600'000;
};

// What an officer changes in a member's roster entry: an empty optional keeps the value.
struct MemberChange {
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> roles;
  std::optional<std::vector<std::string>> qualifications;
  std::optional<std::string> contact;
  std::optional<Millis> checkin_interval_ms;
};

class Roster : OverDatabase {
 public:
  Roster(HqDatabase& database, AuditTrail& audit) : OverDatabase(database), audit_(audit) {}

  // invalid_argument, conflict (the id is taken).
  Result<json> Add(const MemberInput& input, const Actor& actor);
  Result<json> List();
  // Changes a member's entry (a new check-in interval applies from the next sweep).
  // not_found, invalid_argument.
  Result<json> Update(const std::string& member_id, const MemberChange& change, const Actor& actor);

 private:
  AuditTrail& audit_;
};

}  // namespace muster::hq
