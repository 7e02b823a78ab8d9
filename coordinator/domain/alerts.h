// Alerts: raised by HQ's sweep (overdue tasks, members not heard from within their
// check-in interval), by a playbook's triggers, by agents and by damaged attachments;
// acknowledged by an officer. Each alert is raised once per |dedupe| key and written to
// the incident timeline. Thread: the one of its HqDatabase.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/timeline.h"
#include "muster/result.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"

namespace muster::hq {

class Alerts : OverDatabase {
 public:
  Alerts(HqDatabase& database, AuditTrail& audit, Timeline& timeline)
      : OverDatabase(database), audit_(audit), timeline_(timeline) {}

  // Raises an alert unless one with |dedupe| exists. Call inside a transaction.
  Status Raise(const std::string& incident_id, std::optional<std::int64_t> deployment_id,
               const std::string& kind, const std::string& severity, const std::string& message,
               const std::string& source, const std::string& dedupe);
  // Raises the time-based alerts that are due at the clock's now, in one transaction.
  // Returns how many were new.
  Result<int> Sweep();
  // Alerts of one incident (or all when empty): open first, the most severe first.
  Result<json> List(const std::string& incident_id, bool open_only);
  // not_found, conflict (already acknowledged).
  Result<json> Ack(std::int64_t alert_id, const Actor& actor);

 private:
  bool Exists(const std::string& dedupe);

  AuditTrail& audit_;
  Timeline& timeline_;
};

}  // namespace muster::hq
