// HQ's core over one database connection: every class of store/, domain/, views/ and
// sync/, built once in the order they depend on each other. The router thread and the
// API thread each own one Headquarters (the ZAP thread needs only an AgentDirectory);
// SQLite serialises their writers and WAL lets readers run beside them.
//
// Not thread-safe: one thread at a time, like the connection it holds.
#pragma once

#include <memory>
#include <string>

#include "access/operators.h"
#include "access/sessions.h"
#include "domain/agent_clocks.h"
#include "domain/agent_directory.h"
#include "domain/agent_registry.h"
#include "domain/alerts.h"
#include "domain/attachments.h"
#include "domain/deployments.h"
#include "domain/exercises.h"
#include "domain/incidents.h"
#include "domain/operations.h"
#include "domain/playbook_authors.h"
#include "domain/playbook_library.h"
#include "domain/roster.h"
#include "domain/timeline.h"
#include "muster/clock.h"
#include "muster/result.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"
#include "sync/agent_progress.h"
#include "sync/delivery_queue.h"
#include "sync/dispatch.h"
#include "sync/ingest.h"
#include "sync/team_relay.h"
#include "views/after_action.h"
#include "views/cap_alert.h"
#include "views/incident_archive.h"
#include "views/monthly_report.h"
#include "views/incident_views.h"

namespace muster::hq {

// What the configuration decides for HQ's core.
struct HqPolicies {
  SignaturePolicy signatures = SignaturePolicy::kOptional;  // `playbook_signatures`
  Millis clock_skew_alert_ms = 2 * 60'000;                  // `alerts.clock_skew`
};

class Headquarters {
 public:

  // Opens or creates the database at |path| (store/hq_database.h). |clock| must outlive
  // the result. |signatures| is the configuration's `playbook_signatures`.
  static Result<std::unique_ptr<Headquarters>> Open(const std::string& path, const Clock& clock,
                                                    const HqPolicies& policies = {});

  Headquarters(const Headquarters&) = delete;
  Headquarters& operator=(const Headquarters&) = delete;

  HqDatabase& database() { return *database_; }
  AuditTrail& audit() { return audit_; }
  Timeline& timeline() { return timeline_; }
  PlaybookAuthors& authors() { return authors_; }
  PlaybookLibrary& playbooks() { return playbooks_; }
  Alerts& alerts() { return alerts_; }
  AgentClocks& clocks() { return clocks_; }
  DeliveryQueue& deliveries() { return deliveries_; }
  AgentProgress& progress() { return progress_; }
  TeamRelay& team() { return team_; }
  Dispatch& dispatch() { return dispatch_; }
  Watchlist& watchlist() { return watchlist_; }
  AgentDirectory& directory() { return directory_; }
  AgentRegistry& registry() { return registry_; }
  Incidents& incidents() { return incidents_; }
  Roster& roster() { return roster_; }
  Attachments& attachments() { return attachments_; }
  Deployments& deployments() { return deployments_; }
  TaskSchedule& schedule() { return schedule_; }
  Operations& operations() { return operations_; }
  IncidentViews& views() { return views_; }
  IncidentArchive& incident_archive() { return incident_archive_; }
  CapAlerts& cap_alerts() { return cap_alerts_; }
  Exercises& exercises() { return exercises_; }
  AfterAction& after_action() { return after_action_; }
  MonthlyReport& monthly_report() { return monthly_report_; }
  Operators& operators() { return operators_; }
  Sessions& sessions() { return sessions_; }
  Ingest& ingest() { return ingest_; }

 private:
  Headquarters(std::unique_ptr<HqDatabase> database, const HqPolicies& policies);

  std::unique_ptr<HqDatabase> database_;
  AuditTrail audit_;
  Timeline timeline_;
  PlaybookAuthors authors_;
  PlaybookLibrary playbooks_;
  Alerts alerts_;
  AgentClocks clocks_;
  DeliveryQueue deliveries_;
  AgentProgress progress_;
  TeamRelay team_;
  Watchlist watchlist_;
  Dispatch dispatch_;
  AgentDirectory directory_;
  AgentRegistry registry_;
  Incidents incidents_;
  Roster roster_;
  Attachments attachments_;
  Deployments deployments_;
  TaskSchedule schedule_;
  Operations operations_;
  IncidentViews views_;
  IncidentArchive incident_archive_;
  CapAlerts cap_alerts_;
  Exercises exercises_;
  AfterAction after_action_;
  MonthlyReport monthly_report_;
  Operators operators_;
  Sessions sessions_;
  Ingest ingest_;
};

}  // namespace muster::hq
