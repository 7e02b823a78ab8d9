// The monthly intelligence report (coordinator/views/monthly_report.h) over a large store:
// a year of incidents, each with a deployment of the border playbook, and findings spread
// over the year, each incident's in the days after it opened: half on the
// recover_material step (with report roles, so one seizure per task), half on a step
// without any. HQ makes the report on the API's thread, so its
// time is how long the API keeps others waiting.
//
// Usage: monthly_report_bench [--findings N] [--runs N] [--out FILE.json]
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "muster/playbook/load.h"
#include "service/headquarters.h"

namespace {

using muster::Millis;
using nlohmann::json;

class FixedClock final : public muster::Clock {
 public:
  explicit FixedClock(Millis now) : now_(now) {}
  Millis Now() const override { return now_; }

 private:
  Millis now_;
};

constexpr Millis kDay = 24LL * 3600 * 1000;
constexpr Millis kYearStart = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int kIncidentsPerMonth = 40;

const std::vector<const char*> kCountries = {"GE", "TR", "AM", "DE", "UA", "MD", "KZ", "IR"};
const std::vector<const char*> kMaterials = {"Cs-137", "Co-60", "U-235", "Am-241", "Sr-90"};
const std::vector<const char*> kMethods = {"false bottom", "lead shielding", "courier",
                                           "mislabelled cargo", "vehicle compartment"};

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int findings = 120'000;
  int runs = 5;
  std::string out;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--findings") findings = std::stoi(argv[i + 1]);
    if (flag == "--runs") runs = std::stoi(argv[i + 1]);
    if (flag == "--out") out = argv[i + 1];
  }
  char folder[] = "/tmp/muster-monthly-bench-XXXXXX";
  if (mkdtemp(folder) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  FixedClock clock(kYearStart + 366 * kDay);
  auto opened = muster::hq::Headquarters::Open(std::string(folder) + "/hq.db", clock);
  if (!opened.ok()) {
    std::cerr << opened.status().ToString() << "\n";
    return 1;
  }
  muster::hq::Headquarters& hq = **opened;
  // The self-contained source (its library steps inlined), as the console publishes it.
  const auto loaded = muster::playbook::LoadFile(
      std::string(MUSTER_SOURCE_DIR) + "/playbooks/radioactive-material-border-seizure.yaml");
  auto published = loaded.ok() ? hq.playbooks().Publish(loaded.playbook->source, "border.yaml",
                                                        std::nullopt, muster::hq::Actor{"bench"})
                               : muster::Result<json>(muster::Status::Error(
                                     muster::ErrorCode::kInvalidPlaybook, "border.yaml"));
  if (!published.ok()) {
    std::cerr << published.status().ToString() << "\n";
    return 1;
  }
  const std::string hash = (*published)["hash"];

  SQLite::Database& db = hq.database().db();
  {
    SQLite::Transaction seed(db);
    db.exec("INSERT INTO members(id, name, created_at) VALUES('li', 'Li', 0)");
    SQLite::Statement incident(db,
                               "INSERT INTO incidents(id, title, hazards, country, severity, "
                               "created_at, exercise) VALUES(?,?,?,?,?,?,?)");
    SQLite::Statement deployment(
        db, "INSERT INTO deployments(id, incident_id, playbook_hash, created_at) VALUES(?,?,?,?)");
    SQLite::Statement task(db,
                           "INSERT INTO tasks(id, deployment_id, step_id, member_id, state, "
                           "updated_at) VALUES(?,?,?,'li','ready',?)");
    const int incidents = 12 * kIncidentsPerMonth;
    for (int i = 0; i < incidents; ++i) {
      const Millis at = kYearStart + static_cast<Millis>(i) * 365 * kDay / incidents;
      const std::string id = "INC-" + std::to_string(1000 + i);
      incident.bind(1, id);
      incident.bind(2, "Seizure " + id);
      incident.bind(3, i % 3 == 0 ? "[\"nuclear\",\"radiological\"]" : "[\"radiological\"]");
      incident.bind(4, kCountries[i % kCountries.size()]);
      incident.bind(5, i % 4 == 0 ? "critical" : "high");
      incident.bind(6, static_cast<std::int64_t>(at));
      incident.bind(7, i % 10 == 0 ? 1 : 0);
      incident.exec();
      incident.reset();
      deployment.bind(1, i + 1);
      deployment.bind(2, id);
      deployment.bind(3, hash);
      deployment.bind(4, static_cast<std::int64_t>(at));
      deployment.exec();
      deployment.reset();
      for (const char* step : {"recover_material", "identify_nuclide"}) {
        task.bind(1, "d" + std::to_string(i + 1) + "." + step + ".li");
        task.bind(2, i + 1);
        task.bind(3, step);
        task.bind(4, static_cast<std::int64_t>(at));
        task.exec();
        task.reset();
      }
    }
    SQLite::Statement finding(db,
                              "INSERT INTO findings(agent_id, seq, task_id, recorded_at, "
                              "received_at, fields, marking) VALUES('li-1',?,?,?,?,?,?)");
    for (int f = 0; f < findings; ++f) {
      // Each incident's team records its findings in the days after it is opened.
      const int i = static_cast<int>(static_cast<std::int64_t>(f) * incidents / findings);
      const Millis at = kYearStart + static_cast<Millis>(f) * 365 * kDay / findings;
      const bool seizure = f % 2 == 0;
      json fields;
      if (seizure) {
        fields = {{"sample_id", "RN-" + std::to_string(1000 + f % 9000)},
                  {"material", kMaterials[f % kMaterials.size()]},
                  {"quantity", 0.5 + f % 700},
                  {"origin", kCountries[f % kCountries.size()]},
                  {"transit", std::string(kCountries[(f + 1) % kCountries.size()]) + ", " +
                                  kCountries[(f + 2) % kCountries.size()]},
                  {"destination", kCountries[(f + 3) % kCountries.size()]},
                  {"concealment", kMethods[f % kMethods.size()]}};
      } else {
        fields = {{"nuclide", "Cs-137"}, {"assessment", "suspect_material"}};
      }
      finding.bind(1, f + 1);
      finding.bind(2, "d" + std::to_string(i + 1) + "." +
                          (seizure ? "recover_material" : "identify_nuclide") + ".li");
      finding.bind(3, static_cast<std::int64_t>(at));
      finding.bind(4, static_cast<std::int64_t>(at));
      finding.bind(5, fields.dump());
      finding.bind(6, f % 7 == 0 ? "TLP:RED" : "");
      finding.exec();
      finding.reset();
    }
    seed.commit();
  }

  json results = {{"findings", findings}, {"incidents", 12 * kIncidentsPerMonth}, {"runs", runs}};
  for (const char* releasable : {"", "RESTRICTED // TLP:AMBER"}) {
    std::vector<double> times;
    muster::hq::MonthlyFigures figures;
    for (int run = 0; run < runs; ++run) {
      const auto start = std::chrono::steady_clock::now();
      auto made = hq.monthly_report().Figures(
          "2026-11", *releasable ? muster::playbook::ParseMarking(releasable) : std::nullopt);
      const auto end = std::chrono::steady_clock::now();
      if (!made.ok()) {
        std::cerr << made.status().ToString() << "\n";
        return 1;
      }
      figures = *made;
      times.push_back(std::chrono::duration<double, std::milli>(end - start).count());
      // The JSON the API sends, made as it would be.
      (void)muster::hq::ToJson(figures).dump();
    }
    const std::string key = *releasable ? "partner" : "whole";
    results[key] = {{"median_ms", Median(times)},
                    {"max_ms", *std::max_element(times.begin(), times.end())},
                    {"seizures", figures.seizures.size()},
                    {"withheld", figures.withheld},
                    {"incidents", figures.incidents}};
  }
  std::filesystem::remove_all(folder);

  std::cout
      << "# Monthly report over a year of " << findings << " findings\n\n"
      << "| report | seizures in the month | withheld | median | max |\n|---|---|---|---|---|\n";
  for (const char* key : {"whole", "partner"}) {
    const json& r = results[key];
    std::printf("| %s | %d | %d | %.1f ms | %.1f ms |\n", key, r["seizures"].get<int>(),
                r["withheld"].get<int>(), r["median_ms"].get<double>(), r["max_ms"].get<double>());
  }
  if (!out.empty()) std::ofstream(out) << results.dump(2) << "\n";
  return 0;
}
