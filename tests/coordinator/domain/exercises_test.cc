// Exercises on a real store with a FakeClock (docs/programme.md, "Exercises"): an
// incident opened as an exercise is marked on every view; a script of injects plays
// against it as the clock moves; the after-action report's figures are those of what
// happened.
#include "hq_fixture.h"
#include "monitoring/store_gauges.h"
#include "muster/exercise/script.h"
#include "muster/wire/records.h"

namespace muster::coordtest {
namespace {

constexpr Millis kMinute = 60'000;

const char* kScript = R"(exercise: Border drill, Narva crossing
injects:
  - at: 20m
    reading: {to: radiation_specialist, what: gamma dose rate at the cab, value: "45", unit: µSv/h}
  - at: 45m
    alert: {severity: critical, text: A second source is reported at gate 4}
  - at: 50m
    silence: {member: paulo, for: 30m}
  - at: 3h
    message: {to: team_leader, text: "never reached: the exercise ends first"}
)";

class ExerciseTest : public HeadquartersTest {
 protected:
  void SetUp() override {
    HeadquartersTest::SetUp();
    start_ = clock_.Now();
    DeployBorder(/*exercise=*/true);
    // Every member checks in every 20 minutes.
    hq_->database().db().exec("UPDATE members SET checkin_interval_ms=1200000");
  }
  // Moves the clock to T+|minutes| and plays what is due.
  std::vector<std::string> At(int minutes) {
    clock_.Set(start_ + minutes * kMinute);
    auto agents = hq_->exercises().FireDue();
    EXPECT_TRUE(agents.ok()) << agents.status().ToString();
    return agents.ok() ? *agents : std::vector<std::string>{};
  }
  // A check-in position from |member|'s laptop, recorded |minutes| after the start and
  // received now.
  void CheckIn(const std::string& member, int minutes) {
    IngestOk(member + "-1",
             {wire::MakeEntry(++seq_[member], start_ + minutes * kMinute,
                              wire::PositionRecord{"59.3776,28.1904"})});
  }
  void Complete(const std::string& member, const std::string& task, int minutes) {
    IngestOk(member + "-1",
             {wire::MakeEntry(++seq_[member], start_ + minutes * kMinute,
                              wire::StatusRecord{task, "completed", ""})});
  }

  Millis start_ = 0;
  std::map<std::string, std::uint64_t> seq_;
};

TEST_F(ExerciseTest, AScriptPlaysOnTheClockAndTheAfterActionReportHoldsItsFigures) {
  auto started = hq_->exercises().Start("INC-1", kScript, "drill.yaml", "controller");
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  ASSERT_EQ((*started)["injects"].size(), 4u);
  EXPECT_TRUE(At(0).empty());

  for (const char* member : {"amira", "jonas", "li", "paulo"}) CheckIn(member, 0);
  At(10);
  Complete("amira", "d1.arrival_briefing.amira", 10);  // planned 30m: 10m, in time
  for (const char* member : {"amira", "jonas", "li", "paulo"}) CheckIn(member, 10);

  // T+20m: the reading reaches the radiation specialist's laptop, marked.
  EXPECT_EQ(At(20), std::vector<std::string>{"jonas-1"});
  const auto notices = OfKind(Deliveries("jonas-1"), "notice");
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].body["text"],
            "EXERCISE EXERCISE EXERCISE — simulated reading: gamma dose rate at the cab 45 µSv/h");
  EXPECT_TRUE(OfKind(Deliveries("amira-1"), "notice").empty());
  for (const char* member : {"amira", "jonas", "li", "paulo"}) CheckIn(member, 25);

  // T+45m: the alert, marked as an exercise's; acknowledged 7 minutes later.
  At(40);
  for (const char* member : {"amira", "jonas", "li", "paulo"}) CheckIn(member, 40);
  At(45);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='exercise_inject' AND severity="
                  "'critical' AND message='EXERCISE EXERCISE EXERCISE — A second source is "
                  "reported at gate 4'"),
            1);
  const std::int64_t alert = Count("SELECT id FROM alerts WHERE kind='exercise_inject'");

  // T+50m: Paulo goes silent for 30 minutes; his laptop records on, HQ hears it after.
  At(49);
  EXPECT_FALSE(hq_->exercises().Silenced("paulo"));
  At(50);
  EXPECT_TRUE(hq_->exercises().Silenced("paulo"));
  EXPECT_FALSE(hq_->exercises().Silenced("amira"));
  At(52);
  ASSERT_TRUE(hq_->alerts().Ack(alert, "duty officer").ok());
  for (const char* member : {"amira", "jonas", "li"}) CheckIn(member, 55);
  At(70);
  for (const char* member : {"amira", "jonas", "li"}) CheckIn(member, 70);
  At(79);
  EXPECT_TRUE(hq_->exercises().Silenced("paulo"));
  At(80);
  EXPECT_FALSE(hq_->exercises().Silenced("paulo"));
  At(85);
  Complete("paulo", "d1.host_liaison.paulo", 72);  // planned 1h: 72m, 12m late
  for (const char* member : {"amira", "jonas", "li", "paulo"}) CheckIn(member, 85);

  // T+100m: the deployment is closed; the exercise ends there.
  At(100);
  std::vector<std::string> notify;
  ASSERT_TRUE(hq_->operations().Close(1, "demobilised", "controller", &notify).ok());
  At(200);  // the 3h inject never fires: the incident's deployments are over

  auto report = hq_->after_action().Report("INC-1");
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE((*report)["exercise"].get<bool>());
  EXPECT_EQ((*report)["name"], "Border drill, Narva crossing");
  EXPECT_EQ((*report)["started_at"], start_);
  EXPECT_EQ((*report)["ended_at"], start_ + 100 * kMinute);

  std::map<std::string, json> steps;
  for (const json& step : (*report)["steps"]) steps[step["step"]] = step;
  EXPECT_EQ(steps["arrival_briefing"]["planned_ms"], 30 * kMinute);
  EXPECT_EQ(steps["arrival_briefing"]["actual_ms"], 10 * kMinute);
  EXPECT_EQ(steps["arrival_briefing"]["state"], "done");
  EXPECT_FALSE(steps["arrival_briefing"]["overdue"].get<bool>());
  EXPECT_EQ(steps["host_liaison"]["planned_ms"], 60 * kMinute);
  EXPECT_EQ(steps["host_liaison"]["actual_ms"], 72 * kMinute);
  EXPECT_TRUE(steps["host_liaison"]["overdue"].get<bool>());
  EXPECT_EQ(steps["host_liaison"]["late_ms"], 12 * kMinute);
  // The safety briefing was ready from T+10m and not done when the deployment closed.
  EXPECT_EQ(steps["safety_briefing"]["state"], "unfinished");
  EXPECT_TRUE(steps["safety_briefing"]["actual_ms"].is_null());
  EXPECT_EQ(steps["secondary_inspection"]["state"], "never ready");
  EXPECT_TRUE(steps["secondary_inspection"]["ready_at"].is_null());
  EXPECT_EQ((*report)["ended_at"], start_ + 100 * kMinute);

  const json& summary = (*report)["summary"];
  EXPECT_EQ(summary["steps_done"], 2);
  EXPECT_EQ(summary["alerts"], 1);
  EXPECT_EQ(summary["alerts_acked"], 1);
  EXPECT_EQ(summary["ack_median_ms"], 7 * kMinute);
  EXPECT_EQ((*report)["alerts"][0]["ack_ms"], 7 * kMinute);
  EXPECT_EQ((*report)["alerts"][0]["acked_by"], "duty officer");

  // Paulo: heard at T+40m, then not until T+85m (45m > 20m); everyone: the last check-in
  // at T+85m to the end at T+100m is 15m, within the interval.
  ASSERT_EQ((*report)["checkin_gaps"].size(), 1u) << (*report)["checkin_gaps"].dump();
  const json& gap = (*report)["checkin_gaps"][0];
  EXPECT_EQ(gap["member"], "paulo");
  EXPECT_EQ(gap["from"], start_ + 40 * kMinute);
  EXPECT_EQ(gap["to"], start_ + 85 * kMinute);
  EXPECT_EQ(gap["gap_ms"], 45 * kMinute);
  EXPECT_EQ(summary["longest_gap_ms"], 45 * kMinute);

  ASSERT_EQ((*report)["injects"].size(), 4u);
  EXPECT_EQ(summary["injects_fired"], 3);
  EXPECT_EQ((*report)["injects"][0]["late_ms"], 0);
  EXPECT_EQ((*report)["injects"][2]["outcome"],
            "HQ does not hear paulo until " + FormatTimestamp(start_ + 80 * kMinute));
  EXPECT_TRUE((*report)["injects"][3]["fired_at"].is_null());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='inject'"), 3);
}

TEST_F(ExerciseTest, AnExerciseIsMarkedOnEveryViewAndARealIncidentOnNone) {
  auto incident = hq_->incidents().Get("INC-1");
  ASSERT_TRUE(incident.ok());
  EXPECT_TRUE((*incident)["exercise"].get<bool>());
  auto board = hq_->views().IncidentStatus("INC-1");
  ASSERT_TRUE(board.ok());
  EXPECT_TRUE((*board)["exercise"].get<bool>());
  auto sitrep = hq_->views().Sitrep("INC-1");
  ASSERT_TRUE(sitrep.ok());
  EXPECT_TRUE((*sitrep)["exercise"].get<bool>());
  auto map = hq_->views().GeoJson("INC-1", std::nullopt);
  ASSERT_TRUE(map.ok());
  EXPECT_TRUE((*map)["muster"]["exercise"].get<bool>());
  const auto tasks = OfKind(Deliveries("amira-1"), "task");
  ASSERT_FALSE(tasks.empty());
  EXPECT_TRUE(tasks[0].body.value("exercise", false));
  // An alert HQ raises itself (an overdue task) says so too.
  clock_.Advance(31 * kMinute);
  ASSERT_TRUE(hq_->alerts().Sweep().ok());
  EXPECT_GT(Count("SELECT COUNT(*) FROM alerts WHERE kind='overdue'"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE message NOT LIKE "
                  "'EXERCISE EXERCISE EXERCISE — %'"),
            0);
  // Counted apart from real alerts by the monitoring gauges: a drill pages no one.
  auto gauges = hq::StoreGaugeReader(hq_->database()).Read();
  ASSERT_TRUE(gauges.ok());
  EXPECT_TRUE(gauges->alerts_open.empty());
  EXPECT_EQ(gauges->exercise_alerts_open["warning"] + gauges->exercise_alerts_open["critical"],
            static_cast<std::uint64_t>(Count("SELECT COUNT(*) FROM alerts")));

  CreateIncident("INC-2", "Real portal alarm");
  auto real = hq_->incidents().Get("INC-2");
  ASSERT_TRUE(real.ok());
  EXPECT_FALSE((*real)["exercise"].get<bool>());
  auto real_board = hq_->views().IncidentStatus("INC-2");
  ASSERT_TRUE(real_board.ok());
  EXPECT_FALSE((*real_board)["exercise"].get<bool>());
  auto listed = hq_->incidents().List();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE((*listed)[0]["exercise"].get<bool>());
  EXPECT_FALSE((*listed)[1]["exercise"].get<bool>());
}

TEST_F(ExerciseTest, StartRefusesWhatCannotPlayAndNamesTheFix) {
  CreateIncident("INC-2", "Real portal alarm");
  auto real = hq_->exercises().Start("INC-2", kScript, "drill.yaml", "controller");
  EXPECT_EQ(real.status().code(), ErrorCode::kConflict);
  EXPECT_NE(real.status().message().find("--exercise"), std::string::npos);

  auto typo = hq_->exercises().Start(
      "INC-1", "exercise: x\ninjects:\n  - at: 5m\n    message: {to: team_leadr, text: hi}\n",
      "drill.yaml", "controller");
  EXPECT_EQ(typo.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(typo.status().message().find("drill.yaml:3: no role or member 'team_leadr'"),
            std::string::npos)
      << typo.status().message();
  EXPECT_NE(typo.status().message().find("team_leader"), std::string::npos);

  auto silent_role = hq_->exercises().Start(
      "INC-1", "exercise: x\ninjects:\n  - at: 5m\n    silence: {member: team_leader, for: 5m}\n",
      "drill.yaml", "controller");
  EXPECT_EQ(silent_role.status().code(), ErrorCode::kInvalidArgument);

  auto broken = hq_->exercises().Start("INC-1", "exercise: [", "drill.yaml", "controller");
  EXPECT_EQ(broken.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM exercise_runs"), 0);

  ASSERT_TRUE(hq_->exercises().Start("INC-1", kScript, "drill.yaml", "controller").ok());
  auto again = hq_->exercises().Start("INC-1", kScript, "drill.yaml", "controller");
  EXPECT_EQ(again.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='exercise.start'"), 1);

  EXPECT_EQ(hq_->exercises().Run("INC-9").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(hq_->after_action().Report("INC-2").status().code(), ErrorCode::kNotFound);
}

// A member who also serves in a real incident is never cut off: the silence would stop
// their real work reaching HQ too.
TEST_F(ExerciseTest, AMemberServingInARealIncidentIsNeverSilenced) {
  CreateIncident("INC-2", "Real portal alarm");
  hq::DeployInput real;
  real.incident_id = "INC-2";
  real.playbook_source = BorderPlaybookSource();
  ASSERT_TRUE(hq_->deployments().Deploy(real, nullptr).ok());
  auto refused = hq_->exercises().Start(
      "INC-1", "exercise: x\ninjects:\n  - at: 5m\n    silence: {member: li, for: 5m}\n",
      "drill.yaml", "controller");
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("drill.yaml:3: li also serves in INC-2"),
            std::string::npos)
      << refused.status().message();

  // Started before the real deployment, the silence is skipped when it comes.
  std::vector<std::string> notify;
  ASSERT_TRUE(hq_->operations().Close(2, "cancelled", "controller", &notify).ok());
  ASSERT_TRUE(hq_->exercises()
                  .Start("INC-1",
                         "exercise: x\ninjects:\n  - at: 5m\n    silence: {member: li, for: 5m}\n",
                         "drill.yaml", "controller")
                  .ok());
  ASSERT_TRUE(hq_->deployments().Deploy(real, nullptr).ok());
  At(5);
  EXPECT_FALSE(hq_->exercises().Silenced("li"));
  auto run = hq_->exercises().Run("INC-1");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ((*run)["injects"][0]["outcome"], "not silenced: li serves in INC-2, a real incident");
}

// The exercise is over once its deployments are: a new deployment of the incident does
// not bring back the injects left or a silence.
TEST_F(ExerciseTest, AnEndedExerciseStaysEnded) {
  ASSERT_TRUE(hq_->exercises()
                  .Start("INC-1",
                         "exercise: x\ninjects:\n  - at: 0s\n    silence: {member: li, for: 2h}\n"
                         "  - at: 30m\n    alert: {text: too late}\n",
                         "drill.yaml", "controller")
                  .ok());
  At(0);
  EXPECT_TRUE(hq_->exercises().Silenced("li"));
  At(10);
  std::vector<std::string> notify;
  ASSERT_TRUE(hq_->operations().Close(1, "demobilised", "controller", &notify).ok());
  At(20);
  hq::DeployInput again;
  again.incident_id = "INC-1";
  again.playbook_source = BorderPlaybookSource();
  ASSERT_TRUE(hq_->deployments().Deploy(again, nullptr).ok());
  At(40);
  EXPECT_FALSE(hq_->exercises().Silenced("li"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='exercise_inject'"), 0);
  auto run = hq_->exercises().Run("INC-1");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ((*run)["ended_at"], start_ + 10 * kMinute);
}

TEST_F(ExerciseTest, NothingFiresOnceTheIncidentIsClosedAndNoOneStaysSilent) {
  ASSERT_TRUE(hq_->exercises()
                  .Start("INC-1",
                         "exercise: x\ninjects:\n  - at: 0s\n    silence: {member: li, for: 2h}\n"
                         "  - at: 10m\n    alert: {text: too late}\n",
                         "drill.yaml", "controller")
                  .ok());
  At(0);
  EXPECT_TRUE(hq_->exercises().Silenced("li"));
  std::vector<std::string> notify;
  ASSERT_TRUE(hq_->operations().Close(1, "demobilised", "controller", &notify).ok());
  hq::IncidentChange close;
  close.status = "closed";
  ASSERT_TRUE(hq_->incidents().Update("INC-1", close, "controller").ok());
  EXPECT_FALSE(hq_->exercises().Silenced("li"));
  At(30);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='exercise_inject'"), 0);
}

}  // namespace
}  // namespace muster::coordtest
