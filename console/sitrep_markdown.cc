#include "sitrep_markdown.h"

#include <sstream>

#include "cli_support.h"
#include "muster/clock.h"
#include "muster/display.h"

namespace muster::console {

std::string Md(const json& value) {
  if (value.is_string()) return ForMarkdown(value.get<std::string>());
  if (!value.is_array()) return Text(value);
  std::string joined;
  for (const json& item : value) joined += (joined.empty() ? "" : ",") + Md(item);
  return joined.empty() ? "-" : joined;
}

namespace {

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
  const std::string source = location.value("source", "") == "check-in"
                                 ? std::string("check-in")
                                 : Md(location["step"]);
  return Md(location["value"]) + " (" + source + ", " + When(location["recorded_at"]) + ")";
}

void Situation(const json& report, std::ostream& out) {
  const json& incident = report["incident"];
  out << "## Situation\n\n"
      << "- Severity: " << Md(incident["severity"]) << "; status: " << Md(incident["status"])
      << "\n- Location: " << (Md(incident["location"]).empty() ? "-" : Md(incident["location"]))
      << "\n- Hazards: " << Md(incident.value("hazards", json::array()))
      << "\n- Opened: " << When(incident.value("created_at", json())) << "\n";
  for (const auto& deployment : report["deployments"]) {
    out << "- Deployment " << deployment["id"] << ": " << Md(deployment["playbook"]["id"]) << " "
        << Md(deployment["playbook"]["version"]) << " (" << Md(deployment["status"]) << ")\n";
  }
}

void Team(const json& report, std::ostream& out) {
  out << "\n## Team\n\n";
  if (report["team"].empty()) {
    out << "No member is deployed.\n";
    return;
  }
  out << "| Member | Name | Roles | Last contact | Laptop clock | Last known location | Open tasks "
         "|\n"
      << "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& member : report["team"]) {
    out << "| " << Md(member["id"]) << " | " << Md(member["name"]) << " | "
        << Md(member["roles"]) << " | " << LastHeard(member) << " | "
        << ClockSkew(member.value("clock", json())) << " | " << Location(member) << " | " << member["open_tasks"] << " |\n";
  }
}

void Progress(const json& report, std::ostream& out) {
  out << "\n## Progress\n";
  for (const auto& deployment : report["deployments"]) {
    out << "\n### Deployment " << deployment["id"] << " (" << Md(deployment["status"]) << ")\n\n"
        << "| Phase | Done | Active | Waiting | Blocked | Dormant | Cancelled |\n"
        << "| --- | --- | --- | --- | --- | --- | --- |\n";
    for (const auto& phase : deployment["phases"]) {
      out << "| " << Md(phase["title"]) << " | " << phase["completed"] << "/"
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
  out << "| Step | Finding | Value | Recorded | By | Marking |\n"
      << "| --- | --- | --- | --- | --- | --- |\n";
  for (const auto& finding : report["findings"]) {
    std::string value = Md(finding["value"]);
    if (!Md(finding["unit"]).empty()) value += " " + Md(finding["unit"]);
    if (finding.value("confirmed_out_of_range", false)) value += " (out of range, confirmed)";
    out << "| " << Md(finding["step"]) << " | " << Md(finding["label"]) << " | "
        << value << " | " << When(finding["recorded_at"]) << " | "
        << Md(finding["member"]) << " | " << Md(finding.value("marking", json(""))) << " |\n";
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
        << Md(alert["severity"]) << " " << Md(alert["kind"]) << ": " << Md(alert["message"])
        << " (raised " << When(alert["raised_at"]);
    if (!open) out << "; acknowledged by " << Md(alert["acked_by"]) << " " << When(alert["acked_at"]);
    out << ")\n";
  }
}

void Work(const json& report, std::ostream& out) {
  out << "\n## Blocked and overdue work\n\n";
  if (report["blocked"].empty() && report["overdue"].empty()) out << "None.\n";
  for (const auto& task : report["blocked"]) {
    out << "- BLOCKED " << Md(task["task"]) << " (" << Md(task["member"])
        << "): " << Md(task["reason"]) << ", since " << When(task["since"]) << "\n";
  }
  for (const auto& task : report["overdue"]) {
    out << "- OVERDUE " << Md(task["task"]) << " (" << Md(task["member"]) << "): due "
        << When(task["due_at"]) << ", " << FormatAge(task["overdue_ms"].get<Millis>())
        << " ago\n";
  }
  out << "\n## Needs\n\n";
  if (report["needs"].empty()) out << "None reported.\n";
  for (const auto& need : report["needs"]) out << "- " << Md(need) << "\n";
}

// The officer's latest tactical report, with its age: conditions and actions as told.
void TacticalReport(const json& report, std::ostream& out) {
  const json& latest = report["tactical_report"];
  out << "\n## Tactical report\n\n";
  if (!latest.is_object()) {
    out << "None filed (muster report add).\n";
    return;
  }
  out << "Report " << Md(latest["id"]) << " by " << Md(latest["author"]) << ", "
      << FormatAge(latest["age_ms"].get<Millis>()) << " ago (" << When(latest["at"]) << ").\n\n"
      << "- Conditions: " << (latest["conditions"] == "" ? "-" : Md(latest["conditions"]))
      << "\n- Actions: " << (latest["actions"] == "" ? "-" : Md(latest["actions"])) << "\n";
}

}  // namespace

std::string SitrepMarkdown(const json& report) {
  std::ostringstream out;
  // The marking banner, top and bottom: the most restrictive marking of what it holds.
  const std::string marking = Md(report.value("marking", json("")));
  std::string banner = marking.empty() ? "" : "**" + marking + "**\n\n";
  if (const std::string exercise = ExerciseBanner(report); !exercise.empty()) {
    banner = "**" + exercise.substr(0, exercise.size() - 1) + "**\n\n" + banner;
  }
  out << banner << "# SITREP " << Md(report["incident"]["id"]) << ": " << Md(report["incident"]["title"])
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
  if (!banner.empty()) out << "\n" << banner;
  return out.str();
}

}  // namespace muster::console
