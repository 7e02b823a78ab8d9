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

    // The border team deployed again and again; each seizure is the recover_material task
    // of one deployment, recorded by the forensic examiner's laptop.
    clock_.Set(Day(2026, 11, 1, 6));
    for (const char* member : {"amira", "jonas", "li", "paulo"}) {
      AddMember(member, {kRoles.at(member)}, kQualifications.at(member));
      EnrollAgent(member);
    }
    for (const char* incident :
         {"INC-N1", "DRILL-1", "INC-N1", "INC-N2", "INC-N1", "INC-N1", "INC-N3"}) {
      Deploy(incident);  // d1 ... d7
    }

    // d1: recorded 31 October, so in October's report, not November's.
    clock_.Set(Day(2026, 11, 2));
    Seize(Day(2026, 10, 31), "d1", {{"material", "Co-60"}, {"quantity", 3}});
    clock_.Set(Day(2026, 11, 3));
    Seize(clock_.Now(), "d3",
          {{"material", "Cs-137"},
           {"quantity", 12.5},
           {"origin", "GE"},
           {"transit", "TR, BG"},
           {"destination", "DE"},
           {"concealment", "false bottom, lead shielding"}});
    clock_.Set(Day(2026, 11, 10));
    Seize(clock_.Now(), "d4",
          {{"material", "cs-137"},
           {"quantity", 500},
           {"origin", "Georgia"},
           {"transit", "Türkiye; bgr"},
           {"destination", "deu"},
           {"concealment", "False bottom"}});
    clock_.Set(Day(2026, 11, 12));
    Seize(clock_.Now(), "d5", {{"material", "U-235"}, {"origin", "Tbilisi"}}, "TLP:RED");
    // d6: the material first, its quantity the next day: one seizure.
    clock_.Set(Day(2026, 11, 14));
    Seize(clock_.Now(), "d6", {{"material", "Cs-137"}});
    clock_.Set(Day(2026, 11, 15));
    Seize(clock_.Now(), "d6", {{"quantity", 0.2}});
    // d7: no quantity; the same material whatever its case.
    clock_.Set(Day(2026, 11, 16));
    Seize(clock_.Now(), "d7", {{"material", "CS-137"}, {"origin", "GEO"}, {"destination", "DE"}});
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
  // d1's Co-60 was recorded in October, the drill's Cs-137 is an exercise's; d6's two
  // findings are one seizure.
  ASSERT_EQ(november.seizures.size(), 5u);
  EXPECT_EQ(november.seizures[0].material, "Cs-137");
  EXPECT_EQ(november.seizures[0].incident, "INC-N1");
  EXPECT_EQ(november.seizures[0].task, "d3.recover_material.li");
  EXPECT_EQ(november.seizures[1].incident, "INC-N2");
  EXPECT_EQ(november.seizures[1].transit, (std::vector<std::string>{"TR", "BG"}));
  EXPECT_EQ(november.seizures[1].destination, "DE");
  EXPECT_EQ(november.seizures[3].task, "d6.recover_material.li");
  EXPECT_EQ(november.seizures[3].recorded_at, Day(2026, 11, 14));
  ASSERT_TRUE(november.seizures[3].quantity.has_value());
  EXPECT_DOUBLE_EQ(*november.seizures[3].quantity, 0.2);

  // Materials: Cs-137 whatever its case, 12.5 g + 500 g + 0.2 g, and one without a
  // quantity in the same row.
  ASSERT_EQ(november.materials.size(), 2u);
  EXPECT_EQ(november.materials[0].material, "Cs-137");
  EXPECT_EQ(november.materials[0].seizures, 4);
  ASSERT_EQ(november.materials[0].quantities.size(), 1u);
  EXPECT_EQ(november.materials[0].quantities[0].amount, 512.7) << "rounded, not 512.70000001";
  EXPECT_EQ(november.materials[0].quantities[0].unit, "g");
  EXPECT_EQ(november.materials[0].without_quantity, 1);
  EXPECT_EQ(november.materials[1].material, "U-235");
  EXPECT_TRUE(november.materials[1].quantities.empty());
  EXPECT_EQ(november.materials[1].without_quantity, 1);

  // Against the store: the real incidents' tasks with a material whose first finding was
  // recorded in the month.
  EXPECT_EQ(static_cast<std::int64_t>(november.seizures.size()),
            Count("SELECT COUNT(*) FROM (SELECT MIN(f.recorded_at) AS first FROM findings f "
                  "JOIN tasks t ON t.id=f.task_id JOIN deployments d ON d.id=t.deployment_id "
                  "JOIN incidents i ON i.id=d.incident_id WHERE i.exercise=0 AND "
                  "json_extract(f.fields, '$.material') IS NOT NULL GROUP BY f.task_id) "
                  "WHERE first >= " +
                  std::to_string(Day(2026, 11, 1, 0)) + " AND first < " +
                  std::to_string(Day(2026, 12, 1, 0))));

  // Routes: GE → TR, BG → DE twice (however written), Tbilisi → ? and GE → DE once.
  ASSERT_EQ(november.routes.size(), 3u);
  EXPECT_EQ(november.routes[0].origin, "GE");
  EXPECT_EQ(november.routes[0].transit, (std::vector<std::string>{"TR", "BG"}));
  EXPECT_EQ(november.routes[0].destination, "DE");
  EXPECT_EQ(november.routes[0].findings, 2);
  EXPECT_EQ(november.routes[0].materials, std::vector<std::string>{"Cs-137"});
  EXPECT_EQ(november.routes[1].origin, "Tbilisi");
  EXPECT_EQ(november.routes[1].destination, "?");
  EXPECT_TRUE(november.routes[2].transit.empty());
  EXPECT_EQ(november.routes[2].materials, std::vector<std::string>{"CS-137"});

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
      "INC-N1: the U-235 of 2026-11-12 (d5.recover_material.li): which country is 'Tbilisi'?"));
  EXPECT_TRUE(
      asks("INC-N1: the U-235 of 2026-11-12 (d5.recover_material.li): how much was "
           "seized?"));
  EXPECT_TRUE(
      asks("INC-N1: the U-235 of 2026-11-12 (d5.recover_material.li): where was it "
           "going?"));
  EXPECT_TRUE(
      asks("INC-N1: the Cs-137 of 2026-11-14 (d6.recover_material.li): where did it "
           "come from?"));
  EXPECT_FALSE(
      asks("INC-N1: the Cs-137 of 2026-11-14 (d6.recover_material.li): how much was "
           "seized?"))
      << "the quantity came with the task's second finding";
  EXPECT_TRUE(
      asks("INC-N3: the CS-137 of 2026-11-16 (d7.recover_material.li): how much was "
           "seized?"));
  EXPECT_EQ(november.marking, "RESTRICTED // TLP:RED");
  EXPECT_EQ(november.withheld, 0);

  // October holds d1's Co-60, and nothing of November.
  const hq::MonthlyFigures october = Figures("2026-10");
  ASSERT_EQ(october.seizures.size(), 1u);
  EXPECT_EQ(october.seizures[0].material, "Co-60");
}

TEST_F(MonthlyReportTest, APartnersReportHoldsNothingAboveItsReleasability) {
  // The border playbook is RESTRICTED // TLP:AMBER; the U-235 finding was raised to RED.
  const hq::MonthlyFigures amber =
      Figures("2026-11", playbook::ParseMarking("RESTRICTED TLP:AMBER"));
  EXPECT_EQ(amber.releasable, "RESTRICTED // TLP:AMBER");
  EXPECT_EQ(amber.withheld, 1);
  EXPECT_EQ(amber.seizures.size(), 4u);
  ASSERT_EQ(amber.materials.size(), 1u);
  EXPECT_EQ(amber.materials[0].material, "Cs-137");
  EXPECT_EQ(amber.routes.size(), 2u);
  EXPECT_EQ(amber.marking, "RESTRICTED // TLP:AMBER");
  const std::string text = hq::ToJson(amber).dump();
  EXPECT_EQ(text.find("U-235"), std::string::npos);
  EXPECT_EQ(text.find("Tbilisi"), std::string::npos);
  // The incidents carry no marking: a partner gets their counts.
  EXPECT_EQ(amber.incidents, 3);

  // Cleared for TLP:GREEN only: every finding record of the month withheld (d6 made two).
  const hq::MonthlyFigures green = Figures("2026-11", playbook::ParseMarking("TLP:GREEN"));
  EXPECT_EQ(green.withheld, 6);
  EXPECT_TRUE(green.seizures.empty());
  EXPECT_TRUE(green.methods.empty());
  EXPECT_EQ(green.marking, "");

  // A stored marking that cannot be read fails closed: the most restrictive.
  hq_->database().db().exec(
      "UPDATE findings SET marking='TLP:PURPLE' WHERE task_id='d3.recover_material.li'");
  const hq::MonthlyFigures unreadable =
      Figures("2026-11", playbook::ParseMarking("RESTRICTED TLP:AMBER"));
  EXPECT_EQ(unreadable.withheld, 2);
  EXPECT_EQ(unreadable.seizures.size(), 3u);
  EXPECT_EQ(Figures("2026-11").marking, "SECRET // TLP:RED");
  // An empty one, as findings stored before markings had, is the step's.
  hq_->database().db().exec(
      "UPDATE findings SET marking='' WHERE task_id='d4.recover_material.li'");
  EXPECT_EQ(
      Figures("2026-11", playbook::ParseMarking("RESTRICTED TLP:AMBER")).seizures.size(), 3u);
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
  // The store reopened later, by another HQ process: the same report, byte for byte.
  const std::string first = hq::ToJson(Figures("2026-11")).dump();
  hq_.reset();
  clock_.Set(Day(2027, 3, 1));
  auto reopened = hq::Headquarters::Open(dir_.File("muster.db"), clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  hq_ = std::move(reopened).value();
  EXPECT_EQ(hq::ToJson(Figures("2026-11")).dump(), first);
  for (const char* month : {"2026-13", "2026-00", "Nov 2026", "2026-1", "", "1969-12"}) {
    auto figures = hq_->monthly_report().Figures(month, std::nullopt);
    ASSERT_FALSE(figures.ok()) << month;
    EXPECT_EQ(figures.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(figures.status().message().find("YYYY-MM"), std::string::npos);
  }
}

}  // namespace
}  // namespace muster::coordtest
