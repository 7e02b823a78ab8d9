// The situation report: one JSON document an officer can read top to bottom (the console
// renders it as Markdown). Every member's last contact and its age are in it, and the
// time it was made, so that nobody mistakes stale data for the present.
#include <SQLiteCpp/Statement.h>

#include <map>

#include "muster/sqlite_store.h"
#include "views/incident_views.h"

namespace muster::hq {
namespace {

bool IsOpenState(const std::string& state) {
  return state != "completed" && state != "cancelled" && state != "reassigned";
}

json PhaseProgress(const playbook::Playbook* book, const json& tasks) {
  std::map<std::string, json> phases;
  std::vector<std::string> order;
  if (book) {
    for (const auto& phase : book->phases) {
      order.push_back(phase.id);
      phases[phase.id] = {{"id", phase.id}, {"title", phase.title}};
    }
  }
  for (const auto& task : tasks) {
    const std::string phase = task["phase"];
    if (!phases.count(phase)) {
      order.push_back(phase);
      phases[phase] = {{"id", phase}, {"title", phase}};
    }
    json& entry = phases[phase];
    const std::string state = task["state"];
    const char* bucket = state == "completed"          ? "completed"
                         : !IsOpenState(state)         ? "cancelled"
                         : task["dormant"].get<bool>() ? "dormant"
                         : state == "blocked"          ? "blocked"
                         : state == "waiting"          ? "waiting"
                                                       : "active";
    entry["tasks"] = entry.value("tasks", 0) + 1;
    entry[bucket] = entry.value(bucket, 0) + 1;
  }
  json list = json::array();
  for (const auto& id : order) {
    json entry = phases[id];
    for (const char* bucket :
         {"tasks", "completed", "active", "waiting", "blocked", "dormant", "cancelled"}) {
      if (!entry.contains(bucket)) entry[bucket] = 0;
    }
    list.push_back(entry);
  }
  return list;
}

// What the parts of a SITREP share: each task's playbook, each member's open tasks and
// latest recorded position.
struct SitrepParts {
  std::map<std::string, std::shared_ptr<const playbook::Playbook>> book_of_task;
  std::map<std::string, int> open_tasks_of;
  std::map<std::string, json> location_of;
};

// Each deployment with its phases' progress; the blocked and overdue tasks.
void AddDeployments(PlaybookLibrary& playbooks, const json& board, Millis now, json& report,
                    SitrepParts& parts) {
  for (const auto& deployment : board["deployments"]) {
    auto book = playbooks.ByHash(deployment["playbook"]["hash"]);
    const playbook::Playbook* loaded = book.ok() ? book->get() : nullptr;
    const bool active = deployment["status"] == "active";
    for (const auto& task : deployment["tasks"]) {
      if (book.ok()) parts.book_of_task[task["id"]] = *book;
      const std::string state = task["state"];
      if (!active || !IsOpenState(state) || task["dormant"].get<bool>()) continue;
      ++parts.open_tasks_of[task["member"]];
      if (state == "blocked") {
        report["blocked"].push_back({{"task", task["id"]},
                                     {"member", task["member"]},
                                     {"title", task["title"]},
                                     {"reason", task["reason"]},
                                     {"since", task["updated_at"]}});
      }
      if (task["overdue"].get<bool>()) {
        report["overdue"].push_back({{"task", task["id"]},
                                     {"member", task["member"]},
                                     {"title", task["title"]},
                                     {"due_at", task["due_at"]},
                                     {"overdue_ms", now - task["due_at"].get<Millis>()}});
      }
    }
    report["deployments"].push_back({{"id", deployment["id"]},
                                     {"status", deployment["status"]},
                                     {"playbook", deployment["playbook"]},
                                     {"phases", PhaseProgress(loaded, deployment["tasks"])}});
  }
}

// Key findings: the latest value of every field of every step; and each member's latest
// recorded position (a geolocation finding).
void AddFindings(const json& findings, json& report, SitrepParts& parts) {
  std::map<std::string, json> latest;
  std::vector<std::string> order;
  for (const auto& finding : findings) {
    auto book = parts.book_of_task.find(finding["task"]);
    const playbook::Step* step =
        book == parts.book_of_task.end() ? nullptr : book->second->FindStep(finding["step"]);
    for (auto& [field, value] : finding["values"].items()) {
      const playbook::FieldSpec* spec = nullptr;
      for (std::size_t i = 0; step && i < step->findings.size(); ++i) {
        if (step->findings[i].id == field) spec = &step->findings[i];
      }
      bool confirmed = false;
      for (const auto& name : finding["confirmed_out_of_range"]) confirmed |= name == field;
      const std::string key = finding["step"].get<std::string>() + "." + field;
      if (!latest.count(key)) order.push_back(key);
      latest[key] = {{"step", finding["step"]},
                     {"field", field},
                     {"label", spec && !spec->label.empty() ? spec->label : field},
                     {"value", value},
                     {"unit", spec ? spec->unit : ""},
                     {"recorded_at", finding["recorded_at"]},
                     {"member", finding["member"]},
                     {"marking", finding.value("marking", "")},
                     {"confirmed_out_of_range", confirmed}};
      if (spec && spec->type == playbook::FieldType::kGeolocation) {
        parts.location_of[finding["member"]] = {{"value", value},
                                                {"source", "finding"},
                                                {"step", finding["step"]},
                                                {"recorded_at", finding["recorded_at"]}};
      }
    }
  }
  for (const auto& key : order) report["findings"].push_back(latest[key]);
}

// The member's last known position: their newest geolocation finding or check-in,
// whichever HQ places later; null when there is neither.
json LastLocation(const json& member, SitrepParts& parts) {
  const auto found = parts.location_of.find(member["id"]);
  const json& checkin = member["position"];
  if (checkin.is_object() &&
      (found == parts.location_of.end() || found->second["recorded_at"] < checkin["recorded_at"])) {
    return {{"value", checkin["place"]},
            {"source", "check-in"},
            {"step", ""},
            {"recorded_at", checkin["recorded_at"]}};
  }
  return found == parts.location_of.end() ? json() : found->second;
}

// Every member with roles, contact, last contact, position and open tasks.
void AddTeam(SQLite::Database& db, const std::string& incident_id, const json& board, json& report,
             SitrepParts& parts) {
  std::map<std::string, json> roles_of;
  SQLite::Statement roles(db,
                          "SELECT DISTINCT a.member_id, a.role FROM assignments a JOIN "
                          "deployments d ON d.id=a.deployment_id WHERE d.incident_id=? "
                          "ORDER BY a.member_id, a.role");
  roles.bind(1, incident_id);
  while (roles.executeStep()) {
    roles_of[roles.getColumn(0).getString()].push_back(roles.getColumn(1).getString());
  }
  for (const auto& member : board["members"]) {
    const std::string id = member["id"];
    SQLite::Statement contact(db, "SELECT contact FROM members WHERE id=?");
    contact.bind(1, id);
    const json& age = member["last_contact_age_ms"];
    const Millis interval = member["checkin_interval_ms"];
    report["team"].push_back(
        {{"id", id},
         {"name", member["name"]},
         {"contact", contact.executeStep() ? contact.getColumn(0).getString() : ""},
         {"roles", roles_of.count(id) ? roles_of[id] : json::array()},
         {"checkin_interval_ms", interval},
         {"last_contact_at", member["last_contact_at"]},
         {"last_contact_age_ms", age},
         {"checkin_overdue", !age.is_number() || age.get<Millis>() > interval},
         {"clock", member["clock"]},
         {"data_age_ms", member["data_age_ms"]},
         {"location", LastLocation(member, parts)},
         {"open_tasks", parts.open_tasks_of[id]}});
  }
}

// What the team needs: unblocking, and answers to unacknowledged safety alerts.
void AddNeeds(const json& alerts, json& report) {
  for (const auto& blocked : report["blocked"]) {
    report["needs"].push_back("blocked: " + blocked["task"].get<std::string>() + " (" +
                              blocked["member"].get<std::string>() +
                              "): " + blocked["reason"].get<std::string>());
  }
  for (const auto& alert : alerts) {
    if (!alert["acked_at"].is_null()) continue;
    if (alert["kind"] != "safety" && alert["kind"] != "checkin") continue;
    report["needs"].push_back("member safety, alert " + std::to_string(alert["id"].get<int>()) +
                              " unacknowledged: " + alert["message"].get<std::string>());
  }
}

// The newest account an officer gave, with its age: it may be older than the data.
void AddTacticalReport(const json& reports, Millis now, json& report) {
  if (reports.empty()) return;
  json latest = reports[0];
  latest["age_ms"] = now - latest["at"].get<Millis>();
  for (const auto& need : latest["needs"]) {
    report["needs"].push_back(need.get<std::string>() + " (tactical report " +
                              std::to_string(latest["id"].get<int>()) + ", " +
                              latest["author"].get<std::string>() + ")");
  }
  report["tactical_report"] = latest;
}

}  // namespace

Result<json> IncidentViews::Sitrep(const std::string& incident_id) {
  Result<json> board = IncidentStatus(incident_id);
  if (!board.ok()) return board;
  Result<json> findings = IncidentFindings(incident_id);
  if (!findings.ok()) return findings;
  Result<json> alerts = alerts_.List(incident_id, false);
  if (!alerts.ok()) return alerts;
  Result<json> reports = incidents_.Reports(incident_id);
  if (!reports.ok()) return reports;
  const Millis now = (*board)["generated_at"];
  json report = {{"generated_at", now},          {"incident", (*board)["incident"]},
                 {"exercise", (*board)["exercise"]},
                 {"deployments", json::array()}, {"team", json::array()},
                 {"findings", json::array()},    {"alerts", *alerts},
                 {"blocked", json::array()},     {"overdue", json::array()},
                 {"tactical_report", json()},    {"needs", json::array()}};
  AddTacticalReport(*reports, now, report);
  Status status = Guarded([&]() -> Status {
    SQLite::Statement incident(*db_, "SELECT hazards, created_at FROM incidents WHERE id=?");
    incident.bind(1, incident_id);
    if (incident.executeStep()) {
      report["incident"]["hazards"] =
          json::parse(incident.getColumn(0).getString(), nullptr, false);
      report["incident"]["created_at"] = incident.getColumn(1).getInt64();
    }
    SitrepParts parts;
    AddDeployments(playbooks_, *board, now, report, parts);
    AddFindings(*findings, report, parts);
    AddTeam(*db_, incident_id, *board, report, parts);
    AddNeeds(*alerts, report);
    return Status::Ok();
  });
  // The report's marking: the most restrictive of its playbooks' and findings'.
  playbook::Marking highest;
  const auto raise = [&](const json& text) {
    if (!text.is_string()) return;
    if (auto marking = playbook::ParseMarking(text.get<std::string>())) {
      highest = playbook::Raise(highest, *marking);
    }
  };
  for (const json& deployment : (*board)["deployments"]) raise(deployment["playbook"]["marking"]);
  for (const json& finding : *findings) raise(finding["marking"]);
  report["marking"] = playbook::ToString(highest);
  if (!status.ok()) return status;
  return report;
}

}  // namespace muster::hq
