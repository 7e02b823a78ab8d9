// HQ's operator accounts: a name, a display name, a role (access/roles.h), an argon2id
// password hash (access/password.h) and whether the account is disabled. Administrators
// manage them through the API (`muster operator …`); the first administrator is made on
// the server (`muster-coordinator operator add`). Every change is audited in its own
// transaction and never records the password or its hash.
//
// Disabling an account or resetting its password ends its sessions in the same
// transaction (access/sessions.h). The last enabled administrator cannot be disabled.
// Thread: the one of its HqDatabase.
#pragma once

#include <optional>
#include <string>

#include "access/roles.h"
#include "muster/result.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"

namespace muster::hq {

struct OperatorInput {
  std::string name;          // lowercase letters, digits, '.', '-', '_'
  std::string display_name;  // empty: the name
  std::string role;          // a RoleName
  std::string password;      // CheckPasswordPolicy
};

// What a login checks: the account as stored.
struct OperatorAccount {
  std::string name;
  Role role = Role::kViewer;
  std::string password_hash;
  bool disabled = false;
};

class Operators : OverDatabase {
 public:
  Operators(HqDatabase& database, AuditTrail& audit) : OverDatabase(database), audit_(audit) {}

  // invalid_argument (name, role or password), conflict (the name is taken).
  Result<json> Add(const OperatorInput& input, const Actor& actor);
  // [{"name", "display_name", "role", "disabled", "created_at", "password_changed_at",
  //   "sessions"}], sessions counting the live ones.
  Result<json> List();
  // not_found; conflict when it would leave no enabled administrator.
  Result<json> SetDisabled(const std::string& name, bool disabled, const Actor& actor);
  // A new password; the operator's sessions end. not_found, invalid_argument.
  Result<json> ResetPassword(const std::string& name, const std::string& password,
                             const Actor& actor);
  // Ends every session of |name| without touching the account. not_found.
  Result<json> EndSessions(const std::string& name, const Actor& actor);
  // The account called |name|, if any.
  Result<std::optional<OperatorAccount>> Find(const std::string& name);

 private:
  Status RequireOperator(const std::string& name);
  // Ends the live sessions of |name| inside the caller's transaction; how many.
  int EndAllSessions(const std::string& name);
  Result<json> Describe(const std::string& name);

  AuditTrail& audit_;
};

}  // namespace muster::hq
