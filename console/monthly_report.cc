#include "monthly_report.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "cli_support.h"
#include "muster/countries.h"
#include "sitrep_markdown.h"

namespace muster::console {
namespace {

using nlohmann::json;

// "GE (Georgia)" for a code ISO 3166-1 knows; the text otherwise, "unknown" for "".
std::string CountryName(const json& code) {
  const std::string text = Text(code);
  if (text.empty()) return "unknown";
  if (text.size() == 2) {
    if (const Country* country = FindCountry(text)) {
      return text + " (" + std::string(country->name) + ")";
    }
  }
  return text;
}

// An amount as people write it: 1234567, 512.5, 0.02; in exponent notation only when
// very small.
std::string Amount(double value) {
  char text[400];
  if (value != 0 && std::abs(value) < 0.001) {
    std::snprintf(text, sizeof text, "%.3g", value);
    return text;
  }
  std::snprintf(text, sizeof text, "%.6f", value);
  std::string out = text;
  out.erase(out.find_last_not_of('0') + 1);
  if (out.back() == '.') out.pop_back();
  return out;
}

// "512.5 g; 3 GBq", or "-" when no seizure gave a quantity.
std::string Quantities(const json& material) {
  std::string text;
  for (const json& q : material["quantities"]) {
    text += (text.empty() ? "" : "; ") + Amount(q["quantity"].get<double>()) +
            (Text(q["unit"]).empty() ? "" : " " + Text(q["unit"]));
  }
  return text.empty() ? "-" : text;
}

std::string Route(const json& route) {
  std::string text = Text(route["origin"]);
  for (const json& place : route["transit"]) text += " → " + Text(place);
  return text + " → " + Text(route["destination"]);
}

// A table of tallies: | heading | count |.
void Tallies(const json& tallies, const std::string& heading, std::ostream& out,
             std::string (*name)(const json&)) {
  out << "| " << heading << " | Incidents |\n|---|---|\n";
  for (const json& tally : tallies) {
    out << "| " << Md(name(tally["key"])) << " | " << tally["count"] << " |\n";
  }
  out << "\n";
}

std::string Plain(const json& key) { return Text(key); }

void Incidents(const json& report, std::ostream& out) {
  const json& incidents = report["incidents"];
  out << "## Incidents\n\n" << incidents["total"] << " incidents opened in the month";
  if (report["exercises_excluded"].get<int>() > 0) {
    out << " (" << report["exercises_excluded"] << " exercises not counted)";
  }
  out << ". An incident of several hazard classes counts in each.\n\n"
      << "![Incidents by hazard class](hazards.png)\n\n";
  Tallies(incidents["by_hazard"], "Hazard class", out, Plain);
  out << "![Incidents by country](countries.png)\n\n";
  Tallies(incidents["by_country"], "Country", out, CountryName);
  Tallies(incidents["by_severity"], "Severity", out, Plain);
}

void Trend(const json& report, std::ostream& out) {
  out << "## Trend\n\n![Incidents per month](trend.png)\n\n| Month | Incidents |";
  const json& months = report["trend"];
  if (months.empty()) return;
  for (const json& hazard : months.back()["by_hazard"]) out << " " << Md(hazard["key"]) << " |";
  out << "\n|---|---|";
  for (std::size_t i = 0; i < months.back()["by_hazard"].size(); ++i) out << "---|";
  out << "\n";
  double before = 0;
  for (std::size_t i = 0; i < months.size(); ++i) {
    out << "| " << Md(months[i]["month"]) << " | " << months[i]["incidents"] << " |";
    for (const json& hazard : months[i]["by_hazard"]) out << " " << hazard["count"] << " |";
    out << "\n";
    if (i + 1 < months.size()) before += months[i]["incidents"].get<double>();
  }
  if (months.size() > 1) {
    char average[32];
    std::snprintf(average, sizeof average, "%.1f", before / static_cast<double>(months.size() - 1));
    out << "\nThis month: " << months.back()["incidents"] << " incidents; the " << months.size() - 1
        << " months before it averaged " << average << ".\n";
  }
  out << "\n";
}

void Seizures(const json& report, std::ostream& out) {
  out << "## Materials seized\n\n![Seizures per material](materials.png)\n\n";
  if (report["materials"].empty()) {
    out << "No seizure was recorded in the month.\n\n";
    return;
  }
  out << "| Material | Seizures | Quantity | Without a quantity |\n|---|---|---|---|\n";
  for (const json& material : report["materials"]) {
    out << "| " << Md(material["material"]) << " | " << material["seizures"] << " | "
        << Md(Quantities(material)) << " | " << material["without_quantity"] << " |\n";
  }
  out << "\n| Recorded | Incident | Material | Quantity | Route | Methods | Marking |\n"
         "|---|---|---|---|---|---|---|\n";
  for (const json& seizure : report["seizures"]) {
    json route = {{"origin", seizure["origin"] == "" ? "?" : seizure["origin"]},
                  {"transit", seizure["transit"]},
                  {"destination", seizure["destination"] == "" ? "?" : seizure["destination"]}};
    out << "| " << Md(seizure["recorded_at"]) << " | " << Md(seizure["incident"]) << " | "
        << Md(seizure["material"]) << " | "
        << (seizure["quantity"].is_number()
                ? Md(Amount(seizure["quantity"].get<double>()) + " " + Text(seizure["unit"]))
                : "-")
        << " | " << Md(Route(route)) << " | " << Md(Join(seizure["methods"])) << " | "
        << Md(seizure["marking"]) << " |\n";
  }
  out << "\n";
}

void Routes(const json& report, std::ostream& out) {
  out << "## Trafficking routes\n\n![Routes from origin to destination](routes.png)\n\n";
  if (report["routes"].empty()) {
    out << "No finding of the month gave a route.\n\n";
    return;
  }
  out << "| Route | Findings | Materials |\n|---|---|---|\n";
  for (const json& route : report["routes"]) {
    out << "| " << Md(Route(route)) << " | " << route["findings"] << " | "
        << Md(Join(route["materials"])) << " |\n";
  }
  out << "\n";
}

void Methods(const json& report, std::ostream& out) {
  out << "## Methods\n\n";
  if (report["methods"].empty()) {
    out << "No finding of the month named a method.\n\n";
    return;
  }
  out << "| Method | Findings |\n|---|---|\n";
  for (const json& method : report["methods"]) {
    out << "| " << Md(method["key"]) << " | " << method["count"] << " |\n";
  }
  out << "\n";
}

void Questions(const json& report, std::ostream& out) {
  out << "## Open questions\n\n";
  if (report["open_questions"].empty()) out << "None.\n";
  for (const json& question : report["open_questions"]) out << "- " << Md(question) << "\n";
  out << "\n";
}

// A bar per tally: a span from 0 to its count.
Chart Bars(const std::string& title, const std::string& axis, const json& tallies,
           std::string (*name)(const json&)) {
  Chart chart{title, axis, {}};
  for (const json& tally : tallies) {
    const double count = tally["count"].get<double>();
    chart.rows.push_back(
        {name(tally["key"]), {{0, count, SpanStyle::kActual}}, Text(tally["count"])});
  }
  return chart;
}

}  // namespace

std::string MonthlyMarkdown(const json& report) {
  std::ostringstream out;
  const std::string marking = Text(report["marking"]);
  const std::string banner = marking.empty() ? "" : "**" + Md(marking) + "**\n\n";
  out << banner << "# Monthly intelligence report, " << Md(report["month"]) << "\n\n"
      << "From " << Md(report["from"]) << " to " << Md(report["to"])
      << " (UTC), read from HQ's store: the same store gives the same report. Exercises are "
         "not counted.";
  if (!Text(report["releasable"]).empty()) {
    out << " Releasable to partners cleared for " << Md(report["releasable"]) << ": "
        << report["withheld"] << " findings above it are left out.";
  }
  out << "\n\n";
  Incidents(report, out);
  Trend(report, out);
  Seizures(report, out);
  Routes(report, out);
  Methods(report, out);
  Questions(report, out);
  out << banner;
  return out.str();
}

ReportFiles MonthlyFiles(const json& report) {
  const std::string month = Text(report["month"]);
  const std::string marking = Text(report["marking"]);
  // Each chart carries the month and the marking: the files travel without the Markdown.
  const auto title = [&](const std::string& what) {
    return what + ", " + month + (marking.empty() ? "" : " — " + marking);
  };
  ReportFiles files;
  files.texts = {{"monthly-report.md", MonthlyMarkdown(report)},
                 {"monthly-report.json", report.dump(2) + "\n"}};
  files.charts.emplace_back("hazards.png", Bars(title("incidents by hazard class"), "incidents",
                                                report["incidents"]["by_hazard"], Plain));
  files.charts.emplace_back("countries.png", Bars(title("incidents by country"), "incidents",
                                                  report["incidents"]["by_country"], CountryName));
  Chart trend{title("incidents per month"), "incidents", {}};
  for (const json& month_totals : report["trend"]) {
    trend.rows.push_back({Text(month_totals["month"]),
                          {{0, month_totals["incidents"].get<double>(), SpanStyle::kActual}},
                          Text(month_totals["incidents"])});
  }
  files.charts.emplace_back("trend.png", std::move(trend));
  Chart materials{title("seizures per material"), "seizures", {}};
  for (const json& material : report["materials"]) {
    materials.rows.push_back(
        {Text(material["material"]),
         {{0, material["seizures"].get<double>(), SpanStyle::kActual}},
         material["quantities"].empty() ? "quantity unknown" : Quantities(material)});
  }
  files.charts.emplace_back("materials.png", std::move(materials));
  FlowChart routes{title("trafficking routes"), {}};
  for (const json& route : report["routes"]) {
    FlowPath path{{Text(route["origin"])}, route["findings"].get<int>()};
    for (const json& place : route["transit"]) path.places.push_back(Text(place));
    path.places.push_back(Text(route["destination"]));
    routes.paths.push_back(std::move(path));
  }
  files.flows.emplace_back("routes.png", std::move(routes));
  return files;
}

}  // namespace muster::console
