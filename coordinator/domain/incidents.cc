#include "domain/incidents.h"

#include <SQLiteCpp/Statement.h>

#include <regex>
#include <set>

#include "domain/change_note.h"
#include "muster/countries.h"
#include "muster/exercise/script.h"
#include "muster/sqlite_store.h"
#include "muster/text_limits.h"
#include "store/columns.h"
#include "store/lookups.h"

namespace muster::hq {
namespace {

bool IsIncidentId(const std::string& id) {
  static const std::regex kId("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
  return std::regex_match(id, kId);
}

Status CheckSeverity(const std::string& severity) {
  static const std::set<std::string> kSeverities = {"low", "medium", "high", "critical"};
  if (kSeverities.count(severity)) return Status::Ok();
  return Status::Error(ErrorCode::kInvalidArgument,
                       "severity '" + severity + "' is not one of low, medium, high, critical");
}

// The CBRNE classes; an incident names any of them.
Status CheckHazards(const std::vector<std::string>& hazards) {
  static const std::set<std::string> kHazards = {"chemical", "biological", "radiological",
                                                 "nuclear", "explosive"};
  for (const std::string& hazard : hazards) {
    if (!kHazards.count(hazard)) {
      return Status::Error(ErrorCode::kInvalidArgument,
                           "hazard '" + hazard +
                               "' is not one of chemical, biological, radiological, nuclear, "
                               "explosive");
    }
  }
  return Status::Ok();
}

// The alpha-2 code of the country |text| names; "" for "". invalid_argument otherwise.
Result<std::string> CountryCode(const std::string& text) {
  if (text.empty()) return std::string();
  if (const Country* country = FindCountry(text)) return std::string(country->alpha2);
  return Status::Error(ErrorCode::kInvalidArgument,
                       "country '" + text +
                           "' is not an ISO 3166-1 country; give its code (GE or GEO) or its "
                           "English name (Georgia)");
}

json ReportFromRow(SQLite::Statement& row) {
  return {{"id", row.getColumn(0).getInt64()},          {"incident", row.getColumn(1).getString()},
          {"at", row.getColumn(2).getInt64()},          {"author", row.getColumn(3).getString()},
          {"conditions", row.getColumn(4).getString()}, {"actions", row.getColumn(5).getString()},
          {"needs", ParseJsonColumn(row.getColumn(6))}};
}

constexpr const char* kReportColumns = "id, incident_id, at, author, conditions, actions, needs";

}  // namespace

Result<json> Incidents::Create(const IncidentInput& input, const Actor& actor) {
  if (input.title.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument, "an incident needs a title (--title)");
  }
  MUSTER_RETURN_IF_ERROR(limits::CheckLength("the title", input.title, limits::kShort));
  MUSTER_RETURN_IF_ERROR(limits::CheckLength("the location", input.location, limits::kShort));
  MUSTER_RETURN_IF_ERROR(CheckSeverity(input.severity));
  MUSTER_RETURN_IF_ERROR(CheckHazards(input.hazards));
  Result<std::string> country = CountryCode(input.country);
  if (!country.ok()) return country.status();
  json created;
  Status status = InTransaction(*db_, [&]() -> Status {
    std::string id = input.id;
    if (id.empty()) {
      // The next free INC-NNNN after the highest one used, explicit ids included.
      int next = db_->execAndGet(
                        "SELECT COALESCE(MAX(CAST(substr(id, 5) AS INTEGER)), 0) + 1 "
                        "FROM incidents WHERE id GLOB 'INC-[0-9]*'")
                     .getInt();
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "INC-%04d", next);
      id = buffer;
    } else if (!IsIncidentId(id)) {
      return Status::Error(
          ErrorCode::kInvalidArgument,
          "incident id '" + id + "' must be letters, digits, '.', '-' or '_' (e.g. INC-2026-017)");
    }
    SQLite::Statement exists(*db_, "SELECT 1 FROM incidents WHERE id=?");
    exists.bind(1, id);
    if (exists.executeStep()) {
      return Status::Error(ErrorCode::kConflict, "incident " + id + " already exists");
    }
    SQLite::Statement insert(*db_,
                             "INSERT INTO incidents(id, title, hazards, location, severity, "
                             "created_at, exercise, country) VALUES(?,?,?,?,?,?,?,?)");
    insert.bind(1, id);
    insert.bind(2, input.title);
    insert.bind(3, json(input.hazards).dump());
    insert.bind(4, input.location);
    insert.bind(5, input.severity);
    insert.bind(6, static_cast<std::int64_t>(clock_.Now()));
    insert.bind(7, input.exercise ? 1 : 0);
    insert.bind(8, *country);
    insert.exec();
    MUSTER_RETURN_IF_ERROR(timeline_.Append(
        id, "incident_opened", actor.name,
        (input.exercise ? std::string(exercise::kExerciseMark) + " " : std::string()) +
            input.title));
    MUSTER_RETURN_IF_ERROR(audit_.Record({actor,
                                          "incident.create",
                                          id,
                                          {{"title", input.title},
                                           {"severity", input.severity},
                                           {"country", *country},
                                           {"exercise", input.exercise}}}));
    created = {{"id", id},
               {"title", input.title},
               {"hazards", input.hazards},
               {"location", input.location},
               {"severity", input.severity},
               {"country", *country},
               {"status", "open"},
               {"exercise", input.exercise},
               {"created_at", clock_.Now()}};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return created;
}

Result<json> Incidents::List() {
  json list = json::array();
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT id, title, hazards, location, severity, status, created_at, "
                            "exercise, country FROM incidents ORDER BY created_at, id");
    while (query.executeStep()) {
      list.push_back({{"id", query.getColumn(0).getString()},
                      {"title", query.getColumn(1).getString()},
                      {"hazards", ParseJsonColumn(query.getColumn(2))},
                      {"location", query.getColumn(3).getString()},
                      {"severity", query.getColumn(4).getString()},
                      {"status", query.getColumn(5).getString()},
                      {"created_at", query.getColumn(6).getInt64()},
                      {"exercise", query.getColumn(7).getInt() != 0},
                      {"country", query.getColumn(8).getString()}});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

Result<json> Incidents::Get(const std::string& incident_id) {
  json incident;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT title, hazards, location, severity, status, created_at, "
                            "exercise, country FROM incidents WHERE id=?");
    query.bind(1, incident_id);
    if (!query.executeStep()) {
      return Status::Error(ErrorCode::kNotFound, "no incident '" + incident_id +
                                                     "'; list them with: muster incident list");
    }
    incident = {{"id", incident_id},
                {"title", query.getColumn(0).getString()},
                {"hazards", ParseJsonColumn(query.getColumn(1))},
                {"location", query.getColumn(2).getString()},
                {"severity", query.getColumn(3).getString()},
                {"status", query.getColumn(4).getString()},
                {"created_at", query.getColumn(5).getInt64()},
                {"exercise", query.getColumn(6).getInt() != 0},
                {"country", query.getColumn(7).getString()},
                {"deployments", json::array()}};
    SQLite::Statement deployments(
        *db_,
        "SELECT d.id, p.id, p.version, d.status, d.created_at, d.closed_at, "
        "(SELECT COUNT(*) FROM tasks t WHERE t.deployment_id=d.id AND t.state NOT IN "
        "('completed','cancelled','reassigned')) FROM deployments d "
        "JOIN playbooks p ON p.hash=d.playbook_hash WHERE d.incident_id=? ORDER BY d.id");
    deployments.bind(1, incident_id);
    while (deployments.executeStep()) {
      const std::int64_t id = deployments.getColumn(0).getInt64();
      json team = json::object();
      SQLite::Statement roles(*db_,
                              "SELECT role, member_id FROM assignments WHERE deployment_id=? "
                              "ORDER BY role, member_id");
      roles.bind(1, id);
      while (roles.executeStep()) {
        team[roles.getColumn(0).getString()].push_back(roles.getColumn(1).getString());
      }
      incident["deployments"].push_back({{"id", id},
                                         {"playbook",
                                          {{"id", deployments.getColumn(1).getString()},
                                           {"version", deployments.getColumn(2).getString()}}},
                                         {"status", deployments.getColumn(3).getString()},
                                         {"created_at", deployments.getColumn(4).getInt64()},
                                         {"closed_at", NullableInt(deployments.getColumn(5))},
                                         {"open_tasks", deployments.getColumn(6).getInt64()},
                                         {"team", team}});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return incident;
}

Result<json> Incidents::Update(const std::string& incident_id, const IncidentChange& change,
                               const Actor& actor) {
  if (change.title && change.title->empty()) {
    return Status::Error(ErrorCode::kInvalidArgument, "an incident's title cannot be empty");
  }
  if (change.title) {
    MUSTER_RETURN_IF_ERROR(limits::CheckLength("the title", *change.title, limits::kShort));
  }
  if (change.location) {
    MUSTER_RETURN_IF_ERROR(limits::CheckLength("the location", *change.location, limits::kShort));
  }
  if (change.severity) MUSTER_RETURN_IF_ERROR(CheckSeverity(*change.severity));
  if (change.hazards) MUSTER_RETURN_IF_ERROR(CheckHazards(*change.hazards));
  std::optional<std::string> country;
  if (change.country) {
    Result<std::string> code = CountryCode(*change.country);
    if (!code.ok()) return code.status();
    country = *code;
  }
  if (change.status && *change.status != "open" && *change.status != "closed") {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "status '" + *change.status + "' is not one of open, closed");
  }
  Status status = InTransaction(*db_, [&]() -> Status {
    Result<json> before = Get(incident_id);
    if (!before.ok()) return before.status();
    if (change.status == "closed") {
      std::string active;
      for (const json& deployment : (*before)["deployments"]) {
        if (deployment["status"] != "active") continue;
        active += (active.empty() ? "" : ", ") + std::to_string(deployment["id"].get<int>());
      }
      if (!active.empty()) {
        return Status::Error(ErrorCode::kConflict, "incident " + incident_id +
                                                       " still has active deployment(s) " + active +
                                                       "; close them first with: muster deployment "
                                                       "demobilise ID");
      }
    }
    json after = *before;
    if (change.title) after["title"] = *change.title;
    if (change.hazards) after["hazards"] = *change.hazards;
    if (change.location) after["location"] = *change.location;
    if (change.severity) after["severity"] = *change.severity;
    if (change.status) after["status"] = *change.status;
    if (country) after["country"] = *country;
    json changes = json::object();
    std::string summary;
    for (const char* field : {"title", "hazards", "location", "severity", "status", "country"}) {
      NoteChange(field, (*before)[field], after[field], changes, summary);
    }
    if (changes.empty()) return Status::Ok();  // nothing to record
    SQLite::Statement update(*db_,
                             "UPDATE incidents SET title=?, hazards=?, location=?, severity=?, "
                             "status=?, country=? WHERE id=?");
    update.bind(1, after["title"].get<std::string>());
    update.bind(2, after["hazards"].dump());
    update.bind(3, after["location"].get<std::string>());
    update.bind(4, after["severity"].get<std::string>());
    update.bind(5, after["status"].get<std::string>());
    update.bind(6, after["country"].get<std::string>());
    update.bind(7, incident_id);
    update.exec();
    const std::string kind = !changes.contains("status")   ? "incident_updated"
                             : after["status"] == "closed" ? "incident_closed"
                                                           : "incident_reopened";
    MUSTER_RETURN_IF_ERROR(timeline_.Append(incident_id, kind, actor.name, summary));
    return audit_.Record({actor, "incident.update", incident_id, changes});
  });
  if (!status.ok()) return status;
  return Get(incident_id);
}

Result<json> Incidents::FileReport(const std::string& incident_id, const ReportInput& input,
                                   const Actor& actor) {
  std::vector<std::string> needs;
  for (const std::string& need : input.needs) {
    MUSTER_RETURN_IF_ERROR(limits::CheckLength("a need", need, limits::kLine));
    if (!need.empty()) needs.push_back(need);
  }
  MUSTER_RETURN_IF_ERROR(limits::CheckLength("the conditions", input.conditions, limits::kText));
  MUSTER_RETURN_IF_ERROR(limits::CheckLength("the actions", input.actions, limits::kText));
  if (input.conditions.empty() && input.actions.empty() && needs.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "a tactical report says something: --conditions, --actions or --need");
  }
  json report;
  Status status = InTransaction(*db_, [&]() -> Status {
    MUSTER_RETURN_IF_ERROR(RequireIncident(*db_, incident_id));
    SQLite::Statement insert(*db_,
                             std::string("INSERT INTO reports(incident_id, at, author, conditions, "
                                         "actions, needs) VALUES(?,?,?,?,?,?) RETURNING ") +
                                 kReportColumns);
    insert.bind(1, incident_id);
    insert.bind(2, static_cast<std::int64_t>(clock_.Now()));
    insert.bind(3, actor.name);
    insert.bind(4, input.conditions);
    insert.bind(5, input.actions);
    insert.bind(6, json(needs).dump());
    insert.executeStep();
    report = ReportFromRow(insert);
    insert.reset();
    std::string text;
    for (const auto& [label, value] : std::vector<std::pair<std::string, std::string>>{
             {"conditions", input.conditions}, {"actions", input.actions}}) {
      if (!value.empty()) text += (text.empty() ? "" : "; ") + label + ": " + value;
    }
    for (const std::string& need : needs) {
      text += std::string(text.empty() ? "" : "; ") + "need: " + need;
    }
    MUSTER_RETURN_IF_ERROR(timeline_.Append(incident_id, "tactical_report", actor.name, text));
    return audit_.Record(
        {actor, "report.create", incident_id, {{"report", report["id"]}, {"needs", needs.size()}}});
  });
  if (!status.ok()) return status;
  return report;
}

Result<json> Incidents::Reports(const std::string& incident_id) {
  json reports = json::array();
  Status status = Guarded([&]() -> Status {
    MUSTER_RETURN_IF_ERROR(RequireIncident(*db_, incident_id));
    SQLite::Statement query(*db_, std::string("SELECT ") + kReportColumns +
                                      " FROM reports WHERE incident_id=? ORDER BY id DESC");
    query.bind(1, incident_id);
    while (query.executeStep()) reports.push_back(ReportFromRow(query));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return reports;
}

}  // namespace muster::hq
