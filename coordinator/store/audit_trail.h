// The audit trail of HQ's changes (the hash chain itself: store/audit_chain.h).
//
// Every mutation at HQ records itself here inside the same transaction as the change
// (InTransaction), so the entry is committed exactly when the change is; called outside a
// transaction, Record makes its own. Say who (|entry.actor|: name and origin), what
// (|action|, dotted: "deployment.create") and on what (|subject|: an id); put the rest in
// |detail|, never a secret:
//   MUSTER_RETURN_IF_ERROR(audit_.Record({actor, "alert.ack", std::to_string(id), {}}));
// Thread: the one of its HqDatabase.
#pragma once

#include <nlohmann/json.hpp>

#include "muster/result.h"
#include "store/audit_chain.h"
#include "store/hq_database.h"

namespace muster::hq {

class AuditTrail : OverDatabase {
 public:
  explicit AuditTrail(HqDatabase& database) : OverDatabase(database) {}

  Status Record(const AuditEntry& entry);
  // Walks the chain; names the first entry that does not verify.
  Result<AuditVerdict> Verify();
  Result<nlohmann::json> Query(const AuditFilter& filter);
};

}  // namespace muster::hq
