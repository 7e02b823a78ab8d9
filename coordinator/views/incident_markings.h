// The markings of what an incident holds, failing closed: a partner export asks these
// before it lets anything out (views/incident_archive.h, views/cap_alert.h). A finding
// is marked as stored (a stored marking that cannot be read counts as the most
// restrictive: playbook::StoredMarking); a finding of a deployment whose playbook HQ
// cannot read counts as the most restrictive too, since its step's marking is unknown.
#pragma once

#include <set>
#include <string>

#include "domain/playbook_library.h"
#include "muster/playbook/marking.h"
#include "store/hq_database.h"

namespace muster::hq {

class IncidentMarkings {
 public:
  // From the deployments on |board| (IncidentViews::IncidentStatus) and their playbooks.
  IncidentMarkings(const json& board, PlaybookLibrary& playbooks);

  // The marking of |finding| (an entry of IncidentViews::IncidentFindings).
  playbook::Marking OfFinding(const json& finding) const;
  // The highest marking of anything in the incident: its playbooks, their steps and
  // |findings|. Text that may speak of anything in the incident (the board, the
  // timeline, an alert's message) carries it.
  playbook::Marking Highest(const json& findings) const;

 private:
  playbook::Marking playbooks_;       // the highest of the playbooks and their steps
  std::set<std::string> unreadable_;  // "d3." task prefixes of unreadable playbooks
};

}  // namespace muster::hq
