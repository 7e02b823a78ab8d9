// Operators' sessions: the bearer token a login hands out (to the `muster` CLI, which
// keeps it in the user's config, or to a browser, as an HttpOnly cookie) and what it
// stands for. A token is 32 random bytes ("mst_" + 64 hex digits); the store keeps only
// its SHA-256, so a copy of the store lets no one in. A session ends when it expires, at
// logout, or when an administrator disables the account, resets its password or ends its
// sessions (access/operators.h).
//
// A browser session also carries a CSRF secret that every change the browser asks for
// must repeat in a header (api/api_auth.h).
// Thread: the one of its HqDatabase.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "access/roles.h"
#include "muster/clock.h"
#include "muster/result.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"

namespace muster::hq {

struct Session {
  std::int64_t id = 0;
  std::string operator_name;
  Role role = Role::kViewer;
  std::string client;  // "cli" or "web"
  std::string csrf;    // 64 hex digits
  Millis expires_at = 0;
};

struct IssuedSession {
  std::string token;  // shown once, never stored
  Session session;
};

class Sessions : OverDatabase {
 public:
  Sessions(HqDatabase& database, AuditTrail& audit) : OverDatabase(database), audit_(audit) {}

  // A new session for |account| (already authenticated) lasting |lifetime|; audited as
  // operator.login with |actor|'s origin. Sessions that ended or expired over a week ago
  // are deleted on the way.
  Result<IssuedSession> Issue(const std::string& name, Role role, const std::string& client,
                              Millis lifetime, const Actor& actor);
  // The live session |token| opens, with the account's role as it is now; nullopt for an
  // unknown, expired or ended token or a disabled account.
  Result<std::optional<Session>> Resolve(const std::string& token);
  // Ends one session (logout). not_found when it is not live.
  Status End(std::int64_t session_id, const Actor& actor);

 private:
  AuditTrail& audit_;
};

}  // namespace muster::hq
