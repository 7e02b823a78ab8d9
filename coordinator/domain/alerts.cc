#include "domain/alerts.h"

#include <SQLiteCpp/Statement.h>

#include "muster/exercise/script.h"
#include "muster/sqlite_store.h"
#include "store/columns.h"
#include "store/lookups.h"

namespace muster::hq {
namespace {

constexpr const char* kAlertColumns =
    "id, incident_id, deployment_id, kind, severity, message, source, raised_at, acked_by, "
    "acked_at";

json AlertFromRow(SQLite::Statement& row) {
  return {
      {"id", row.getColumn(0).getInt64()},           {"incident", row.getColumn(1).getString()},
      {"deployment", NullableInt(row.getColumn(2))}, {"kind", row.getColumn(3).getString()},
      {"severity", row.getColumn(4).getString()},    {"message", row.getColumn(5).getString()},
      {"source", row.getColumn(6).getString()},      {"raised_at", row.getColumn(7).getInt64()},
      {"acked_by", NullableText(row.getColumn(8))},  {"acked_at", NullableInt(row.getColumn(9))}};
}

}  // namespace

bool Alerts::Exists(const std::string& dedupe) {
  SQLite::Statement query(*db_, "SELECT 1 FROM alerts WHERE dedupe=?");
  query.bind(1, dedupe);
  return query.executeStep();
}

Result<int> Alerts::Sweep() {
  int raised = 0;
  Status status = InTransaction(*db_, [&]() -> Status {
    const Millis now = clock_.Now();
    // Overdue: a live task of an active deployment past its due time. One alert per due
    // time, so a task made ready again later can be overdue again.
    SQLite::Statement overdue(
        *db_,
        "SELECT t.id, t.member_id, t.due_at, d.id, d.incident_id FROM tasks t JOIN deployments "
        "d ON d.id=t.deployment_id WHERE d.status='active' AND t.due_at IS NOT NULL AND "
        "t.due_at < ? AND t.state NOT IN ('completed','cancelled','reassigned') ORDER BY t.due_at");
    overdue.bind(1, static_cast<std::int64_t>(now));
    while (overdue.executeStep()) {
      const std::string task_id = overdue.getColumn(0).getString();
      const Millis due = overdue.getColumn(2).getInt64();
      const std::string dedupe = "overdue:" + task_id + ":" + std::to_string(due);
      if (Exists(dedupe)) continue;
      MUSTER_RETURN_IF_ERROR(Raise(
          overdue.getColumn(4).getString(), overdue.getColumn(3).getInt64(), "overdue", "warning",
          "task " + task_id + " held by " + overdue.getColumn(1).getString() + " was due " +
              FormatTimestamp(due) + " (" + FormatAge(now - due) + " ago)",
          "hq", dedupe));
      ++raised;
    }
    // Member safety: every member of an active deployment of an open incident must be
    // heard from (any agent of theirs) within their check-in interval. Before their first
    // contact the interval counts from the deployment. One alert per silence: a contact
    // moves the reference, so the next silence raises a new one.
    SQLite::Statement silent(
        *db_,
        "SELECT m.id, m.name, m.checkin_interval_ms, (SELECT MAX(g.last_contact_at) FROM agents "
        "g WHERE g.member_id=m.id), d.incident_id, MIN(d.created_at) FROM members m JOIN "
        "assignments a ON a.member_id=m.id JOIN deployments d ON d.id=a.deployment_id JOIN "
        "incidents i ON i.id=d.incident_id WHERE d.status='active' AND i.status='open' "
        "GROUP BY m.id, d.incident_id ORDER BY m.id, d.incident_id");
    while (silent.executeStep()) {
      const std::string member = silent.getColumn(0).getString();
      const Millis interval = silent.getColumn(2).getInt64();
      const bool heard = !silent.getColumn(3).isNull();
      const Millis reference =
          heard ? silent.getColumn(3).getInt64() : silent.getColumn(5).getInt64();
      if (now - reference <= interval) continue;
      const std::string incident = silent.getColumn(4).getString();
      const std::string dedupe =
          "checkin:" + incident + ":" + member + ":" + std::to_string(reference);
      if (Exists(dedupe)) continue;
      MUSTER_RETURN_IF_ERROR(Raise(
          incident, std::nullopt, "checkin", "critical",
          member + " (" + silent.getColumn(1).getString() + ") not heard from for " +
              FormatAge(now - reference) + "; check-in interval " + FormatAge(interval) + "; " +
              (heard ? "last contact " : "no contact since deployed ") + FormatTimestamp(reference),
          "hq", dedupe));
      ++raised;
    }
    if (raised == 0) return Status::Ok();
    return audit_.Record({Actor("hq", "alert sweep"), "alerts.raise", "-", {{"count", raised}}});
  });
  if (!status.ok()) return status;
  return raised;
}

Result<json> Alerts::List(const std::string& incident_id, bool open_only) {
  json list = json::array();
  Status status = Guarded([&]() -> Status {
    if (!incident_id.empty()) MUSTER_RETURN_IF_ERROR(RequireIncident(*db_, incident_id));
    // Open alerts first, the most severe first, then in the order they were raised.
    SQLite::Statement query(
        *db_, std::string("SELECT ") + kAlertColumns +
                  " FROM alerts WHERE (?1='' OR incident_id=?1) AND (?2=0 OR acked_at IS NULL) "
                  "ORDER BY acked_at IS NOT NULL, CASE severity WHEN 'critical' THEN 0 WHEN "
                  "'warning' THEN 1 ELSE 2 END, id");
    query.bind(1, incident_id);
    query.bind(2, open_only ? 1 : 0);
    while (query.executeStep()) list.push_back(AlertFromRow(query));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

Result<json> Alerts::Ack(std::int64_t alert_id, const Actor& actor) {
  json alert;
  Status status = InTransaction(*db_, [&]() -> Status {
    SQLite::Statement ack(*db_,
                          "UPDATE alerts SET acked_by=?, acked_at=? WHERE id=? AND acked_at IS "
                          "NULL");
    ack.bind(1, actor.name);
    ack.bind(2, static_cast<std::int64_t>(clock_.Now()));
    ack.bind(3, alert_id);
    const bool changed = ack.exec() > 0;
    SQLite::Statement read(*db_,
                           std::string("SELECT ") + kAlertColumns + " FROM alerts WHERE id=?");
    read.bind(1, alert_id);
    if (!read.executeStep()) {
      return Status::Error(ErrorCode::kNotFound, "no alert " + std::to_string(alert_id) +
                                                     "; list them with: muster alert list --open");
    }
    alert = AlertFromRow(read);
    if (!changed) {
      return Status::Error(ErrorCode::kConflict,
                           "alert " + std::to_string(alert_id) + " was already acknowledged by " +
                               alert["acked_by"].get<std::string>() + " at " +
                               FormatTimestamp(alert["acked_at"].get<Millis>()));
    }
    MUSTER_RETURN_IF_ERROR(
        timeline_.Append(alert["incident"], "alert_acked", actor.name,
                         "alert " + std::to_string(alert_id) +
                             " acknowledged: " + alert["message"].get<std::string>()));
    return audit_.Record({actor, "alert.ack", std::to_string(alert_id), {{"kind", alert["kind"]}}});
  });
  if (!status.ok()) return status;
  return alert;
}

Status Alerts::Raise(const std::string& incident_id, std::optional<std::int64_t> deployment_id,
                     const std::string& kind, const std::string& severity,
                     const std::string& message, const std::string& source,
                     const std::string& dedupe) {
  // An exercise's alert says so in its text, wherever the text goes (docs/programme.md).
  const std::string text = IsExercise(*db_, incident_id) ? exercise::Marked(message) : message;
  auto insert = statements_.Get(
      "INSERT OR IGNORE INTO alerts(incident_id, deployment_id, kind, "
      "severity, message, source, raised_at, dedupe) "
      "VALUES(?,?,?,?,?,?,?,?)");
  insert->bind(1, incident_id);
  if (deployment_id)
    insert->bind(2, *deployment_id);
  else
    insert->bind(2);
  insert->bind(3, kind);
  insert->bind(4, severity);
  insert->bind(5, text);
  insert->bind(6, source);
  insert->bind(7, static_cast<std::int64_t>(clock_.Now()));
  insert->bind(8, dedupe);
  if (insert->exec() > 0) {
    MUSTER_RETURN_IF_ERROR(
        timeline_.Append(incident_id, "alert", source, severity + " " + kind + ": " + text));
  }
  return Status::Ok();
}

}  // namespace muster::hq
