// Read-only views of an incident for the console: the status board (deployments, tasks,
// members and their last contact), the findings with their attachments, and the
// situation report (views/sitrep.cc) that gathers them with the alerts and the latest
// tactical report. Each view reads in one snapshot; none writes.
// Thread: the one of its HqDatabase (the API's).
#pragma once

#include <optional>
#include <string>

#include "domain/alerts.h"
#include "domain/attachments.h"
#include "domain/incidents.h"
#include "domain/playbook_library.h"
#include "muster/playbook/marking.h"
#include "muster/result.h"
#include "store/hq_database.h"

namespace muster::hq {

class IncidentViews : OverDatabase {
 public:
  IncidentViews(HqDatabase& database, PlaybookLibrary& playbooks, Attachments& attachments,
                Alerts& alerts, Incidents& incidents)
      : OverDatabase(database),
        playbooks_(playbooks),
        attachments_(attachments),
        alerts_(alerts),
        incidents_(incidents) {}

  // not_found for each.
  Result<json> IncidentStatus(const std::string& incident_id);
  Result<json> IncidentFindings(const std::string& incident_id);
  Result<json> Sitrep(const std::string& incident_id);
  // The incident's geolocated findings and its members' last known positions as a GeoJSON
  // FeatureCollection (RFC 7946; views/geojson.cc). With |releasable|, only what a partner
  // cleared for that marking may see (playbook::ReleasableAt); the rest is counted in
  // `muster.withheld`.
  Result<json> GeoJson(const std::string& incident_id,
                       const std::optional<playbook::Marking>& releasable);

 private:
  PlaybookLibrary& playbooks_;
  Attachments& attachments_;
  Alerts& alerts_;
  Incidents& incidents_;
};

}  // namespace muster::hq
