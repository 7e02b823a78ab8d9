// Laptops with wrong clocks, at HQ on a real store: three surveyors, one laptop 3 hours
// fast, one 2 days slow, one right. HQ places their records by HQ's time: the latest
// reading (and so the trigger), the order of findings and timeline, a task's "blocked
// since"; records that came before the offset was known are placed again once it is; and
// each skew beyond the bound raises one alert per excursion.
#include "hq_fixture.h"

namespace muster::coordtest {
namespace {

constexpr Millis kMinute = 60'000;
constexpr Millis kHour = 60 * kMinute;
constexpr Millis kDay = 24 * kHour;

constexpr const char* kSurveyPlaybook = R"(id: survey
version: 1.0.0
title: Three-surveyor survey
hazards: [radiological]
roles:
  - id: surveyor
    title: Surveyor
    count: 3
phases:
  - id: survey
    title: Survey
steps:
  - id: measure
    title: Measure the dose rate at the fence
    phase: survey
    role: surveyor
    findings:
      - id: dose_rate
        type: number
        unit: uSv/h
        required: true
  - id: evacuate
    title: Evacuate the fence line
    phase: survey
    role: surveyor
    on_trigger: true
triggers:
  - id: hot
    when: measure.dose_rate >= 300 uSv/h
    then:
      - activate: evacuate
)";

class AgentClocksTest : public HeadquartersTest {
 protected:
  void SetUp() override {
    HeadquartersTest::SetUp();
    CreateIncident("INC-1", "Hot fence");
    DeployTeam({{"fast", "surveyor"}, {"slow", "surveyor"}, {"true", "surveyor"}}, kSurveyPlaybook);
  }

  // A record the agent stamped |agent_at| by its own clock.
  template <typename T>
  hq::InboundRecord At(std::uint64_t seq, Millis agent_at, const T& record) {
    return wire::MakeEntry(seq, agent_at, record);
  }
  hq::InboundRecord Reading(std::uint64_t seq, Millis agent_at, const std::string& member,
                            double value) {
    return At(seq, agent_at, wire::FindingRecord{"d1.measure." + member, {{"dose_rate", value}}, {}, {}, ""});
  }
  // One RECORDS message: the batch and what the agent said of its clock in it.
  void Send(const std::string& agent, std::vector<hq::InboundRecord> records,
            std::optional<hq::ClockReport> clock) {
    auto results =
        hq_->ingest().CommitGroup({hq::IngestBatch{agent, std::move(records), "", clock}});
    ASSERT_TRUE(results.front().ok()) << results.front().status().ToString();
  }
  // What a HELLO or a PING says of the agent's clock.
  Status Report(const std::string& agent, hq::ClockReport clock) {
    return hq_->ingest().CommitGroup({hq::IngestBatch{agent, {}, "", clock}}).front().status();
  }
  std::int64_t SkewAlerts() { return Count("SELECT COUNT(*) FROM alerts WHERE kind='clock_skew'"); }
  json Findings() {
    auto findings = hq_->views().IncidentFindings("INC-1");
    EXPECT_TRUE(findings.ok());
    return findings.ok() ? *findings : json::array();
  }
  json LatestDoseRate() {
    auto sitrep = hq_->views().Sitrep("INC-1");
    EXPECT_TRUE(sitrep.ok());
    for (const json& finding : (*sitrep)["findings"]) {
      if (finding["field"] == "dose_rate") return finding;
    }
    return json();
  }
};

TEST_F(AgentClocksTest, TheLatestReadingIsTheLatestInHqTimeNotOnTheFastLaptop) {
  const Millis now = clock_.Now();
  // The fast laptop's 200 was taken 10 minutes ago; its clock says 2 h 50 min from now.
  Send("fast-1", {Reading(1, now - 10 * kMinute + 3 * kHour, "fast", 200)},
       hq::ClockReport{-3 * kHour, 800});
  // The right laptop's 400 was taken a minute ago, after it.
  Send("true-1", {Reading(1, now - kMinute, "true", 400)}, hq::ClockReport{40, 300});

  const json latest = LatestDoseRate();
  EXPECT_EQ(latest["value"], 400);
  EXPECT_EQ(latest["member"], "true");
  EXPECT_EQ(QueryText(hq_->database().db(),
                      "SELECT value FROM finding_values WHERE key='measure.dose_rate'"),
            "400.0");
  EXPECT_FALSE(TaskDormant("d1.evacuate.true"));  // the trigger read 400

  const json findings = Findings();
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0]["member"], "fast");
  EXPECT_EQ(findings[0]["recorded_at"], now - 10 * kMinute);           // corrected
  EXPECT_EQ(findings[0]["agent_at"], now - 10 * kMinute + 3 * kHour);  // as the laptop said
  EXPECT_EQ(findings[0]["received_at"], now);
  EXPECT_EQ(findings[1]["member"], "true");

  // Shown on the board and in the SITREP, and alerted once.
  auto board = hq_->views().IncidentStatus("INC-1");
  ASSERT_TRUE(board.ok());
  std::map<std::string, json> clock_of;
  for (const json& member : (*board)["members"]) clock_of[member["id"]] = member["clock"];
  EXPECT_EQ(clock_of["fast"]["skew"], "3h 0m fast");
  EXPECT_EQ(clock_of["true"]["skew"], "in step");
  EXPECT_TRUE(clock_of["slow"].is_null());  // not heard yet
  auto sitrep = hq_->views().Sitrep("INC-1");
  ASSERT_TRUE(sitrep.ok());
  bool shown = false;
  for (const json& member : (*sitrep)["team"]) {
    shown |= member["id"] == "fast" && member["clock"]["offset_ms"] == -3 * kHour;
  }
  EXPECT_TRUE(shown);
  EXPECT_EQ(SkewAlerts(), 1);
  EXPECT_NE(QueryText(hq_->database().db(), "SELECT message FROM alerts WHERE kind='clock_skew'")
                .find("fast's laptop (agent fast-1) runs 3h 0m fast against HQ"),
            std::string::npos);
}

TEST_F(AgentClocksTest, ATaskBlockedSecondsAgoOnASlowLaptopIsBlockedSinceSecondsAgo) {
  clock_.Advance(kHour);  // deployed an hour ago
  const Millis now = clock_.Now();
  Send("slow-1",
       {At(1, now - 2 * kDay - 5000,
           wire::StatusRecord{"d1.measure.slow", "blocked", "gate locked"})},
       hq::ClockReport{2 * kDay, 1200});
  auto sitrep = hq_->views().Sitrep("INC-1");
  ASSERT_TRUE(sitrep.ok());
  ASSERT_EQ((*sitrep)["blocked"].size(), 1u);
  EXPECT_EQ((*sitrep)["blocked"][0]["since"], now - 5000);
  auto timeline = hq_->timeline().OfIncident("INC-1");
  ASSERT_TRUE(timeline.ok());
  // Before the skew alert HQ raised on receiving it.
  ASSERT_GE(timeline->size(), 2u);
  const json& blocked = (*timeline)[timeline->size() - 2];
  EXPECT_EQ(blocked["kind"], "blocked");
  EXPECT_EQ(blocked["at"], now - 5000);
  EXPECT_EQ(timeline->back()["kind"], "alert");
}

TEST_F(AgentClocksTest, TheTimelineIsInHqTimeWhateverOrderTheRecordsArrived) {
  const Millis now = clock_.Now();
  // The slow laptop's note was written first (20 minutes ago) but arrives last.
  Send("true-1", {At(1, now - 5 * kMinute, wire::NoteRecord{"", "fence reading taken"})},
       hq::ClockReport{0, 200});
  Send("fast-1", {At(1, now - 10 * kMinute + 3 * kHour, wire::NoteRecord{"", "fast note"})},
       hq::ClockReport{-3 * kHour, 200});
  Send("slow-1", {At(1, now - 20 * kMinute - 2 * kDay, wire::NoteRecord{"", "slow note"})},
       hq::ClockReport{2 * kDay, 200});
  auto timeline = hq_->timeline().OfIncident("INC-1");
  ASSERT_TRUE(timeline.ok());
  std::vector<std::string> notes;
  for (const json& entry : *timeline) {
    if (entry["kind"] == "note") notes.push_back(entry["text"]);
  }
  EXPECT_EQ(notes, (std::vector<std::string>{"slow note", "fast note", "fence reading taken"}));
}

TEST_F(AgentClocksTest, RecordsThatCameBeforeTheOffsetWasKnownArePlacedAgainWhenItIs) {
  const Millis now = clock_.Now();
  // An agent that states no offset (an older one): its records cannot stand after their
  // receipt, and are marked provisional.
  Send("fast-1",
       {Reading(1, now - 10 * kMinute + 3 * kHour, "fast", 200),
        At(2, now - 9 * kMinute + 3 * kHour,
           wire::StatusRecord{"d1.measure.fast", "blocked", "battery flat"})},
       std::nullopt);
  clock_.Advance(kMinute);
  Send("true-1", {Reading(1, now - 2 * kMinute, "true", 400)}, hq::ClockReport{0, 200});
  // Placed at its receipt, the fast 200 looks newest for now.
  EXPECT_EQ(LatestDoseRate()["value"], 200);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM inbound WHERE clock_known=0"), 2);

  EXPECT_TRUE(TaskDormant("d1.evacuate.true"));

  // Its PING states the offset (a batch without records): everything it sent is placed
  // where it belongs, and the trigger reads the latest value again.
  Send("fast-1", {}, hq::ClockReport{-3 * kHour, 600});
  EXPECT_EQ(Count("SELECT COUNT(*) FROM inbound WHERE clock_known=0"), 0);
  EXPECT_EQ(LatestDoseRate()["value"], 400);
  EXPECT_FALSE(TaskDormant("d1.evacuate.true"));
  EXPECT_EQ(Findings()[0]["recorded_at"], now - 10 * kMinute);
  EXPECT_EQ(Count("SELECT updated_at FROM tasks WHERE id='d1.measure.fast'"), now - 9 * kMinute);
  auto timeline = hq_->timeline().OfIncident("INC-1");
  ASSERT_TRUE(timeline.ok());
  bool placed = false;
  for (const json& entry : *timeline) {
    placed |= entry["kind"] == "blocked" && entry["at"] == now - 9 * kMinute;
  }
  EXPECT_TRUE(placed);
}

TEST_F(AgentClocksTest, OneAlertPerExcursionBeyondTheBound) {
  ASSERT_TRUE(Report("true-1", {90'000, 300}).ok());  // within 2 minutes
  EXPECT_EQ(SkewAlerts(), 0);
  ASSERT_TRUE(Report("slow-1", {2 * kDay, 300}).ok());
  ASSERT_TRUE(Report("slow-1", {2 * kDay + 20, 300}).ok());  // the same excursion
  EXPECT_EQ(SkewAlerts(), 1);
  clock_.Advance(kHour);
  ASSERT_TRUE(Report("slow-1", {50, 300}).ok());          // set right
  ASSERT_TRUE(Report("slow-1", {-3 * kHour, 300}).ok());  // wrong again
  EXPECT_EQ(SkewAlerts(), 2);

  // A member on no active deployment is told of once deployed.
  AddMember("idle", {"driver"});
  EnrollAgent("idle");
  ASSERT_TRUE(Report("idle-1", {5 * kHour, 300}).ok());
  EXPECT_EQ(SkewAlerts(), 2);
  EXPECT_EQ(Count("SELECT clock_offset_ms FROM agents WHERE id='idle-1'"), 5 * kHour);
}

TEST_F(AgentClocksTest, ImpossibleClockReportsAreIgnored) {
  EXPECT_FALSE(hq::ClockReportIn(json{{"clock_offset", -5}}));  // no round trip
  EXPECT_FALSE(hq::ClockReportIn(json{{"clock_offset", "3h"}, {"clock_rtt", 5}}));
  EXPECT_FALSE(hq::ClockReportIn(json{{"clock_offset", 5}, {"clock_rtt", -1}}));
  EXPECT_FALSE(hq::ClockReportIn(json{{"clock_offset", INT64_MIN}, {"clock_rtt", 1}}));
  EXPECT_FALSE(hq::ClockReportIn(json{{"clock_offset", UINT64_MAX}, {"clock_rtt", 1}}));
  EXPECT_FALSE(hq::ClockReportIn(json{{"clock_offset", 0}, {"clock_rtt", 2 * kDay}}));
  const auto report = hq::ClockReportIn(json{{"clock_offset", -3 * kHour}, {"clock_rtt", 700}});
  ASSERT_TRUE(report);
  EXPECT_EQ(report->offset_ms, -3 * kHour);
  EXPECT_EQ(report->rtt_ms, 700);
}

}  // namespace
}  // namespace muster::coordtest
