// Incidents and their tactical reports: what officers open, change, close and report.
// Every change is audited and written to the incident's timeline in one transaction.
// Thread: the one of its HqDatabase (the API's).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/timeline.h"
#include "muster/result.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"

namespace muster::hq {

struct IncidentInput {
  std::string id;  // empty: the next INC-NNNN
  std::string title;
  std::vector<std::string> hazards;
  std::string location;
  std::string severity = "medium";
  // Where it happened, for the programme's figures: an ISO 3166-1 code or name, stored as
  // the alpha-2 code; empty when not known.
  std::string country;
  // An exercise (docs/programme.md): marked as one everywhere, kept out of statistics.
  // Set when the incident is opened, never changed.
  bool exercise = false;
};

// What an officer changes in an incident: an empty optional keeps the value.
struct IncidentChange {
  std::optional<std::string> title;
  std::optional<std::vector<std::string>> hazards;
  std::optional<std::string> location;
  std::optional<std::string> severity;
  std::optional<std::string> status;  // "open" | "closed"
  std::optional<std::string> country;  // "" clears it
};

// A tactical report: what an officer sees (conditions), what the team is doing
// (actions) and what it needs.
struct ReportInput {
  std::string conditions;
  std::string actions;
  std::vector<std::string> needs;
};

class Incidents : OverDatabase {
 public:
  Incidents(HqDatabase& database, AuditTrail& audit, Timeline& timeline)
      : OverDatabase(database), audit_(audit), timeline_(timeline) {}

  // invalid_argument, conflict (the id is taken).
  Result<json> Create(const IncidentInput& input, const Actor& actor);
  Result<json> List();
  // One incident with its deployments (playbook, status, team, open tasks). not_found.
  Result<json> Get(const std::string& incident_id);
  // Changes an incident; the timeline and the audit log record each field's old and new
  // value. Closing is refused (conflict) while a deployment of it is active.
  Result<json> Update(const std::string& incident_id, const IncidentChange& change,
                      const Actor& actor);
  // Files a tactical report on an incident. invalid_argument when it says nothing,
  // not_found.
  Result<json> FileReport(const std::string& incident_id, const ReportInput& input,
                          const Actor& actor);
  // An incident's tactical reports, newest first. not_found.
  Result<json> Reports(const std::string& incident_id);

 private:
  AuditTrail& audit_;
  Timeline& timeline_;
};

}  // namespace muster::hq
