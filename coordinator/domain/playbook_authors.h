// The playbook authors HQ trusts: each a name and an Ed25519 public key
// (muster/playbook/signature.h). A signature counts at publication, and at each
// deployment, only when its key is here, under its author's name, and not revoked.
// Administrators add and revoke keys; both are audited. Thread: the one of its HqDatabase.
#pragma once

#include <string>

#include "muster/playbook/signature.h"
#include "muster/result.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"

namespace muster::hq {

class PlaybookAuthors : OverDatabase {
 public:
  PlaybookAuthors(HqDatabase& database, AuditTrail& audit)
      : OverDatabase(database), audit_(audit) {}

  // Trusts |public_key| (base64, as `muster playbook keygen` prints it) for |name|:
  // {"name", "key_id", "public_key", "added_at"}. bad_key, invalid_argument (no name),
  // conflict (the key is already known).
  Result<json> Add(const std::string& name, const std::string& public_key, const Actor& actor);
  // Every key ever added, newest first: [{"name", "key_id", "public_key", "added_at",
  // "added_by", "revoked_at", "revoked_by"}].
  Result<json> List();
  // Stops trusting every key of |name|: {"name", "revoked": N}. not_found when |name| has
  // no key in force.
  Result<json> Revoke(const std::string& name, const Actor& actor);
  // Whether |signature| is made by a key trusted for its author now (not whether it
  // matches a text: playbook::Verify). forbidden, naming the author and the fix.
  Status Trusts(const playbook::Signature& signature);

 private:
  AuditTrail& audit_;
};

}  // namespace muster::hq
