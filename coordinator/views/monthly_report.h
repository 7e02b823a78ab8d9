// The programme's monthly intelligence report (docs/programme.md, "The monthly report"),
// read from the store, so that the same store gives the same report:
// - the incidents opened in the month (HQ's time, UTC), by hazard class, country and
//   severity; the totals of the months before it, for the trend;
// - the seizures: per task, its findings' report-role values (playbook report roles,
//   docs/playbooks.md) merged, the newest of each field winning, as of the month's end; a
//   task with a material is a seizure, dated by its first such record and counted in that
//   month; materials and quantities totalled;
// - the trafficking routes (origin → transit → destination) of every such task with a
//   route field, and the methods (free-text tags);
// - open questions: what the figures cannot say (an unknown origin, a missing quantity,
//   an incident without a country).
// Exercises are left out. With a releasability (a partner's marking), a finding whose
// marking that partner may not see is left out too and only counted as withheld; the
// report carries the highest marking of what it includes. A stored marking that cannot
// be read counts as the most restrictive.
// The console draws the charts and writes the Markdown (console/monthly_report.h).
// Thread: the one of its HqDatabase (the API's). Reads only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/playbook_library.h"
#include "muster/playbook/marking.h"
#include "muster/result.h"
#include "store/hq_database.h"

namespace muster::hq {

// One figure of a breakdown: "radiological": 3.
struct Tally {
  std::string key;
  int count = 0;
};

// A month's incidents, for the trend.
struct MonthTotals {
  std::string month;  // "2026-11"
  int incidents = 0;
  std::vector<Tally> by_hazard;  // every hazard class, in the CBRNE order
};

struct Seizure {
  std::string incident;
  std::string task;
  Millis recorded_at = 0;
  std::string material;
  std::optional<double> quantity;
  std::string unit;
  std::string origin;  // ISO 3166-1 alpha-2, or the place as written; "" unknown
  std::vector<std::string> transit;
  std::string destination;
  std::vector<std::string> methods;
  std::string marking;
};

// An amount in a unit: "512.5 g".
struct Quantity {
  double amount = 0;
  std::string unit;
};

// What was seized of one material (its name compared regardless of case): the quantities
// the seizures gave, added up per dimension in the smallest unit given (grams with
// kilograms, becquerels apart).
struct MaterialTotal {
  std::string material;
  int seizures = 0;
  std::vector<Quantity> quantities;
  int without_quantity = 0;
};

struct Route {
  std::string origin;  // "?" when unknown
  std::vector<std::string> transit;
  std::string destination;  // "?" when unknown
  int findings = 0;
  std::vector<std::string> materials;
};

struct MonthlyFigures {
  std::string month;
  std::string from;  // the month's bounds, RFC 3339 UTC
  std::string to;
  std::string releasable;  // "" all of it
  std::string marking;     // the highest marking of what the report includes
  int withheld = 0;        // finding records of the month's tasks left out for their marking
  int exercises_excluded = 0;
  int incidents = 0;
  std::vector<Tally> by_hazard;
  std::vector<Tally> by_country;  // "" for incidents without a country
  std::vector<Tally> by_severity;
  std::vector<MonthTotals> trend;  // the months before, oldest first, then this one
  std::vector<Seizure> seizures;
  std::vector<MaterialTotal> materials;
  std::vector<Route> routes;
  std::vector<Tally> methods;
  std::vector<std::string> open_questions;
};

json ToJson(const MonthlyFigures& figures);

class MonthlyReport : OverDatabase {
 public:
  // How many months the trend shows, this one included.
  static constexpr int kTrendMonths = 6;

  MonthlyReport(HqDatabase& database, PlaybookLibrary& playbooks)
      : OverDatabase(database), playbooks_(playbooks) {}

  // The report of |month| ("2026-11"). invalid_argument for a month not so written.
  Result<MonthlyFigures> Figures(const std::string& month,
                                 const std::optional<playbook::Marking>& releasable);

 private:
  void CountIncidents(Millis from, Millis to, MonthlyFigures& figures);
  Status ReadFindings(Millis from, Millis to, const std::optional<playbook::Marking>& releasable,
                      MonthlyFigures& figures);

  PlaybookLibrary& playbooks_;
};

}  // namespace muster::hq
