#include "after_action.h"

#include <map>
#include <sstream>

#include "cli_support.h"
#include "muster/clock.h"
#include "muster/exercise/script.h"
#include "sitrep_markdown.h"

namespace muster::console {
namespace {

using nlohmann::json;

// A duration from the report (ms, or null) for people: "12m", "1h 5m", or "-".
std::string Duration(const json& ms) { return ms.is_number() ? FormatAge(ms.get<Millis>()) : "-"; }
double Minutes(const json& ms) { return ms.is_number() ? ms.get<double>() / 60'000.0 : 0; }

void Summary(const json& report, std::ostream& out) {
  const json& s = report["summary"];
  out << "## Summary\n\n"
      << "- Steps: " << s["steps"] << "; done " << s["steps_done"] << ", overdue "
      << s["steps_overdue"] << ", blocked at least once " << s["steps_blocked"] << "\n"
      << "- Alerts: " << s["alerts"] << "; acknowledged " << s["alerts_acked"]
      << "; time to acknowledge: median " << Duration(s["ack_median_ms"]) << ", longest "
      << Duration(s["ack_max_ms"]) << "\n"
      << "- Check-in gaps (HQ heard nothing for longer than the member's check-in interval): "
      << s["checkin_gaps"] << "; longest " << Duration(s["longest_gap_ms"]) << "\n"
      << "- Conflicts: " << s["conflicts"] << "\n"
      << "- Injects: " << s["injects"] << " planned, " << s["injects_fired"] << " fired\n\n";
}

void Steps(const json& report, std::ostream& out) {
  out << "## Steps: planned against actual\n\n![Steps: planned against actual](steps.png)\n\n";
  if (report["steps"].empty()) {
    out << "No step had a task.\n\n";
    return;
  }
  out << "| Deployment | Step | Tasks | Planned | Actual | State | Overdue by | Blocked |\n"
         "|---|---|---|---|---|---|---|---|\n";
  for (const json& step : report["steps"]) {
    out << "| " << step["deployment"] << " | " << Md(step["title"]) << " (" << Md(step["step"])
        << ") | " << step["tasks"] << " | " << Duration(step["planned_ms"]) << " | "
        << Duration(step["actual_ms"]) << " | " << Md(step["state"]) << " | "
        << (step["overdue"].get<bool>() ? Duration(step["late_ms"]) : "-") << " | "
        << step["blocked"] << " |\n";
  }
  out << "\n";
}

void Alerts(const json& report, std::ostream& out) {
  out << "## Alerts: time to acknowledge\n\n![Time to acknowledge each alert](alerts.png)\n\n";
  if (report["alerts"].empty()) {
    out << "No alert was raised.\n\n";
    return;
  }
  out << "| # | Kind | Severity | Raised | Acknowledged | Time to acknowledge | By | Message |\n"
         "|---|---|---|---|---|---|---|---|\n";
  for (const json& alert : report["alerts"]) {
    out << "| " << alert["id"] << " | " << Md(alert["kind"]) << " | " << Md(alert["severity"])
        << " | " << When(alert["raised_at"]) << " | " << When(alert["acked_at"]) << " | "
        << (alert["ack_ms"].is_number() ? Duration(alert["ack_ms"]) : "**not acknowledged**")
        << " | " << (alert["acked_by"].is_string() ? Md(alert["acked_by"]) : "-") << " | "
        << Md(alert["message"]) << " |\n";
  }
  out << "\n";
}

void Gaps(const json& report, std::ostream& out) {
  out << "## Check-in gaps\n\n![What HQ heard from each member](checkins.png)\n\n";
  if (report["checkin_gaps"].empty()) {
    out << "HQ heard every member within their check-in interval.\n\n";
    return;
  }
  out << "| Member | Check-in interval | Silent from | Until | Gap |\n|---|---|---|---|---|\n";
  for (const json& gap : report["checkin_gaps"]) {
    out << "| " << Md(gap["member"]) << " | " << Duration(gap["interval_ms"]) << " | "
        << When(gap["from"]) << " | " << When(gap["to"]) << " | " << Duration(gap["gap_ms"])
        << " |\n";
  }
  out << "\n";
}

void Conflicts(const json& report, std::ostream& out) {
  out << "## Conflicts\n\n";
  if (report["conflicts"].empty()) {
    out << "No conflict between HQ's decisions and the field's work.\n\n";
    return;
  }
  for (const json& conflict : report["conflicts"]) {
    out << "- " << When(conflict["raised_at"]) << ": " << Md(conflict["message"]) << "\n";
  }
  out << "\n";
}

void Injects(const json& report, std::ostream& out) {
  out << "## Injects\n\n| # | Planned | Fired | Late | Inject | Outcome |\n"
         "|---|---|---|---|---|---|\n";
  for (const json& inject : report["injects"]) {
    out << "| " << inject["index"].get<int>() + 1 << " | T+" << Duration(inject["at_ms"]) << " | "
        << When(inject["fired_at"]) << " | " << Duration(inject["late_ms"]) << " | "
        << Md(inject["summary"]) << " | "
        << (inject["fired_at"].is_number() ? Md(inject["outcome"]) : "not fired") << " |\n";
  }
  out << "\n";
}

}  // namespace

std::string AfterActionMarkdown(const json& report) {
  std::ostringstream out;
  const std::string banner = std::string("**") + exercise::kExerciseMark + "**\n\n";
  out << banner << "# After-action report: " << Md(report["name"]) << "\n\n"
      << "Exercise incident " << Md(report["incident"]["id"]) << " ("
      << Md(report["incident"]["title"]) << "), from " << When(report["started_at"]) << " to "
      << When(report["ended_at"]) << " (" << Duration(report["summary"]["duration_ms"])
      << "). Generated " << When(report["generated_at"])
      << " from HQ's store; times are HQ's, a laptop's records placed in them.\n\n";
  Summary(report, out);
  Steps(report, out);
  Alerts(report, out);
  Gaps(report, out);
  Conflicts(report, out);
  Injects(report, out);
  out << banner;
  return out.str();
}

std::vector<std::pair<std::string, Chart>> AfterActionCharts(const json& report) {
  // Each chart says it is an exercise's: the files travel without the Markdown.
  Chart steps{
      exercise::Marked("steps planned (dashed) against actual; red: overdue"), "minutes", {}};
  for (const json& step : report["steps"]) {
    ChartRow row{Text(step["step"]), {}, ""};
    if (step["planned_ms"].is_number()) {
      row.spans.push_back({0, Minutes(step["planned_ms"]), SpanStyle::kPlanned});
    }
    if (step["actual_ms"].is_number()) {
      row.spans.push_back({0, Minutes(step["actual_ms"]),
                           step["overdue"].get<bool>() ? SpanStyle::kAlarm : SpanStyle::kActual});
      row.note = Duration(step["actual_ms"]);
    } else {
      row.note = Text(step["state"]);
    }
    steps.rows.push_back(std::move(row));
  }
  const Millis start = report["started_at"];
  const double length = Minutes(report["summary"]["duration_ms"]);
  Chart alerts{
      exercise::Marked("time to acknowledge each alert; red: not acknowledged"), "minutes", {}};
  for (const json& alert : report["alerts"]) {
    ChartRow row{"#" + Text(alert["id"]) + " " + Text(alert["kind"]), {}, ""};
    if (alert["ack_ms"].is_number()) {
      row.spans.push_back({0, Minutes(alert["ack_ms"]), SpanStyle::kActual});
      row.note = Duration(alert["ack_ms"]);
    } else {
      const double open = std::max(0.0, length - Minutes(alert["raised_at"].get<Millis>() - start));
      row.spans.push_back({0, open, SpanStyle::kAlarm});
      row.note = "not acknowledged";
    }
    alerts.rows.push_back(std::move(row));
  }
  Chart checkins{exercise::Marked("check-in gaps longer than the member's interval"),
                 "minutes from the start of the exercise",
                 {}};
  std::map<std::string, std::size_t> row_of;
  for (const json& gap : report["checkin_gaps"]) {
    const std::string member = Text(gap["member"]);
    if (!row_of.count(member)) {
      row_of[member] = checkins.rows.size();
      checkins.rows.push_back({member, {{0, length, SpanStyle::kPlanned}}, ""});
    }
    ChartRow& row = checkins.rows[row_of[member]];
    row.spans.push_back({Minutes(gap["from"].get<Millis>() - start),
                         Minutes(gap["to"].get<Millis>() - start), SpanStyle::kAlarm});
    row.note = std::to_string(row.spans.size() - 1) + " gap" + (row.spans.size() > 2 ? "s" : "");
  }
  return {{"steps.png", std::move(steps)},
          {"alerts.png", std::move(alerts)},
          {"checkins.png", std::move(checkins)}};
}

Result<std::vector<std::string>> WriteAfterAction(const json& report, const std::string& folder) {
  return WriteReportFolder({{{"after-action.md", AfterActionMarkdown(report)},
                             {"after-action.json", report.dump(2) + "\n"}},
                            AfterActionCharts(report),
                            {}},
                           folder);
}

}  // namespace muster::console
