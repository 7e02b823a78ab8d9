// An alert as a CAP 1.2 message (OASIS Common Alerting Protocol, docs/programme.md,
// "Alerts as CAP 1.2"), for a partner agency or a public warning system. One alert is
// one <alert> document:
// - identifier "muster.HQ.alert.ID" and sender "muster.HQ" (HQ's store id), sent the time
//   the alert was raised, with the +00:00 offset CAP requires;
// - status Exercise for an exercise's alert, never Actual, and its note says EXERCISE
//   EXERCISE EXERCISE: an exercise cannot raise a real alert at a partner;
// - scope Restricted; the restriction names the partner's releasability, or for HQ's own
//   copy the message's marking;
// - one <info>: category CBRNE, the alert's kind as event, urgency and severity from the
//   alert's severity, the message as description, the incident's place as area.
// The message is the alert as raised: the same alert for the same releasability gives the
// same document, so a receiver that drops repeated identifiers loses nothing.
// An alert's message may quote anything in its incident (a reading, a member, a task),
// so it carries the highest marking of the incident (views/incident_markings.h). For a
// partner (a releasability), HQ refuses an alert whose incident holds anything above it,
// every watchlist alert (it names a person of interest), and a safety alert a member
// raised without naming a task (it may speak of any incident they serve in). Every
// message made is audited (alert.cap): who gave which alert to whom.
// Thread: the one of its HqDatabase (the API's).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/incidents.h"
#include "domain/playbook_library.h"
#include "muster/playbook/marking.h"
#include "muster/result.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"
#include "views/incident_views.h"

namespace muster::hq {

inline constexpr const char* kCapNamespace = "urn:oasis:names:tc:emergency:cap:1.2";

class CapAlerts : OverDatabase {
 public:
  CapAlerts(HqDatabase& database, PlaybookLibrary& playbooks, IncidentViews& views,
            Incidents& incidents, AuditTrail& audit)
      : OverDatabase(database),
        hq_id_(database.hq_id()),
        playbooks_(playbooks),
        views_(views),
        incidents_(incidents),
        audit_(audit) {}

  // The CAP document of alert |alert_id|, for |releasable| (nullopt: for HQ's own use),
  // audited as |actor|'s. not_found; forbidden when a partner of |releasable| may not see
  // it; conflict for an alert of no incident.
  Result<std::string> Build(std::int64_t alert_id,
                            const std::optional<playbook::Marking>& releasable, const Actor& actor);

 private:
  std::string hq_id_;
  PlaybookLibrary& playbooks_;
  IncidentViews& views_;
  Incidents& incidents_;
  AuditTrail& audit_;
};

}  // namespace muster::hq
