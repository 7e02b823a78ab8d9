#include "views/monthly_report.h"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
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

// What a task's findings give the report: its report-role values merged, the newest of
// each field winning, as the agent shows a task's findings.
struct ReportedFinding {
  Seizure seizure;
  bool has_material = false;
  bool has_route = false;
  std::optional<pb::Unit> unit;  // the quantity's
  bool known_unit = false;       // the unit is in the table (units.h)
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
        if (value->is_number() && std::isfinite(value->get<double>())) {
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

// The report-role records of one task, merged as they are read.
struct TaskRecords {
  std::string task;
  std::string incident;
  std::shared_ptr<const pb::Playbook> book;
  const pb::Step* step = nullptr;
  json values = json::object();
  pb::Marking marking;
  Millis first_at = 0;
};

// A finding's stored marking: none (its step's holds) when empty, as findings stored
// before markings existed are; one that cannot be read is taken as the most restrictive,
// so that it fails closed.
// |value| rounded to a millionth, so that sums of decimals read as people wrote them
// (0.1 + 0.2 is 0.3).
double Rounded(double value) {
  return std::abs(value) < 1e12 ? std::round(value * 1e6) / 1e6 : value;
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
  // The findings before the month's end of the tasks with a finding in the month, task by
  // task: a seizure is a task's findings merged (a member may give the quantity after the
  // material), dated by its first record with a report value and counted in that
  // record's month. A task with no finding in the month cannot have begun in it.
  SQLite::Statement query(
      *db_,
      "SELECT f.task_id, t.step_id, d.playbook_hash, d.incident_id, f.fields, f.marking, "
      "f.recorded_at FROM findings f JOIN tasks t ON t.id=f.task_id "
      "JOIN deployments d ON d.id=t.deployment_id JOIN incidents i ON i.id=d.incident_id "
      "WHERE i.exercise=0 AND f.recorded_at < ?2 AND f.task_id IN (SELECT task_id FROM "
      "findings WHERE recorded_at >= ?1 AND recorded_at < ?2) "
      "ORDER BY f.task_id, f.recorded_at, f.id");
  query.bind(1, static_cast<std::int64_t>(from));
  query.bind(2, static_cast<std::int64_t>(to));
  std::vector<TaskRecords> tasks;
  int unreadable = 0;
  // A task first reported before the month belongs to an earlier report: the rest of its
  // rows are passed over unread.
  std::string earlier_task;
  while (query.executeStep()) {
    const std::string task = query.getColumn(0).getString();
    if (task == earlier_task) continue;
    const Millis at = query.getColumn(6).getInt64();
    auto book = playbooks_.ByHash(query.getColumn(2).getString());
    if (!book.ok()) {
      if (at >= from) ++unreadable;
      continue;
    }
    const pb::Step* step = (*book)->FindStep(query.getColumn(1).getString());
    if (step == nullptr || !HasReportRoles(*step)) continue;
    const json values = ParseJsonColumn(query.getColumn(4));
    if (!values.is_object()) continue;
    json reported = json::object();
    for (const pb::FieldSpec& field : step->findings) {
      if (field.report != pb::ReportRole::kNone && values.contains(field.id)) {
        reported[field.id] = values[field.id];
      }
    }
    if (reported.empty()) continue;
    if (tasks.empty() || tasks.back().task != task) {
      // The task's first report value, whatever its marking, says its month: the same
      // for every partner.
      if (at < from) {
        earlier_task = task;
        continue;
      }
      tasks.push_back({task, query.getColumn(3).getString(), *book, step, json::object(), {}, at});
    }
    const pb::Marking marking =
        pb::Raise((*book)->MarkingOf(*step), pb::StoredMarking(query.getColumn(5).getString()));
    if (releasable && !pb::ReleasableAt(marking, *releasable)) {
      ++figures.withheld;
      continue;
    }
    TaskRecords& records = tasks.back();
    records.values.update(reported);
    records.marking = pb::Raise(records.marking, marking);
  }
  std::stable_sort(tasks.begin(), tasks.end(), [](const TaskRecords& a, const TaskRecords& b) {
    return a.first_at < b.first_at;
  });
  if (unreadable > 0) {
    figures.open_questions.push_back(
        std::to_string(unreadable) +
        " findings of the month belong to a playbook version HQ cannot read and are not "
        "counted: is the store whole? (docs/operations.md, backups)");
  }

  pb::Marking highest;
  // Materials by their name in lower case; their quantities by dimension (and by symbol
  // for a unit the table does not know).
  struct Sum {
    pb::Unit unit;  // the smallest unit given
    double base = 0;
  };
  std::map<std::string, std::pair<MaterialTotal, std::map<std::string, Sum>>> materials;
  std::map<std::vector<std::string>, std::size_t> route_index;
  std::map<std::string, int> methods;
  for (const TaskRecords& records : tasks) {
    ReportedFinding found = Reported(*records.step, records.values);
    if (!found.has_material && !found.has_route && found.seizure.methods.empty()) continue;
    highest = pb::Raise(highest, records.marking);
    Seizure& seizure = found.seizure;
    seizure.task = records.task;
    seizure.incident = records.incident;
    seizure.recorded_at = records.first_at;
    seizure.marking = pb::ToString(records.marking);
    const std::string what = seizure.incident + ": the " +
                             (seizure.material.empty() ? "finding" : seizure.material) + " of " +
                             Day(seizure.recorded_at) + " (" + seizure.task + ")";

    for (const std::string& method : seizure.methods) ++methods[method];
    if (found.has_route) {
      std::vector<std::string> key = {seizure.origin, seizure.destination};
      key.insert(key.end(), seizure.transit.begin(), seizure.transit.end());
      auto [at, fresh] = route_index.emplace(key, figures.routes.size());
      if (fresh) {
        figures.routes.push_back({seizure.origin.empty() ? "?" : seizure.origin,
                                  seizure.transit,
                                  seizure.destination.empty() ? "?" : seizure.destination,
                                  0,
                                  {}});
      }
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
    auto& [total, sums] = materials[Lower(seizure.material)];
    if (total.material.empty()) total.material = seizure.material;
    ++total.seizures;
    if (seizure.quantity && found.unit) {
      std::string dimension;
      for (auto power : found.unit->dimension.power) dimension += std::to_string(power) + ",";
      if (!found.known_unit) dimension += found.unit->symbol;
      Sum& sum = sums[dimension];
      if (sum.unit.symbol.empty() && sum.base == 0) sum.unit = *found.unit;
      if (found.unit->factor < sum.unit.factor) sum.unit = *found.unit;
      sum.base += found.unit->ToBase(*seizure.quantity);
    } else {
      ++total.without_quantity;
      figures.open_questions.push_back(what + ": how much was seized?");
    }
    figures.seizures.push_back(std::move(seizure));
  }
  for (auto& [key, entry] : materials) {
    auto& [total, sums] = entry;
    for (const auto& [dimension, sum] : sums) {
      const double amount = sum.unit.FromBase(sum.base);
      if (!std::isfinite(amount)) {
        figures.open_questions.push_back("the quantities of " + total.material +
                                         " add up to more than HQ can count");
        continue;
      }
      total.quantities.push_back({Rounded(amount), sum.unit.symbol});
    }
    figures.materials.push_back(std::move(total));
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
    json quantities = json::array();
    for (const Quantity& q : m.quantities) {
      quantities.push_back({{"quantity", q.amount}, {"unit", q.unit}});
    }
    materials.push_back({{"material", m.material},
                         {"seizures", m.seizures},
                         {"quantities", std::move(quantities)},
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
