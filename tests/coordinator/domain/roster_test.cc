// Incidents and the roster after their creation: reading an incident with its
// deployments, changing and closing it, and changing a member's roster entry (the new
// check-in interval drives the next safety sweep). Real store, FakeClock.
#include "hq_fixture.h"

namespace muster::coordtest {
namespace {

constexpr Millis kMinute = 60'000;

class HqRosterTest : public HeadquartersTest {
 protected:
  hq::IncidentChange SeverityTo(const std::string& severity) {
    hq::IncidentChange change;
    change.severity = severity;
    return change;
  }
  hq::IncidentChange StatusTo(const std::string& status) {
    hq::IncidentChange change;
    change.status = status;
    return change;
  }
};

TEST_F(HqRosterTest, AnIncidentShowsItsDeploymentsAndTheirOpenWork) {
  DeployBorder();
  auto incident = hq_->incidents().Get("INC-1");
  ASSERT_TRUE(incident.ok()) << incident.status().ToString();
  EXPECT_EQ((*incident)["title"], "Portal alarm");
  ASSERT_EQ((*incident)["deployments"].size(), 1u);
  const json& deployment = (*incident)["deployments"][0];
  EXPECT_EQ(deployment["playbook"]["id"], "radioactive-material-border-seizure");
  EXPECT_EQ(deployment["status"], "active");
  EXPECT_EQ(deployment["team"]["radiation_specialist"], json::array({"jonas"}));
  EXPECT_EQ(deployment["open_tasks"], 13);
  EXPECT_EQ(hq_->incidents().Get("INC-404").status().code(), ErrorCode::kNotFound);
}

TEST_F(HqRosterTest, EachChangeIsOnTheTimelineAndInTheAuditLog) {
  DeployBorder();
  hq::IncidentChange change = SeverityTo("critical");
  change.location = "Border crossing B-7, lane 3";
  change.hazards = std::vector<std::string>{"radiological", "nuclear"};
  auto updated = hq_->incidents().Update("INC-1", change, "dana");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ((*updated)["severity"], "critical");
  EXPECT_EQ((*updated)["hazards"], json::array({"radiological", "nuclear"}));
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT text FROM timeline WHERE kind='incident_updated'"),
            "hazards none -> radiological, nuclear; location none -> Border crossing B-7, "
            "lane 3; severity high -> critical");
  EXPECT_EQ(QueryText(hq_->database().db(),
                      "SELECT actor || ' ' || json_extract(detail, '$.severity.from') || ' ' || "
                      "json_extract(detail, '$.severity.to') FROM audit WHERE "
                      "action='incident.update'"),
            "dana high critical");
  // Saying the same again changes nothing and records nothing.
  ASSERT_TRUE(hq_->incidents().Update("INC-1", SeverityTo("critical"), "dana").ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='incident.update'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='incident_updated'"), 1);
}

TEST_F(HqRosterTest, BadValuesAreRefusedAndChangeNothing) {
  DeployBorder();
  EXPECT_EQ(hq_->incidents().Update("INC-1", SeverityTo("apocalyptic"), "dana").status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(hq_->incidents().Update("INC-1", StatusTo("gone"), "dana").status().code(),
            ErrorCode::kInvalidArgument);
  hq::IncidentChange hazard;
  hazard.hazards = std::vector<std::string>{"fire"};
  auto refused = hq_->incidents().Update("INC-1", hazard, "dana");
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("chemical, biological"), std::string::npos);
  hq::IncidentChange untitled;
  untitled.title = "";
  EXPECT_EQ(hq_->incidents().Update("INC-1", untitled, "dana").status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(hq_->incidents().Update("INC-404", SeverityTo("low"), "dana").status().code(),
            ErrorCode::kNotFound);
  hq::MemberChange never;
  never.checkin_interval_ms = 0;
  EXPECT_EQ(hq_->roster().Update("jonas", never, "dana").status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(hq_->roster().Update("ghost", {}, "dana").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT severity FROM incidents WHERE id='INC-1'"), "high");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action LIKE '%.update'"), 0);
}

TEST_F(HqRosterTest, AnIncidentClosesOnlyOnceItsDeploymentsAreClosed) {
  DeployBorder();
  auto refused = hq_->incidents().Update("INC-1", StatusTo("closed"), "dana");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kConflict);
  EXPECT_NE(refused.status().message().find("active deployment(s) 1; close them first with: "
                                            "muster deployment demobilise ID"),
            std::string::npos)
      << refused.status().message();
  ASSERT_TRUE(hq_->operations().Close(1, "demobilised", "dana", nullptr).ok());
  auto closed = hq_->incidents().Update("INC-1", StatusTo("closed"), "dana");
  ASSERT_TRUE(closed.ok()) << closed.status().ToString();
  EXPECT_EQ((*closed)["status"], "closed");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='incident_closed'"), 1);
  // A closed incident takes no new deployment until it is reopened.
  hq::DeployInput input;
  input.incident_id = "INC-1";
  input.playbook_source = BorderPlaybookSource();
  EXPECT_EQ(hq_->deployments().Deploy(input, nullptr).status().code(), ErrorCode::kConflict);
  ASSERT_TRUE(hq_->incidents().Update("INC-1", StatusTo("open"), "dana").ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='incident_reopened'"), 1);
  EXPECT_TRUE(hq_->deployments().Deploy(input, nullptr).ok());
}

TEST_F(HqRosterTest, AShorterCheckinIntervalTakesEffectAtTheNextSweep) {
  DeployBorder();  // every member checks in hourly
  clock_.Advance(20 * kMinute);
  ASSERT_TRUE(hq_->alerts().Sweep().ok());
  ASSERT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='checkin'"), 0);
  // Jonas goes into the hot zone: HQ wants to hear from him every 15 minutes.
  hq::MemberChange change;
  change.checkin_interval_ms = 15 * kMinute;
  change.contact = "radio channel 4";
  auto updated = hq_->roster().Update("jonas", change, "dana");
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ((*updated)["checkin_interval_ms"], 15 * kMinute);
  EXPECT_EQ((*updated)["roles"], json::array({"radiation_specialist"}));  // kept
  ASSERT_TRUE(hq_->alerts().Sweep().ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='checkin'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='checkin' AND message LIKE 'jonas%'"),
            1);
  EXPECT_EQ(QueryText(hq_->database().db(),
                      "SELECT json_extract(detail, '$.checkin_interval_ms.to') FROM audit "
                      "WHERE action='member.update' AND subject='jonas'"),
            "900000");
}

TEST_F(HqRosterTest, ATacticalReportReachesTheSitrepWithItsAge) {
  DeployBorder();
  auto before = hq_->views().Sitrep("INC-1");
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_TRUE((*before)["tactical_report"].is_null());
  EXPECT_EQ(hq_->incidents().FileReport("INC-1", {}, "dana").status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(hq_->incidents().FileReport("INC-404", {"calm", "", {}}, "dana").status().code(),
            ErrorCode::kNotFound);

  ASSERT_TRUE(hq_->incidents().FileReport("INC-1", {"Lorry isolated", "Cordon at 50 m", {}}, "dana").ok());
  clock_.Advance(5 * kMinute);
  auto filed = hq_->incidents().FileReport(
      "INC-1",
      {"Dose rate 145 uSv/h at 1 m", "Cordon widened to 100 m",
       {"a second dose-rate meter", "police to hold lane 3"}},
      "erik");
  ASSERT_TRUE(filed.ok()) << filed.status().ToString();
  clock_.Advance(10 * kMinute);

  auto reports = hq_->incidents().Reports("INC-1");
  ASSERT_TRUE(reports.ok());
  ASSERT_EQ(reports->size(), 2u);
  EXPECT_EQ((*reports)[0]["author"], "erik");  // newest first
  auto sitrep = hq_->views().Sitrep("INC-1");
  ASSERT_TRUE(sitrep.ok());
  const json& latest = (*sitrep)["tactical_report"];
  EXPECT_EQ(latest["id"], (*filed)["id"]);
  EXPECT_EQ(latest["actions"], "Cordon widened to 100 m");
  EXPECT_EQ(latest["age_ms"], 10 * kMinute);  // so nobody mistakes it for the present
  ASSERT_GE((*sitrep)["needs"].size(), 2u);
  EXPECT_EQ((*sitrep)["needs"][0], "a second dose-rate meter (tactical report 2, erik)");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='tactical_report'"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='report.create'"), 2);
}

}  // namespace
}  // namespace muster::coordtest
