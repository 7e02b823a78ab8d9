#include "sitrep_markdown.h"

#include <sstream>

#include "cli_support.h"
#include "muster/clock.h"

namespace muster::console {
namespace {

// Markdown table cells must not break the row.
std::string Cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string LastHeard(const json& member) {
  const json& age = member["last_contact_age_ms"];
  std::string text = age.is_number() ? "last heard " + FormatAge(age.get<Millis>()) + " ago (" +
                                           When(member["last_contact_at"]) + ")"
                                     : "never heard from";
  if (member.value("checkin_overdue", false)) {
    text += " **OVERDUE** (check-in every " +
            FormatAge(member["checkin_interval_ms"].get<Millis>()) + ")";
  }
  return text;
}

std::string Location(const json& member) {
  const json& location = member["location"];
  if (!location.is_object()) return "unknown";
  return Text(location["value"]) + " (" + Text(location["step"]) + ", " +
         When(location["recorded_at"]) + ")";
}

void Situation(const json& report, std::ostream& out) {
  const json& incident = report["incident"];
  out << "## Situation\n\n"
      << "- Severity: " << Text(incident["severity"]) << "; status: " << Text(incident["status"])
      << "\n- Location: " << (Text(incident["location"]).empty() ? "-" : Text(incident["location"]))
      << "\n- Hazards: " << Join(incident.value("hazards", json::array()))
      << "\n- Opened: " << When(incident.value("created_at", json())) << "\n";
  for (const auto& deployment : report["deployments"]) {
    out << "- Deployment " << deployment["id"] << ": " << Text(deployment["playbook"]["id"]) << " "
        << Text(deployment["playbook"]["version"]) << " (" << Text(deployment["status"]) << ")\n";
  }
}

void Team(const json& report, std::ostream& out) {
  out << "\n## Team\n\n";
  if (report["team"].empty()) {
    out << "No member is deployed.\n";
    return;
  }
  out << "| Member | Name | Roles | Last contact | Last known location | Open tasks |\n"
      << "| --- | --- | --- | --- | --- | --- |\n";
  for (const auto& member : report["team"]) {
    out << "| " << Cell(Text(member["id"])) << " | " << Cell(Text(member["name"])) << " | "
        << Cell(Join(member["roles"])) << " | " << Cell(LastHeard(member)) << " | "
        << Cell(Location(member)) << " | " << member["open_tasks"] << " |\n";
  }
}

void Progress(const json& report, std::ostream& out) {
  out << "\n## Progress\n";
  for (const auto& deployment : report["deployments"]) {
    out << "\n### Deployment " << deployment["id"] << " (" << Text(deployment["status"]) << ")\n\n"
        << "| Phase | Done | Active | Waiting | Blocked | Dormant | Cancelled |\n"
        << "| --- | --- | --- | --- | --- | --- | --- |\n";
    for (const auto& phase : deployment["phases"]) {
      out << "| " << Cell(Text(phase["title"])) << " | " << phase["completed"] << "/"
          << phase["tasks"] << " | " << phase["active"] << " | " << phase["waiting"] << " | "
          << phase["blocked"] << " | " << phase["dormant"] << " | " << phase["cancelled"] << " |\n";
    }
  }
}

void Findings(const json& report, std::ostream& out) {
  out << "\n## Key findings\n\n";
  if (report["findings"].empty()) {
    out << "No findings yet.\n";
    return;
  }
  out << "| Step | Finding | Value | Recorded | By |\n| --- | --- | --- | --- | --- |\n";
  for (const auto& finding : report["findings"]) {
    std::string value = Text(finding["value"]);
    if (!Text(finding["unit"]).empty()) value += " " + Text(finding["unit"]);
    if (finding.value("confirmed_out_of_range", false)) value += " (out of range, confirmed)";
    out << "| " << Cell(Text(finding["step"])) << " | " << Cell(Text(finding["label"])) << " | "
        << Cell(value) << " | " << When(finding["recorded_at"]) << " | "
        << Cell(Text(finding["member"])) << " |\n";
  }
}

void Alerts(const json& report, std::ostream& out) {
  out << "\n## Alerts\n\n";
  if (report["alerts"].empty()) {
    out << "No alerts.\n";
    return;
  }
  for (const auto& alert : report["alerts"]) {
    const bool open = alert["acked_at"].is_null();
    out << "- " << (open ? "**OPEN** " : "acknowledged ") << "#" << alert["id"] << " "
        << Text(alert["severity"]) << " " << Text(alert["kind"]) << ": " << Text(alert["message"])
        << " (raised " << When(alert["raised_at"]);
    if (!open) out << "; acknowledged by " << Text(alert["acked_by"]) << " " << When(alert["acked_at"]);
    out << ")\n";
  }
}

void Work(const json& report, std::ostream& out) {
  out << "\n## Blocked and overdue work\n\n";
  if (report["blocked"].empty() && report["overdue"].empty()) out << "None.\n";
  for (const auto& task : report["blocked"]) {
    out << "- BLOCKED " << Text(task["task"]) << " (" << Text(task["member"])
        << "): " << Text(task["reason"]) << ", since " << When(task["since"]) << "\n";
  }
  for (const auto& task : report["overdue"]) {
    out << "- OVERDUE " << Text(task["task"]) << " (" << Text(task["member"]) << "): due "
        << When(task["due_at"]) << ", " << FormatAge(task["overdue_ms"].get<Millis>())
        << " ago\n";
  }
  out << "\n## Needs\n\n";
  if (report["needs"].empty()) out << "None reported.\n";
  for (const auto& need : report["needs"]) out << "- " << Text(need) << "\n";
}

// The officer's latest tactical report, with its age: conditions and actions as told.
void TacticalReport(const json& report, std::ostream& out) {
  const json& latest = report["tactical_report"];
  out << "\n## Tactical report\n\n";
  if (!latest.is_object()) {
    out << "None filed (muster report add).\n";
    return;
  }
  out << "Report " << Text(latest["id"]) << " by " << Text(latest["author"]) << ", "
      << FormatAge(latest["age_ms"].get<Millis>()) << " ago (" << When(latest["at"]) << ").\n\n"
      << "- Conditions: " << (latest["conditions"] == "" ? "-" : Text(latest["conditions"]))
      << "\n- Actions: " << (latest["actions"] == "" ? "-" : Text(latest["actions"])) << "\n";
}

}  // namespace

std::string SitrepMarkdown(const json& report) {
  std::ostringstream out;
  out << "# SITREP " << Text(report["incident"]["id"]) << ": " << Text(report["incident"]["title"])
      << "\n\nGenerated " << When(report["generated_at"])
      << " from what HQ holds at that moment; each member's data is as fresh as their last "
         "contact.\n\n";
  Situation(report, out);
  TacticalReport(report, out);
  Team(report, out);
  Progress(report, out);
  Findings(report, out);
  Alerts(report, out);
  Work(report, out);
  return out.str();
}

}  // namespace muster::console
