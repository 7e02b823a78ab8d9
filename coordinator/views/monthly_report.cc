#include "views/monthly_report.h"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>

#include "muster/countries.h"
#include "muster/playbook/units.h"
#include "muster/sqlite_store.h"
#include "store/columns.h"

namespace muster::hq {
namespace {

namespace chrono = std::chrono;
namespace pb = playbook;

const std::vector<std::string> kHazards = {"chemical", "biological", "radiological", "nuclear",
                                           "explosive"};
const std::vector<std::string> kSeverities = {"low", "medium", "high", "critical"};
// Beyond these the report says how many more there are.
constexpr std::size_t kMaxOpenQuestions = 50;

std::optional<chrono::year_month> ParseMonth(const std::string& text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  for (std::size_t i : {0, 1, 2, 3, 5, 6}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  const int year = std::stoi(text.substr(0, 4));
  const unsigned month = static_cast<unsigned>(std::stoi(text.substr(5, 2)));
  if (year < 1970 || month < 1 || month > 12) return std::nullopt;
  return chrono::year{year} / chrono::month{month};
}

Millis StartOf(chrono::year_month month) {
  return chrono::duration_cast<chrono::milliseconds>(
             chrono::sys_days{month / chrono::day{1}}.time_since_epoch())
      .count();
}

std::string Label(chrono::year_month month) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u", static_cast<int>(month.year()),
                static_cast<unsigned>(month.month()));
  return text;
}

std::string Trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// A country as the report names it: its alpha-2 code, or the place as written.
std::string Place(const std::string& text) {
  const std::string trimmed = Trim(text);
  const Country* country = FindCountry(trimmed);
  return country ? std::string(country->alpha2) : trimmed;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> parts;
  std::string part;
  for (char c : text + ",") {
    if (c != ',' && c != ';') {
      part += c;
      continue;
    }
    if (!Trim(part).empty()) parts.push_back(Trim(part));
    part.clear();
  }
  return parts;
}

std::string Text(const json& value) {
  if (value.is_string()) return Trim(value.get<std::string>());
  if (value.is_number() || value.is_boolean()) return value.dump();
  return "";
}

// The tallies of |counts| with the most first, then by key; |fixed| keys first in their
// own order, zeros included.
std::vector<Tally> Tallies(const std::map<std::string, int>& counts,
                           const std::vector<std::string>& fixed = {}) {
  std::vector<Tally> tallies;
  for (const std::string& key : fixed) {
    const auto found = counts.find(key);
    tallies.push_back({key, found == counts.end() ? 0 : found->second});
  }
  if (!fixed.empty()) return tallies;
  for (const auto& [key, count] : counts) tallies.push_back({key, count});
  std::stable_sort(tallies.begin(), tallies.end(),
                   [](const Tally& a, const Tally& b) { return a.count > b.count; });
  return tallies;
}

struct IncidentRow {
  std::string id;
  std::vector<std::string> hazards;
  std::string country;
  std::string severity;
};

// The real incidents opened in [from, to), oldest first; |exercises| counts the others.
std::vector<IncidentRow> IncidentsOpened(SQLite::Database& db, Millis from, Millis to,
                                         int* exercises) {
  SQLite::Statement query(db,
                          "SELECT id, hazards, country, severity, exercise FROM incidents "
                          "WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id");
  query.bind(1, static_cast<std::int64_t>(from));
  query.bind(2, static_cast<std::int64_t>(to));
  std::vector<IncidentRow> rows;
  while (query.executeStep()) {
    if (query.getColumn(4).getInt() != 0) {
      if (exercises) ++*exercises;
      continue;
    }
    IncidentRow row{query.getColumn(0).getString(),
                    {},
                    query.getColumn(2).getString(),
                    query.getColumn(3).getString()};
    const json hazards = ParseJsonColumn(query.getColumn(1));
    for (const json& hazard : hazards) {
      if (hazard.is_string()) row.hazards.push_back(hazard.get<std::string>());
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::map<std::string, int> HazardCounts(const std::vector<IncidentRow>& rows) {
  std::map<std::string, int> counts;
  for (const IncidentRow& row : rows) {
    for (const std::string& hazard : row.hazards) ++counts[hazard];
  }
  return counts;
}

// What a finding whose step names report roles gives the report.
struct ReportedFinding {
  Seizure seizure;
  bool has_material = false;
  bool has_route = false;
  std::optional<pb::Unit> unit;
  bool known_unit = false;
};

bool HasReportRoles(const pb::Step& step) {
  return std::any_of(step.findings.begin(), step.findings.end(),
                     [](const pb::FieldSpec& f) { return f.report != pb::ReportRole::kNone; });
}

ReportedFinding Reported(const pb::Step& step, const json& values) {
  ReportedFinding found;
  for (const pb::FieldSpec& field : step.findings) {
    if (field.report == pb::ReportRole::kNone) continue;
    const auto value = values.find(field.id);
    if (value == values.end()) continue;
    Seizure& s = found.seizure;
    switch (field.report) {
      case pb::ReportRole::kMaterial:
        s.material = Text(*value);
        found.has_material = !s.material.empty();
        break;
      case pb::ReportRole::kQuantity:
        if (value->is_number()) {
          s.quantity = value->get<double>();
          s.unit = field.unit;
          // A unit the table does not know (a lint warning) adds up with itself only.
          pb::Unit unknown;
          unknown.symbol = field.unit;
          found.unit = pb::ParseUnit(field.unit).value_or(unknown);
          found.known_unit = pb::ParseUnit(field.unit).has_value();
        }
        break;
      case pb::ReportRole::kOrigin:
        s.origin = Place(Text(*value));
        break;
      case pb::ReportRole::kTransit:
        for (const std::string& place : SplitList(Text(*value))) s.transit.push_back(Place(place));
        break;
      case pb::ReportRole::kDestination:
        s.destination = Place(Text(*value));
        break;
      case pb::ReportRole::kMethod: {
        std::set<std::string> seen;
        for (const std::string& tag : SplitList(Text(*value))) {
          if (seen.insert(Lower(tag)).second) s.methods.push_back(Lower(tag));
        }
        break;
      }
      case pb::ReportRole::kNone:
        break;
    }
  }
  const Seizure& s = found.seizure;
  found.has_route = !s.origin.empty() || !s.transit.empty() || !s.destination.empty();
  return found;
}

std::string Day(Millis at) { return FormatTimestamp(at).substr(0, 10); }

}  // namespace

Result<MonthlyFigures> MonthlyReport::Figures(const std::string& month,
                                              const std::optional<pb::Marking>& releasable) {
  const std::optional<chrono::year_month> parsed = ParseMonth(month);
  if (!parsed) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "month '" + month + "' is not a month; write YYYY-MM, e.g. 2026-11");
  }
  MonthlyFigures figures;
  figures.month = Label(*parsed);
  const Millis from = StartOf(*parsed);
  const Millis to = StartOf(*parsed + chrono::months{1});
  figures.from = FormatTimestamp(from);
  figures.to = FormatTimestamp(to);
  figures.releasable = releasable ? pb::ToString(*releasable) : "";
  Status status = Guarded([&]() -> Status {
    CountIncidents(from, to, figures);
    for (int back = kTrendMonths - 1; back >= 0; --back) {
      const chrono::year_month earlier = *parsed - chrono::months{back};
      const std::vector<IncidentRow> rows =
          IncidentsOpened(*db_, StartOf(earlier), StartOf(earlier + chrono::months{1}), nullptr);
      figures.trend.push_back(
          {Label(earlier), static_cast<int>(rows.size()), Tallies(HazardCounts(rows), kHazards)});
    }
    return ReadFindings(from, to, releasable, figures);
  });
  if (!status.ok()) return status;
  return figures;
}

void MonthlyReport::CountIncidents(Millis from, Millis to, MonthlyFigures& figures) {
  const std::vector<IncidentRow> rows =
      IncidentsOpened(*db_, from, to, &figures.exercises_excluded);
  figures.incidents = static_cast<int>(rows.size());
  std::map<std::string, int> countries;
  std::map<std::string, int> severities;
  for (const IncidentRow& row : rows) {
    ++countries[row.country];
    ++severities[row.severity];
    if (row.country.empty()) {
      figures.open_questions.push_back(row.id +
                                       ": in which country did it happen? (muster "
                                       "incident update " +
                                       row.id + " --country CODE)");
    }
    if (row.hazards.empty()) {
      figures.open_questions.push_back(row.id +
                                       ": which hazard class is it? (muster incident "
                                       "update " +
                                       row.id + " --hazard CLASS)");
    }
  }
  figures.by_hazard = Tallies(HazardCounts(rows), kHazards);
  figures.by_country = Tallies(countries);
  figures.by_severity = Tallies(severities, kSeverities);
}

Status MonthlyReport::ReadFindings(Millis from, Millis to,
                                   const std::optional<pb::Marking>& releasable,
                                   MonthlyFigures& figures) {
  SQLite::Statement query(
      *db_,
      "SELECT f.task_id, t.step_id, d.playbook_hash, d.incident_id, f.fields, f.marking, "
      "f.recorded_at FROM findings f JOIN tasks t ON t.id=f.task_id "
      "JOIN deployments d ON d.id=t.deployment_id JOIN incidents i ON i.id=d.incident_id "
      "WHERE i.exercise=0 AND f.recorded_at >= ? AND f.recorded_at < ? "
      "ORDER BY f.recorded_at, f.id");
  query.bind(1, static_cast<std::int64_t>(from));
  query.bind(2, static_cast<std::int64_t>(to));
  pb::Marking highest;
  // Materials by their name in lower case, then by the dimension of their quantities.
  struct Sum {
    MaterialTotal total;
    std::optional<pb::Unit> unit;  // the smallest unit given
    double base = 0;               // the quantities in the dimension's base unit
  };
  std::map<std::string, Sum> materials;
  std::map<std::string, std::size_t> route_index;
  std::map<std::string, int> methods;
  while (query.executeStep()) {
    auto book = playbooks_.ByHash(query.getColumn(2).getString());
    if (!book.ok()) continue;
    const pb::Step* step = (*book)->FindStep(query.getColumn(1).getString());
    if (step == nullptr || !HasReportRoles(*step)) continue;
    const json values = ParseJsonColumn(query.getColumn(4));
    if (!values.is_object()) continue;
    ReportedFinding found = Reported(*step, values);
    if (!found.has_material && !found.has_route && found.seizure.methods.empty()) continue;
    const pb::Marking marking =
        pb::Raise((*book)->MarkingOf(*step),
                  pb::ParseMarking(query.getColumn(5).getString()).value_or(pb::Marking{}));
    if (releasable && !pb::ReleasableAt(marking, *releasable)) {
      ++figures.withheld;
      continue;
    }
    highest = pb::Raise(highest, marking);
    Seizure& seizure = found.seizure;
    seizure.task = query.getColumn(0).getString();
    seizure.incident = query.getColumn(3).getString();
    seizure.recorded_at = query.getColumn(6).getInt64();
    seizure.marking = pb::ToString(marking);
    const std::string what = seizure.incident + ": the " +
                             (seizure.material.empty() ? "finding" : seizure.material) + " of " +
                             Day(seizure.recorded_at) + " (" + seizure.task + ")";

    for (const std::string& method : seizure.methods) ++methods[method];
    if (found.has_route) {
      const std::string origin = seizure.origin.empty() ? "?" : seizure.origin;
      const std::string destination = seizure.destination.empty() ? "?" : seizure.destination;
      std::string key = origin + ">" + destination;
      for (const std::string& place : seizure.transit) key += ">" + place;
      auto [at, fresh] = route_index.emplace(key, figures.routes.size());
      if (fresh) figures.routes.push_back({origin, seizure.transit, destination, 0, {}});
      Route& route = figures.routes[at->second];
      ++route.findings;
      if (found.has_material &&
          std::none_of(route.materials.begin(), route.materials.end(),
                       [&](const std::string& m) { return Lower(m) == Lower(seizure.material); })) {
        route.materials.push_back(seizure.material);
      }
      std::vector<std::string> places = seizure.transit;
      places.push_back(seizure.origin);
      places.push_back(seizure.destination);
      for (const std::string& place : places) {
        if (!place.empty() && FindCountry(place) == nullptr) {
          figures.open_questions.push_back(what + ": which country is '" + place + "'?");
        }
      }
    }
    if (!found.has_material) continue;
    if (seizure.origin.empty()) {
      figures.open_questions.push_back(what + ": where did it come from?");
    }
    if (seizure.destination.empty()) {
      figures.open_questions.push_back(what + ": where was it going?");
    }
    const pb::Dimension dimension = found.unit ? found.unit->dimension : pb::Dimension{};
    std::string key = Lower(seizure.material) + "|";
    for (auto power : dimension.power) key += std::to_string(power) + ",";
    if (found.unit && !found.known_unit) key += found.unit->symbol;
    Sum& sum = materials[key];
    if (sum.total.material.empty()) sum.total.material = seizure.material;
    ++sum.total.seizures;
    if (seizure.quantity && found.unit) {
      sum.base += found.unit->ToBase(*seizure.quantity);
      if (!sum.unit || found.unit->factor < sum.unit->factor) sum.unit = found.unit;
    } else {
      ++sum.total.without_quantity;
      figures.open_questions.push_back(what + ": how much was seized?");
    }
    figures.seizures.push_back(std::move(seizure));
  }
  for (auto& [key, sum] : materials) {
    if (sum.unit) {
      sum.total.quantity = sum.unit->FromBase(sum.base);
      sum.total.unit = sum.unit->symbol;
    }
    figures.materials.push_back(std::move(sum.total));
  }
  std::stable_sort(
      figures.materials.begin(), figures.materials.end(),
      [](const MaterialTotal& a, const MaterialTotal& b) { return a.seizures > b.seizures; });
  std::stable_sort(figures.routes.begin(), figures.routes.end(),
                   [](const Route& a, const Route& b) { return a.findings > b.findings; });
  figures.methods = Tallies(methods);
  figures.marking = pb::ToString(highest);
  if (figures.open_questions.size() > kMaxOpenQuestions) {
    const std::size_t more = figures.open_questions.size() - kMaxOpenQuestions;
    figures.open_questions.resize(kMaxOpenQuestions);
    figures.open_questions.push_back("and " + std::to_string(more) + " more");
  }
  return Status::Ok();
}

json ToJson(const MonthlyFigures& f) {
  const auto tallies = [](const std::vector<Tally>& list) {
    json out = json::array();
    for (const Tally& t : list) out.push_back({{"key", t.key}, {"count", t.count}});
    return out;
  };
  const auto optional = [](const std::optional<double>& value) {
    return value ? json(*value) : json();
  };
  json trend = json::array();
  for (const MonthTotals& m : f.trend) {
    trend.push_back(
        {{"month", m.month}, {"incidents", m.incidents}, {"by_hazard", tallies(m.by_hazard)}});
  }
  json seizures = json::array();
  for (const Seizure& s : f.seizures) {
    seizures.push_back({{"incident", s.incident},
                        {"task", s.task},
                        {"recorded_at", FormatTimestamp(s.recorded_at)},
                        {"material", s.material},
                        {"quantity", optional(s.quantity)},
                        {"unit", s.unit},
                        {"origin", s.origin},
                        {"transit", s.transit},
                        {"destination", s.destination},
                        {"methods", s.methods},
                        {"marking", s.marking}});
  }
  json materials = json::array();
  for (const MaterialTotal& m : f.materials) {
    materials.push_back({{"material", m.material},
                         {"seizures", m.seizures},
                         {"quantity", optional(m.quantity)},
                         {"unit", m.unit},
                         {"without_quantity", m.without_quantity}});
  }
  json routes = json::array();
  for (const Route& r : f.routes) {
    routes.push_back({{"origin", r.origin},
                      {"transit", r.transit},
                      {"destination", r.destination},
                      {"findings", r.findings},
                      {"materials", r.materials}});
  }
  return {{"month", f.month},
          {"from", f.from},
          {"to", f.to},
          {"releasable", f.releasable},
          {"marking", f.marking},
          {"withheld", f.withheld},
          {"exercises_excluded", f.exercises_excluded},
          {"incidents",
           {{"total", f.incidents},
            {"by_hazard", tallies(f.by_hazard)},
            {"by_country", tallies(f.by_country)},
            {"by_severity", tallies(f.by_severity)}}},
          {"trend", std::move(trend)},
          {"seizures", std::move(seizures)},
          {"materials", std::move(materials)},
          {"routes", std::move(routes)},
          {"methods", tallies(f.methods)},
          {"open_questions", f.open_questions}};
}

}  // namespace muster::hq
