#include "views/cap_alert.h"

#include <map>

#include "muster/clock.h"
#include "muster/digest.h"
#include "muster/exercise/script.h"
#include "muster/sqlite_store.h"
#include "muster/text_limits.h"
#include "muster/xml_writer.h"
#include "views/incident_markings.h"

namespace muster::hq {
namespace {

namespace pb = muster::playbook;

// CAP's dateTime: "2026-11-24T15:20:00+00:00" (a Z is not allowed).
std::string CapTime(Millis at) {
  std::string text = FormatTimestamp(at);
  text.pop_back();
  return text + "+00:00";
}

struct EventKind {
  const char* event;
  const char* category;  // CAP's: CBRNE for the hazard, Safety for a responder, Other
};

// What happened, by the alert's kind (domain/alerts.h); a kind this build does not know
// is named as it is.
EventKind EventOf(const std::string& kind) {
  static const std::map<std::string, EventKind> kEvents = {
      {"overdue", {"Task overdue", "Other"}},
      {"checkin", {"Team member not heard from", "Safety"}},
      {"safety", {"Safety alert from the field", "CBRNE"}},
      {"trigger", {"Playbook alert", "CBRNE"}},
      {"escalation", {"Playbook escalation", "CBRNE"}},
      {"conflict", {"Conflicting findings", "Other"}},
      {"clock_skew", {"Laptop clock off", "Other"}},
      {"attachment_damaged", {"Attachment damaged", "Other"}},
      {"attachment_corrupt", {"Attachment corrupt", "Other"}},
      {"exercise_inject", {"Exercise inject", "CBRNE"}},
      {"watchlist", {"Person of interest", "Security"}}};
  const auto found = kEvents.find(kind);
  return found == kEvents.end() ? EventKind{nullptr, "Other"} : found->second;
}

struct Grade {
  const char* urgency;
  const char* severity;
};

// Muster's severities on CAP's scales; one this build does not know counts as critical,
// as an agent's safety alert does (sync/ingest_records.cc).
Grade GradeOf(const std::string& severity) {
  if (severity == "info") return {"Future", "Minor"};
  if (severity == "warning") return {"Expected", "Moderate"};
  return {"Immediate", "Severe"};
}

struct AlertRow {
  std::string incident;
  std::optional<std::int64_t> deployment;
  std::string kind;
  std::string severity;
  std::string message;
  Millis raised_at = 0;
};

}  // namespace

Result<std::string> CapAlerts::Build(std::int64_t alert_id,
                                     const std::optional<pb::Marking>& releasable,
                                     const Actor& actor) {
  AlertRow alert;
  bool found = false;
  Status read = Guarded([&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT incident_id, deployment_id, kind, severity, message, "
                            "raised_at FROM alerts WHERE id=?");
    query.bind(1, alert_id);
    if (!query.executeStep()) return Status::Ok();
    found = true;
    alert.incident = query.getColumn(0).getString();
    if (!query.getColumn(1).isNull()) alert.deployment = query.getColumn(1).getInt64();
    alert.kind = query.getColumn(2).getString();
    alert.severity = query.getColumn(3).getString();
    alert.message = query.getColumn(4).getString();
    alert.raised_at = query.getColumn(5).getInt64();
    return Status::Ok();
  });
  if (!read.ok()) return read;
  if (!found) {
    return Status::Error(ErrorCode::kNotFound,
                         "no alert " + std::to_string(alert_id) +
                             "; muster alert list --incident INCIDENT lists them");
  }
  const std::string name = "alert " + std::to_string(alert_id);
  if (releasable && alert.kind == "watchlist") {
    return Status::Error(ErrorCode::kForbidden,
                         name +
                             " names a person of interest; watchlist alerts are never "
                             "shared with partners");
  }
  // A member's safety alert that names no task is filed under the incident of one of
  // their deployments, but its text may speak of any of them.
  if (releasable && alert.kind == "safety" && !alert.deployment) {
    return Status::Error(ErrorCode::kForbidden,
                         name +
                             " was raised by a member without naming a task, so it may "
                             "speak of any incident they serve in; it is not shared with "
                             "partners");
  }
  if (alert.incident == "-") {
    return Status::Error(ErrorCode::kConflict,
                         name +
                             " belongs to no incident (its member was not deployed); CAP "
                             "messages are made of an incident's alerts");
  }
  Result<json> incident = incidents_.Get(alert.incident);
  if (!incident.ok()) return incident.status();
  Result<json> board = views_.IncidentStatus(alert.incident);
  if (!board.ok()) return board.status();
  Result<json> findings = views_.IncidentFindings(alert.incident);
  if (!findings.ok()) return findings.status();
  const pb::Marking marking = IncidentMarkings(*board, playbooks_).Highest(*findings);
  if (releasable && !pb::ReleasableAt(marking, *releasable)) {
    return Status::Error(ErrorCode::kForbidden,
                         name + " may quote anything in incident " + alert.incident +
                             ", which holds " + pb::ToString(marking) + "; a partner cleared for " +
                             pb::ToString(*releasable) + " may not see it");
  }
  const bool exercise = (*incident)["exercise"].get<bool>();
  const EventKind kind = EventOf(alert.kind);
  const std::string event = kind.event != nullptr ? kind.event : alert.kind;
  const Grade grade = GradeOf(alert.severity);

  XmlWriter xml("alert", kCapNamespace);
  xml.Leaf("identifier", "muster." + hq_id_ + ".alert." + std::to_string(alert_id));
  xml.Leaf("sender", "muster." + hq_id_);
  xml.Leaf("sent", CapTime(alert.raised_at));
  xml.Leaf("status", exercise ? "Exercise" : "Actual");
  xml.Leaf("msgType", "Alert");
  xml.Leaf("scope", "Restricted");
  // A partner's copy names the releasability it was cleared for, which bounds the marking
  // and stays the same when the incident's marking rises.
  if (releasable) {
    xml.Leaf("restriction", "Releasable to partners cleared for " + pb::ToString(*releasable));
  } else {
    xml.Leaf("restriction",
             marking.empty() ? "HQ's own copy, not for release"
                             : "HQ's own copy, not for release; marking " + pb::ToString(marking));
  }
  if (exercise) xml.Leaf("note", exercise::kExerciseMark);
  xml.Leaf("incidents", alert.incident);
  xml.Open("info");
  xml.Leaf("language", "en");
  xml.Leaf("category", kind.category);
  xml.Leaf("event", event);
  xml.Leaf("urgency", grade.urgency);
  xml.Leaf("severity", grade.severity);
  xml.Leaf("certainty", "Observed");
  xml.Leaf("senderName", "Muster HQ");
  // CAP asks headlines to stay short (160 characters) for text messages and pagers.
  const std::string title = (*incident)["title"];
  xml.Leaf("headline", limits::Cut((exercise ? std::string(exercise::kExerciseMark) + " — " : "") +
                                       event + ": " + title,
                                   160));
  xml.Leaf("description", alert.message);
  for (const auto& [key, value] : std::map<std::string, std::string>{
           {"muster-kind", alert.kind}, {"muster-severity", alert.severity}}) {
    xml.Open("parameter");
    xml.Leaf("valueName", key);
    xml.Leaf("value", value);
    xml.Close();
  }
  std::string place = (*incident)["location"];
  const std::string country = incident->value("country", "");
  if (!country.empty()) place += (place.empty() ? "" : ", ") + country;
  if (!place.empty()) {
    xml.Open("area");
    xml.Leaf("areaDesc", place);
    xml.Close();
  }
  xml.Close();
  Result<std::string> document = xml.Finish();
  if (!document.ok()) return document.status();
  MUSTER_RETURN_IF_ERROR(
      audit_.Record({actor,
                     "alert.cap",
                     std::to_string(alert_id),
                     {{"incident", alert.incident},
                      {"releasable", releasable ? pb::ToString(*releasable) : ""},
                      {"sha256", Sha256Hex(*document)}}}));
  return document;
}

}  // namespace muster::hq
