// The monthly intelligence report (views/monthly_report.h) from a store seeded over
// several months through HQ's own doors (incidents opened, teams deployed, findings
// ingested from the members' agents), its figures checked against the store.
#include <chrono>

#include "hq_fixture.h"
#include "muster/wire/records.h"

namespace muster::coordtest {
namespace {

Millis Day(int year, unsigned month, unsigned day, int hour = 12) {
  namespace chrono = std::chrono;
  return chrono::duration_cast<chrono::milliseconds>(
             (chrono::sys_days{chrono::year{year} / chrono::month{month} / chrono::day{day}} +
              chrono::hours{hour})
                 .time_since_epoch())
      .count();
}

class MonthlyReportTest : public HeadquartersTest {
 protected:
  void SetUp() override {
    HeadquartersTest::SetUp();
    clock_.Set(Day(2026, 8, 20));
    Open("INC-A1", {"chemical"}, "DE", "medium");
    clock_.Set(Day(2026, 9, 2));
    Open("INC-S1", {"radiological"}, "GE", "high");
    clock_.Set(Day(2026, 9, 30, 23));
    Open("INC-S2", {"nuclear", "radiological"}, "TR", "critical");
    clock_.Set(Day(2026, 10, 14));
    Open("INC-O1", {"explosive"}, "FR", "low");
    // November: the first opened at the month's first millisecond.
    clock_.Set(Day(2026, 11, 1, 0));
    Open("INC-N1", {"radiological"}, "Georgia", "high");
    clock_.Set(Day(2026, 11, 9));
    Open("INC-N2", {"nuclear", "radiological"}, "tur", "critical");
    clock_.Set(Day(2026, 11, 20));
    Open("INC-N3", {"chemical"}, "", "medium");
    Open("DRILL-1", {"radiological"}, "GE", "high", /*exercise=*/true);
    // December's first millisecond belongs to December.
    clock_.Set(Day(2026, 12, 1, 0));
    Open("INC-D1", {"biological"}, "DE", "low");

    // The border team deployed on INC-N1 and on the drill; seizures recorded on the
    // recover_material step by the forensic examiner's laptop.
    clock_.Set(Day(2026, 11, 1, 6));
    for (const char* member : {"amira", "jonas", "li", "paulo"}) {
      AddMember(member, {kRoles.at(member)}, kQualifications.at(member));
      EnrollAgent(member);
    }
    Deploy("INC-N1");   // deployment 1
    Deploy("DRILL-1");  // deployment 2

    // October's seizure on INC-N1's team would be out of the month: recorded 31 Oct.
    clock_.Set(Day(2026, 11, 2));
    Seize(Day(2026, 10, 31), "d1", {{"material", "Co-60"}, {"quantity", 3}});
    clock_.Set(Day(2026, 11, 3));
    Seize(clock_.Now(), "d1",
          {{"material", "Cs-137"},
           {"quantity", 12.5},
           {"origin", "GE"},
           {"transit", "TR, BG"},
           {"destination", "DE"},
           {"concealment", "false bottom, lead shielding"}});
    clock_.Set(Day(2026, 11, 10));
    Seize(clock_.Now(), "d1",
          {{"material", "cs-137"},
           {"quantity", 500},
           {"origin", "Georgia"},
           {"transit", "Türkiye; bgr"},
           {"destination", "deu"},
           {"concealment", "False bottom"}});
    clock_.Set(Day(2026, 11, 12));
    Seize(clock_.Now(), "d1", {{"material", "U-235"}, {"origin", "Tbilisi"}}, "TLP:RED");
    // The drill's seizure: never in the report.
    Seize(clock_.Now(), "d2",
          {{"material", "Cs-137"}, {"quantity", 9000}, {"origin", "AM"}, {"destination", "IR"}});
  }

  void Open(const std::string& id, const std::vector<std::string>& hazards,
            const std::string& country, const std::string& severity, bool exercise = false) {
    hq::IncidentInput input;
    input.id = id;
    input.title = "Incident " + id;
    input.hazards = hazards;
    input.country = country;
    input.severity = severity;
    input.exercise = exercise;
    auto created = hq_->incidents().Create(input, "test");
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }
  void Deploy(const std::string& incident) {
    hq::DeployInput input;
    input.incident_id = incident;
    input.playbook_source = BorderPlaybookSource();
    std::vector<std::string> notify;
    auto deployment = hq_->deployments().Deploy(input, &notify);
    ASSERT_TRUE(deployment.ok()) << deployment.status().ToString();
  }
  // A finding of recover_material in deployment |deployment| by li, recorded at |at|.
  void Seize(Millis at, const std::string& deployment, json values,
             const std::string& marking = "") {
    values["sample_id"] = "RN-" + std::to_string(1000 + seq_);
    wire::FindingRecord finding{deployment + ".recover_material.li", values, {}, {}, marking};
    IngestOk("li-1", {wire::MakeEntry(++seq_, at, finding)});
  }
  hq::MonthlyFigures Figures(const std::string& month,
                             const std::optional<playbook::Marking>& releasable = {}) {
    auto figures = hq_->monthly_report().Figures(month, releasable);
    EXPECT_TRUE(figures.ok()) << figures.status().ToString();
    return figures.ok() ? *figures : hq::MonthlyFigures{};
  }
  // The count of |figures| under |key|; -1 when the key is missing.
  static int Of(const std::vector<hq::Tally>& tallies, const std::string& key) {
    for (const hq::Tally& tally : tallies) {
      if (tally.key == key) return tally.count;
    }
    return -1;
  }

  const std::map<std::string, std::string> kRoles = {{"amira", "team_leader"},
                                                     {"jonas", "radiation_specialist"},
                                                     {"li", "forensic_examiner"},
                                                     {"paulo", "liaison_officer"}};
  const std::map<std::string, std::vector<std::string>> kQualifications = {
      {"amira", {"incident_command"}},
      {"jonas", {"radiation_protection", "riid_operation"}},
      {"li", {"crime_scene_examination", "contaminated_evidence"}},
      {"paulo", {}}};
  std::uint64_t seq_ = 0;
};

TEST_F(MonthlyReportTest, TheIncidentsOfTheMonthAreCountedAsTheStoreHoldsThem) {
  const hq::MonthlyFigures november = Figures("2026-11");
  EXPECT_EQ(november.from, "2026-11-01T00:00:00Z");
  EXPECT_EQ(november.to, "2026-12-01T00:00:00Z");

  // Against the store: the real incidents opened in [from, to).
  const std::string in_month = " created_at >= " + std::to_string(Day(2026, 11, 1, 0)) +
                               " AND created_at < " + std::to_string(Day(2026, 12, 1, 0));
  EXPECT_EQ(november.incidents,
            Count("SELECT COUNT(*) FROM incidents WHERE exercise=0 AND" + in_month));
  EXPECT_EQ(november.incidents, 3);
  EXPECT_EQ(november.exercises_excluded, 1);
  for (const char* hazard : {"chemical", "biological", "radiological", "nuclear", "explosive"}) {
    EXPECT_EQ(Of(november.by_hazard, hazard),
              Count(std::string("SELECT COUNT(*) FROM incidents, json_each(hazards) h WHERE "
                                "exercise=0 AND h.value='") +
                    hazard + "' AND" + in_month))
        << hazard;
  }
  EXPECT_EQ(Of(november.by_hazard, "radiological"), 2);
  EXPECT_EQ(Of(november.by_hazard, "nuclear"), 1);
  EXPECT_EQ(Of(november.by_hazard, "biological"), 0);
  // Countries as codes, whatever the officer typed.
  EXPECT_EQ(Of(november.by_country, "GE"), 1);
  EXPECT_EQ(Of(november.by_country, "TR"), 1);
  EXPECT_EQ(Of(november.by_country, ""), 1);
  EXPECT_EQ(november.by_country.size(), 3u);
  EXPECT_EQ(Of(november.by_severity, "critical"), 1);
  EXPECT_EQ(Of(november.by_severity, "high"), 1);
  EXPECT_EQ(Of(november.by_severity, "medium"), 1);
  EXPECT_EQ(Of(november.by_severity, "low"), 0);

  // The trend: six months, oldest first, each counted as the store holds it.
  ASSERT_EQ(november.trend.size(), 6u);
  const std::vector<std::pair<std::string, int>> expected = {{"2026-06", 0}, {"2026-07", 0},
                                                             {"2026-08", 1}, {"2026-09", 2},
                                                             {"2026-10", 1}, {"2026-11", 3}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(november.trend[i].month, expected[i].first);
    EXPECT_EQ(november.trend[i].incidents, expected[i].second) << expected[i].first;
  }
  EXPECT_EQ(Of(november.trend[3].by_hazard, "radiological"), 2);
  EXPECT_EQ(Of(november.trend[3].by_hazard, "nuclear"), 1);

  // The incident without a country is an open question.
  EXPECT_NE(std::find(november.open_questions.begin(), november.open_questions.end(),
                      "INC-N3: in which country did it happen? (muster incident update INC-N3 "
                      "--country CODE)"),
            november.open_questions.end());
  EXPECT_EQ(Figures("2026-12").incidents, 1);
}

TEST_F(MonthlyReportTest, SeizuresRoutesAndMethodsComeFromTheFindingsOfTheMonth) {
  const hq::MonthlyFigures november = Figures("2026-11");
  // Co-60 was recorded in October, the drill's Cs-137 is an exercise's.
  ASSERT_EQ(november.seizures.size(), 3u);
  EXPECT_EQ(november.seizures[0].material, "Cs-137");
  EXPECT_EQ(november.seizures[0].incident, "INC-N1");
  EXPECT_EQ(november.seizures[0].task, "d1.recover_material.li");
  EXPECT_EQ(november.seizures[1].transit, (std::vector<std::string>{"TR", "BG"}));
  EXPECT_EQ(november.seizures[1].destination, "DE");

  // Materials: Cs-137 whatever its case, 12.5 g + 500 g.
  ASSERT_EQ(november.materials.size(), 2u);
  EXPECT_EQ(november.materials[0].material, "Cs-137");
  EXPECT_EQ(november.materials[0].seizures, 2);
  ASSERT_TRUE(november.materials[0].quantity.has_value());
  EXPECT_DOUBLE_EQ(*november.materials[0].quantity, 512.5);
  EXPECT_EQ(november.materials[0].unit, "g");
  EXPECT_EQ(november.materials[1].material, "U-235");
  EXPECT_FALSE(november.materials[1].quantity.has_value());
  EXPECT_EQ(november.materials[1].without_quantity, 1);

  // Against the store: the findings of the month with a material, of real incidents.
  EXPECT_EQ(static_cast<std::int64_t>(november.seizures.size()),
            Count("SELECT COUNT(*) FROM findings f JOIN tasks t ON t.id=f.task_id JOIN "
                  "deployments d ON d.id=t.deployment_id JOIN incidents i ON "
                  "i.id=d.incident_id WHERE i.exercise=0 AND json_extract(f.fields, "
                  "'$.material') IS NOT NULL AND f.recorded_at >= " +
                  std::to_string(Day(2026, 11, 1, 0)) + " AND f.recorded_at < " +
                  std::to_string(Day(2026, 12, 1, 0))));

  // Routes: GE → TR, BG → DE twice (however written), Tbilisi → ? once.
  ASSERT_EQ(november.routes.size(), 2u);
  EXPECT_EQ(november.routes[0].origin, "GE");
  EXPECT_EQ(november.routes[0].transit, (std::vector<std::string>{"TR", "BG"}));
  EXPECT_EQ(november.routes[0].destination, "DE");
  EXPECT_EQ(november.routes[0].findings, 2);
  EXPECT_EQ(november.routes[0].materials, std::vector<std::string>{"Cs-137"});
  EXPECT_EQ(november.routes[1].origin, "Tbilisi");
  EXPECT_EQ(november.routes[1].destination, "?");

  // Methods, as tags in lower case.
  EXPECT_EQ(Of(november.methods, "false bottom"), 2);
  EXPECT_EQ(Of(november.methods, "lead shielding"), 1);
  EXPECT_EQ(november.methods.size(), 2u);

  // What the figures cannot say.
  const auto asks = [&](const std::string& question) {
    return std::find(november.open_questions.begin(), november.open_questions.end(), question) !=
           november.open_questions.end();
  };
  EXPECT_TRUE(asks(
      "INC-N1: the U-235 of 2026-11-12 (d1.recover_material.li): which country is 'Tbilisi'?"));
  EXPECT_TRUE(
      asks("INC-N1: the U-235 of 2026-11-12 (d1.recover_material.li): how much was "
           "seized?"));
  EXPECT_TRUE(
      asks("INC-N1: the U-235 of 2026-11-12 (d1.recover_material.li): where was it "
           "going?"));
  EXPECT_EQ(november.marking, "RESTRICTED // TLP:RED");
  EXPECT_EQ(november.withheld, 0);
}

TEST_F(MonthlyReportTest, APartnersReportHoldsNothingAboveItsReleasability) {
  // The border playbook is RESTRICTED // TLP:AMBER; the U-235 finding was raised to RED.
  const hq::MonthlyFigures amber =
      Figures("2026-11", playbook::ParseMarking("RESTRICTED TLP:AMBER"));
  EXPECT_EQ(amber.releasable, "RESTRICTED // TLP:AMBER");
  EXPECT_EQ(amber.withheld, 1);
  EXPECT_EQ(amber.seizures.size(), 2u);
  ASSERT_EQ(amber.materials.size(), 1u);
  EXPECT_EQ(amber.materials[0].material, "Cs-137");
  EXPECT_EQ(amber.routes.size(), 1u);
  EXPECT_EQ(amber.marking, "RESTRICTED // TLP:AMBER");
  const std::string text = hq::ToJson(amber).dump();
  EXPECT_EQ(text.find("U-235"), std::string::npos);
  EXPECT_EQ(text.find("Tbilisi"), std::string::npos);
  // The incidents carry no marking: a partner gets their counts.
  EXPECT_EQ(amber.incidents, 3);

  // Cleared for TLP:GREEN only: every finding withheld.
  const hq::MonthlyFigures green = Figures("2026-11", playbook::ParseMarking("TLP:GREEN"));
  EXPECT_EQ(green.withheld, 3);
  EXPECT_TRUE(green.seizures.empty());
  EXPECT_TRUE(green.methods.empty());
  EXPECT_EQ(green.marking, "");
}

TEST_F(MonthlyReportTest, AnIncidentsCountryIsAnIso3166CountryStoredAsItsCode) {
  hq::IncidentInput input;
  input.title = "Somewhere";
  input.country = "Atlantis";
  auto refused = hq_->incidents().Create(input, "test");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("'Atlantis' is not an ISO 3166-1 country"),
            std::string::npos);

  hq::IncidentChange change;
  change.country = "fra";
  auto changed = hq_->incidents().Update("INC-N3", change, "test");
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ((*changed)["country"], "FR");
  EXPECT_EQ(Of(Figures("2026-11").by_country, "FR"), 1);
  change.country = "";
  EXPECT_EQ((*hq_->incidents().Update("INC-N3", change, "test"))["country"], "");
}

TEST_F(MonthlyReportTest, TheSameStoreGivesTheSameReportAndAMonthIsWrittenYyyyMm) {
  EXPECT_EQ(hq::ToJson(Figures("2026-11")).dump(), hq::ToJson(Figures("2026-11")).dump());
  for (const char* month : {"2026-13", "2026-00", "Nov 2026", "2026-1", "", "1969-12"}) {
    auto figures = hq_->monthly_report().Figures(month, std::nullopt);
    ASSERT_FALSE(figures.ok()) << month;
    EXPECT_EQ(figures.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(figures.status().message().find("YYYY-MM"), std::string::npos);
  }
}

}  // namespace
}  // namespace muster::coordtest
