#include "store/audit_trail.h"

#include <sqlite3.h>

#include "muster/sqlite_store.h"

namespace muster::hq {

Status AuditTrail::Record(const AuditEntry& entry) {
  if (sqlite3_get_autocommit(db_->getHandle()) != 0) {
    return InTransaction(*db_, [&] { return AppendAudit(statements_, clock_.Now(), entry); });
  }
  return AppendAudit(statements_, clock_.Now(), entry);
}

Result<AuditVerdict> AuditTrail::Verify() { return VerifyAudit(*db_); }

Result<nlohmann::json> AuditTrail::Query(const AuditFilter& filter) {
  return QueryAudit(*db_, filter);
}

}  // namespace muster::hq
