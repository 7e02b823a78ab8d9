#include "service/headquarters.h"

namespace muster::hq {

Headquarters::Headquarters(std::unique_ptr<HqDatabase> database, const HqPolicies& policies)
    : database_(std::move(database)),
      audit_(*database_),
      timeline_(*database_),
      authors_(*database_, audit_),
      playbooks_(*database_, audit_, authors_, policies.signatures),
      alerts_(*database_, audit_, timeline_),
      clocks_(*database_, alerts_, policies.clock_skew_alert_ms),
      deliveries_(*database_),
      progress_(*database_),
      team_(*database_, deliveries_),
      watchlist_(*database_, audit_, deliveries_, alerts_),
      dispatch_(*database_, playbooks_, deliveries_, team_, watchlist_),
      directory_(*database_),
      registry_(*database_, audit_, directory_, deliveries_, dispatch_, team_),
      incidents_(*database_, audit_, timeline_),
      roster_(*database_, audit_),
      attachments_(*database_, alerts_),
      deployments_(*database_,
                   {audit_, timeline_, alerts_, playbooks_, deliveries_, dispatch_, team_}),
      schedule_(*database_, playbooks_, deployments_, dispatch_, team_),
      operations_(*database_,
                  {audit_, timeline_, playbooks_, deliveries_, dispatch_, deployments_}),
      views_(*database_, playbooks_, attachments_, alerts_, incidents_),
      incident_archive_(*database_, playbooks_, views_, incidents_, timeline_, audit_),
      cap_alerts_(*database_, playbooks_, views_, incidents_, audit_),
      exercises_(*database_, {audit_, timeline_, alerts_, deliveries_}),
      after_action_(*database_, playbooks_, exercises_),
      monthly_report_(*database_, playbooks_),
      operators_(*database_, audit_),
      sessions_(*database_, audit_),
      ingest_(*database_, {audit_, timeline_, alerts_, playbooks_, directory_, deployments_,
                           dispatch_, attachments_, schedule_, team_, clocks_, watchlist_}) {}

Result<std::unique_ptr<Headquarters>> Headquarters::Open(const std::string& path,
                                                         const Clock& clock,
                                                         const HqPolicies& policies) {
  auto database = HqDatabase::Open(path, clock);
  if (!database.ok()) return database.status();
  return std::unique_ptr<Headquarters>(new Headquarters(std::move(database).value(), policies));
}

}  // namespace muster::hq
