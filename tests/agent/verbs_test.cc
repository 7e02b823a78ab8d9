#include "verbs.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "agent_fixture.h"
#include "link.h"
#include "muster/playbook/model.h"

namespace muster::agent::testing {
namespace {

using nlohmann::json;

class VerbsTest : public AgentTest {
 protected:
  void SetUp() override {
    AgentTest::SetUp();
    Deploy();
  }

  std::string List(bool as_json = false) {
    std::ostringstream out;
    Status status = ListTasks(*store_, clock_, as_json, out);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out.str();
  }
  std::string Show(const std::string& task, bool as_json = false) {
    std::ostringstream out;
    Status status = ShowTask(*store_, task, as_json, out);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out.str();
  }
  Status Record(const std::string& task, const std::vector<std::string>& fields,
                bool confirm = false, bool complete = false, bool force = false) {
    out_.str("");
    return RecordFinding(*store_, task, fields, confirm, complete, force, out_);
  }
  Status Set(const std::string& task, const std::string& state, const std::string& reason = "",
             bool force = false) {
    out_.str("");
    return SetState(*store_, task, state, reason, force, out_);
  }
  std::string Log(const std::string& task = "", bool as_json = false) {
    std::ostringstream out;
    Status status = ShowLog(*store_, task, as_json, out);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out.str();
  }
  std::string StatusText(bool as_json = false) {
    std::ostringstream out;
    Status status = ShowStatus(*store_, clock_, as_json, out);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out.str();
  }
  std::vector<OutboxRecord> RecordsOf(const std::string& step) {
    auto records = store_->outbox().Records(step.empty() ? "" : TaskIdOf(step));
    EXPECT_TRUE(records.ok());
    return records.ok() ? *records : std::vector<OutboxRecord>{};
  }
  std::size_t CountKind(const std::string& kind) {
    std::size_t n = 0;
    for (const auto& record : RecordsOf("")) n += record.kind == kind;
    return n;
  }
  // The threshold of the cordon_expansion trigger: the playbook parameter's default.
  double CordonThreshold() {
    for (const auto& param : BorderSeizure().parameters) {
      if (param.id == "cordon_dose_rate") return std::stod(param.default_value);
    }
    ADD_FAILURE() << "the playbook has no cordon_dose_rate parameter";
    return 0;
  }
  static std::string Number(double value) {
    std::ostringstream text;
    text << value;
    return text.str();
  }

  std::ostringstream out_;
};

// --- ListTasks / ShowTask ---

TEST_F(VerbsTest, ListTasksShowsStateTitlePriorityAndWaits) {
  const std::string text = List();
  EXPECT_TRUE(Contains(text, "TASK"));
  EXPECT_TRUE(Contains(text, TaskIdOf("secondary_inspection")));
  EXPECT_TRUE(Contains(text, "Verify the alarm with a survey meter"));
  EXPECT_TRUE(Contains(text, "critical"));
  EXPECT_TRUE(Contains(text, "in 45m"));
  EXPECT_TRUE(Contains(text, "dormant"));
  EXPECT_TRUE(Contains(text, "[waits on secondary_inspection (m.okafor, ready)]"));
  // One line per task after the header.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 5);
}

TEST_F(VerbsTest, ListTasksShowsOverdueTasks) {
  clock_.Advance(50 * 60'000);
  EXPECT_TRUE(Contains(List(), "OVERDUE 5m"));
}

// A laptop 3 hours fast: HQ makes a task due in 2 hours, which by the laptop's own clock
// was due an hour ago. Read against HQ's time, it is due in 2 hours.
TEST_F(VerbsTest, AFastLaptopShowsDueTimesInHqTime) {
  constexpr Millis kHour = 3'600'000;
  ASSERT_TRUE(store_->SetClockOffsetToHq({-3 * kHour, 900, clock_.Now()}).ok());
  const Millis hq_now = clock_.Now() - 3 * kHour;
  ASSERT_TRUE(store_
                  ->ApplyDeliveries({TaskDelivery(
                      6, {.step = "secondary_inspection", .state = "ready", .due_at = hq_now + 2 * kHour})})
                  .ok());
  EXPECT_TRUE(Contains(List(), "OVERDUE 1h 0m")) << "the laptop's own clock";
  std::ostringstream out;
  ASSERT_TRUE(ListTasks(*store_, ClockOfHq(*store_, clock_), false, out).ok());
  EXPECT_TRUE(Contains(out.str(), "in 2h 0m"));
  EXPECT_TRUE(Lacks(out.str(), "OVERDUE"));
  EXPECT_TRUE(Contains(StatusText(), "Clock:      3h 0m fast against HQ (within 450 ms"));
  const json status = json::parse(StatusText(true));
  EXPECT_EQ(status["clock_offset_ms"], -3 * kHour);
  EXPECT_EQ(status["clock_rtt_ms"], 900);
}

TEST_F(VerbsTest, ListTasksWithoutTasks) {
  muster::testing::TempDir other;
  auto empty = AgentStore::Open(other.path(), MakeBundle("agent-9"), clock_);
  ASSERT_TRUE(empty.ok());
  std::ostringstream out;
  ASSERT_TRUE(ListTasks(**empty, clock_, false, out).ok());
  EXPECT_TRUE(Contains(out.str(), "No tasks yet"));
}

TEST_F(VerbsTest, ListTasksAsJson) {
  const json list = json::parse(List(true));
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0]["id"], TaskIdOf("secondary_inspection"));
  EXPECT_EQ(list[0]["state"], "ready");
  EXPECT_EQ(list[0]["priority"], "critical");
  EXPECT_EQ(list[0]["title"], "Verify the alarm with a survey meter");
  EXPECT_EQ(list[0]["due_at"], clock_.Now() + 45 * 60'000);
  EXPECT_EQ(list[1]["state"], "waiting");
  EXPECT_EQ(list[1]["waits_on"], "secondary_inspection (m.okafor, ready)");
  EXPECT_TRUE(list[1]["due_at"].is_null());
  EXPECT_EQ(list[2]["state"], "dormant");
}

TEST_F(VerbsTest, ShowTaskText) {
  const std::string text = Show("secondary_inspection");
  EXPECT_TRUE(Contains(text, TaskIdOf("secondary_inspection") + " — Verify the alarm"));
  EXPECT_TRUE(Contains(text, "Incident:  INC-2026-0042 Portal alarm at Nickelsdorf"));
  EXPECT_TRUE(Contains(text, "Playbook:  radioactive-material-border-seizure " +
                              BorderSeizure().version + " (" +
                              BorderSeizure().content_hash.substr(0, 12) + ")"));
  EXPECT_TRUE(Contains(text, "State:     ready"));
  EXPECT_TRUE(Contains(text, "Priority:  critical"));
  EXPECT_TRUE(Contains(text, "Wear a personal electronic dosimeter"));
  EXPECT_TRUE(Contains(text, "Findings to record (--field NAME=VALUE):"));
  EXPECT_TRUE(Contains(text, "dose_rate_1m"));
  EXPECT_TRUE(Contains(text, "number in µSv/h, expected 0 to 100000  (required)"));
  EXPECT_TRUE(Contains(text, "neutrons_detected"));
  EXPECT_TRUE(Lacks(text, ("Recorded:")));
}

TEST_F(VerbsTest, ShowTaskListsWaitsChecklistAndRecords) {
  const std::string waiting = Show("establish_cordon");
  EXPECT_TRUE(Contains(waiting, "State:     waiting"));
  EXPECT_TRUE(Contains(waiting, "Waits on:  secondary_inspection (m.okafor, ready)"));
  ASSERT_TRUE(Set("secondary_inspection", "acknowledged").ok());
  const std::string text = Show("secondary_inspection");
  EXPECT_TRUE(Contains(text, "Recorded:\n  #1 status"));
  EXPECT_TRUE(Contains(text, "only on this laptop"));
}

TEST_F(VerbsTest, ShowTaskAsJson) {
  const json task = json::parse(Show("secondary_inspection", true));
  EXPECT_EQ(task["id"], TaskIdOf("secondary_inspection"));
  EXPECT_EQ(task["state"], "ready");
  EXPECT_EQ(task["playbook"]["hash"], BorderSeizure().content_hash);
  EXPECT_EQ(task["records"], 0);
  bool found = false;
  for (const json& field : task["fields"]) {
    if (field["id"] != "dose_rate_1m") continue;
    found = true;
    EXPECT_EQ(field["type"], "number");
    EXPECT_EQ(field["required"], true);
    EXPECT_EQ(field["unit"], "µSv/h");
    EXPECT_EQ(field["min"], 0.0);
    EXPECT_EQ(field["max"], 100000.0);
  }
  EXPECT_TRUE(found);
}

TEST_F(VerbsTest, ShowTaskUnknown) {
  std::ostringstream out;
  EXPECT_EQ(ShowTask(*store_, "nope", false, out).code(), ErrorCode::kNotFound);
  EXPECT_TRUE(out.str().empty());
}

// --- SetState ---

// --- TickItem ---

TEST_F(VerbsTest, TickingAChecklistItemIsRecordedAndShown) {
  auto applied = store_->ApplyDeliveries(
      {TaskDelivery(6, {.step = "recover_material", .state = "ready"})});
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  const auto tick = [&](const std::string& item, bool checked = true) {
    out_.str("");
    return TickItem(*store_, "recover_material", item, checked, false, out_);
  };
  ASSERT_TRUE(tick("2").ok());
  EXPECT_TRUE(Contains(out_.str(), "checked 2. Container sealed and labelled"));
  ASSERT_TRUE(tick("shielded").ok());  // words naming one item
  EXPECT_TRUE(Contains(out_.str(), "checked 1. Package placed in a shielded container"));
  ASSERT_TRUE(tick("2", false).ok());
  const std::string text = Show("recover_material");
  EXPECT_TRUE(Contains(text, "[x] 1. Package placed in a shielded container"));
  EXPECT_TRUE(Contains(text, "[ ] 2. Container sealed and labelled"));
  EXPECT_TRUE(Contains(text, "[ ] 3. Hands and tools surveyed"));
  EXPECT_EQ(json::parse(Show("recover_material", true))["checklist_checked"], json::array({1}));

  const auto records = RecordsOf("recover_material");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].kind, "checklist");
  EXPECT_EQ(records[0].lane, kLaneStatus);
  EXPECT_EQ(records[0].body,
            json({{"task", TaskIdOf("recover_material")}, {"item", 2}, {"checked", true}}));
  EXPECT_EQ(records[2].body["checked"], false);

  for (const std::string bad : {"4", "0", "container", "nothing like it"}) {
    Status refused = tick(bad);
    EXPECT_EQ(refused.code(), ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(Contains(tick("container").message(), "more than one item"));
  EXPECT_EQ(TickItem(*store_, "secondary_inspection", "1", true, false, out_).code(),
            ErrorCode::kInvalidArgument)
      << "a step without a checklist";
  EXPECT_EQ(RecordsOf("recover_material").size(), 3u) << "nothing recorded by a refusal";
}

TEST_F(VerbsTest, SetStateRecordsAStatusChange) {
  ASSERT_TRUE(Set("secondary_inspection", "acknowledged").ok());
  EXPECT_TRUE(Contains(out_.str(), "recorded: " + TaskIdOf("secondary_inspection") + " acknowledged"));
  EXPECT_TRUE(Contains(out_.str(), "next sync"));
  ASSERT_TRUE(Set("secondary_inspection", "in_progress").ok());
  const auto records = RecordsOf("secondary_inspection");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].kind, "status");
  EXPECT_EQ(records[0].lane, kLaneStatus);
  EXPECT_EQ(records[0].body, json({{"task", TaskIdOf("secondary_inspection")}, {"state", "acknowledged"}}));
  EXPECT_EQ(records[1].body["state"], "in_progress");
  EXPECT_EQ(GetTask("secondary_inspection").local_state, "in_progress");
  EXPECT_EQ(StateOf("secondary_inspection"), "in_progress");
}

TEST_F(VerbsTest, SetStateRefusesWaitingDormantAndClosedTasksUnlessForced) {
  Status waiting = Set("establish_cordon", "in_progress");
  EXPECT_EQ(waiting.code(), ErrorCode::kTaskWaiting);
  EXPECT_TRUE(Contains(waiting.message(), "secondary_inspection (m.okafor, ready)"));
  EXPECT_EQ(Set("expand_cordon", "in_progress").code(), ErrorCode::kTaskWaiting);
  ASSERT_TRUE(store_->ApplyDeliveries({TaskDelivery(6, {.step = "identify_nuclide", .state = "cancelled",
                                                        .reason = "innocent alarm"})}).ok());
  Status closed = Set("identify_nuclide", "in_progress");
  EXPECT_EQ(closed.code(), ErrorCode::kTaskClosed);
  EXPECT_TRUE(Contains(closed.message(), "innocent alarm"));
  EXPECT_TRUE(RecordsOf("").empty()) << "nothing recorded when refused";
  EXPECT_TRUE(Set("establish_cordon", "in_progress", "", /*force=*/true).ok());
  EXPECT_EQ(CountKind("status"), 1u);
}

TEST_F(VerbsTest, BlockedNeedsAReasonAndIsAllowedWhileWaiting) {
  EXPECT_EQ(Set("establish_cordon", "blocked").code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(Set("establish_cordon", "blocked", "no tape on site").ok());
  const auto records = RecordsOf("establish_cordon");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].body["reason"], "no tape on site");
  EXPECT_EQ(GetTask("establish_cordon").local_reason, "no tape on site");
}

TEST_F(VerbsTest, SetStateOnAnUnknownTask) {
  EXPECT_EQ(Set("no_such_task", "acknowledged").code(), ErrorCode::kNotFound);
}

// --- RecordFinding ---

TEST_F(VerbsTest, RecordFindingStoresTypedValues) {
  ASSERT_TRUE(Record("secondary_inspection",
                     {"dose_rate_1m=12.5", "neutrons_detected=no", "hot_spot=47.9,16.9"})
                  .ok());
  EXPECT_TRUE(Contains(out_.str(), "finding (3 field(s))"));
  const auto records = RecordsOf("secondary_inspection");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].kind, "finding");
  EXPECT_EQ(records[0].lane, kLaneFinding);
  EXPECT_EQ(records[0].body["values"]["dose_rate_1m"], 12.5);
  EXPECT_EQ(records[0].body["values"]["neutrons_detected"], false);
  EXPECT_EQ(records[0].body["values"]["hot_spot"], "47.9,16.9");
  EXPECT_FALSE(records[0].body.contains("confirmed"));
  EXPECT_EQ(GetTask("secondary_inspection").local_state, "") << "a finding is not a state";
}

TEST_F(VerbsTest, RecordFindingValidationErrors) {
  Status unknown = Record("secondary_inspection", {"dose=12"});
  EXPECT_EQ(unknown.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(Contains(unknown.message(), "no field 'dose'"));
  EXPECT_TRUE(Contains(unknown.message(), "dose_rate_1m"));

  Status wrong_type = Record("secondary_inspection", {"dose_rate_1m=high"});
  EXPECT_EQ(wrong_type.code(), ErrorCode::kInvalidValue);
  EXPECT_TRUE(Contains(wrong_type.message(), "expected a number in µSv/h, got 'high'"));

  EXPECT_EQ(Record("secondary_inspection", {"neutrons_detected=perhaps"}).code(),
            ErrorCode::kInvalidValue);
  EXPECT_EQ(Record("secondary_inspection", {"dose_rate_1m"}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Record("secondary_inspection", {"=12"}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Record("secondary_inspection", {}).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Record("identify_nuclide", {"nuclide=Cs-137"}).code(), ErrorCode::kTaskWaiting);
  // One bad field spoils the whole command: nothing is recorded.
  EXPECT_EQ(Record("secondary_inspection", {"dose_rate_1m=3", "background=x"}).code(),
            ErrorCode::kInvalidValue);
  EXPECT_TRUE(RecordsOf("").empty());
}

TEST_F(VerbsTest, OutOfRangeNeedsConfirmation) {
  Status refused = Record("secondary_inspection", {"background=25"});
  EXPECT_EQ(refused.code(), ErrorCode::kNeedsConfirmation);
  EXPECT_TRUE(Contains(refused.message(), "outside the expected range 0 to 10"));
  EXPECT_TRUE(Contains(refused.message(), "--confirm"));
  EXPECT_TRUE(RecordsOf("").empty());

  ASSERT_TRUE(Record("secondary_inspection", {"background=25"}, /*confirm=*/true).ok());
  EXPECT_TRUE(Contains(out_.str(), "(confirmed)"));
  const auto records = RecordsOf("secondary_inspection");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].body["values"]["background"], 25.0);
  EXPECT_EQ(records[0].body["confirmed"], json::array({"background"}));
}

TEST_F(VerbsTest, DoneRequiresTheRequiredFields) {
  Status missing = Record("secondary_inspection", {"dose_rate_1m=12"}, false, /*complete=*/true);
  EXPECT_EQ(missing.code(), ErrorCode::kMissingFields);
  EXPECT_TRUE(Contains(missing.message(), "--field neutrons_detected=…"));
  EXPECT_TRUE(Lacks(missing.message(), ("dose_rate_1m")));
  EXPECT_TRUE(RecordsOf("").empty());
  EXPECT_EQ(Record("secondary_inspection", {}, false, true).code(), ErrorCode::kMissingFields);
}

TEST_F(VerbsTest, DoneCountsFieldsRecordedEarlierAndReleasesOwnDependents) {
  ASSERT_TRUE(Record("secondary_inspection", {"dose_rate_1m=12"}).ok());
  ASSERT_TRUE(Record("secondary_inspection", {"neutrons_detected=no"}, false, true).ok());
  EXPECT_TRUE(Contains(out_.str(), "finding (1 field(s)), completed"));
  const auto records = RecordsOf("secondary_inspection");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].kind, "status");
  EXPECT_EQ(records[2].body["state"], "completed");
  EXPECT_EQ(StateOf("secondary_inspection"), "completed");
  // Offline, at once: the member's own next steps are ready.
  EXPECT_EQ(StateOf("establish_cordon"), "ready");
  EXPECT_EQ(StateOf("identify_nuclide"), "ready");
  EXPECT_TRUE(Lacks(List(), ("[waits on")));
  EXPECT_TRUE(Record("establish_cordon", {"cordon_radius=30"}, false, true).ok());
}

TEST_F(VerbsTest, DoneWithoutNewFields) {
  ASSERT_TRUE(Record("secondary_inspection", {"dose_rate_1m=12", "neutrons_detected=no"}).ok());
  ASSERT_TRUE(Record("secondary_inspection", {}, false, true).ok());
  EXPECT_TRUE(Contains(out_.str(), " completed"));
  EXPECT_EQ(CountKind("finding"), 1u);
  EXPECT_EQ(CountKind("status"), 1u);
}

TEST_F(VerbsTest, AnInnocentAlarmStandsDownTheMembersOtherStepsOfflineAtOnce) {
  ASSERT_TRUE(Record("secondary_inspection", {"dose_rate_1m=12", "neutrons_detected=no"}, false,
                     true)
                  .ok());
  ASSERT_TRUE(Record("identify_nuclide", {"nuclide=K-40", "assessment=innocent_alarm"}, false,
                     true)
                  .ok());
  EXPECT_TRUE(Contains(out_.str(), "STAND DOWN (phase assessment): Innocent alarm; no cordon "
                                   "is needed"));
  // No link to HQ: the member's remaining steps of the phase close on the laptop.
  EXPECT_EQ(StateOf("establish_cordon"), "cancelled");
  EXPECT_EQ(StateOf("expand_cordon"), "cancelled");
  EXPECT_EQ(StateOf("identify_nuclide"), "completed");  // it decided the stand-down
  EXPECT_EQ(StateOf("secondary_inspection"), "completed");
  const Status refused = Record("establish_cordon", {"cordon_radius=30"});
  EXPECT_EQ(refused.code(), ErrorCode::kTaskClosed);
  EXPECT_TRUE(Contains(refused.message(),
                       "was cancelled on this laptop (stood down by trigger innocent_alarm: "
                       "Innocent alarm; no cordon is needed)"));
  // HQ's word wins when it speaks of the task: here it says the cordon is still wanted.
  ASSERT_TRUE(store_->ApplyDeliveries({TaskDelivery(6, {.step = "establish_cordon", .state = "ready"})}).ok());
  EXPECT_EQ(StateOf("establish_cordon"), "ready");
  // HQ learns of it from the trigger record and stands the team down the same way.
  const auto records = RecordsOf("identify_nuclide");
  EXPECT_TRUE(std::any_of(records.begin(), records.end(), [](const auto& r) {
    return r.kind == "trigger" && r.body["trigger"] == "innocent_alarm";
  }));
}

TEST_F(VerbsTest, ATaskWaitingOnAnUnfilledRoleWaitsAndSaysWhy) {
  nlohmann::json waits = nlohmann::json::array();
  waits.push_back({{"task", ""}, {"step", "host_liaison"}, {"member", ""},
                   {"name", "no one in role liaison_officer yet"}, {"state", "unfilled"}});
  ASSERT_TRUE(store_->ApplyDeliveries(
                        {TaskDelivery(6, {.step = "custody_transfer", .waits_on = waits})})
                  .ok());
  EXPECT_EQ(StateOf("custody_transfer"), "waiting");
  const Status refused = Record("custody_transfer", {"received_by=Sgt. Meyer"});
  EXPECT_EQ(refused.code(), ErrorCode::kTaskWaiting);
  EXPECT_TRUE(Contains(refused.message(), "host_liaison (no one in role liaison_officer yet, unfilled)"));
}

TEST_F(VerbsTest, ADoseRateAtTheThresholdActivatesTheDormantStepLocally) {
  const double threshold = CordonThreshold();
  ASSERT_GT(threshold, 0);
  ASSERT_TRUE(Record("secondary_inspection", {"dose_rate_1m=" + Number(threshold)}).ok());
  EXPECT_TRUE(Contains(out_.str(), "TRIGGER cordon_expansion: step expand_cordon is now active"));
  EXPECT_TRUE(Contains(out_.str(), "ALERT (critical):"));
  EXPECT_FALSE(GetTask("expand_cordon").dormant);
  EXPECT_EQ(StateOf("expand_cordon"), "ready");
  EXPECT_EQ(*store_->FiredTriggers(1), (std::vector<std::string>{"cordon_expansion"}));

  // A "trigger" record in the safety lane, sent before the finding that caused it.
  const auto records = RecordsOf("secondary_inspection");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].kind, "trigger");
  EXPECT_EQ(records[1].lane, kLaneSafety);
  EXPECT_EQ(records[1].body["trigger"], "cordon_expansion");
  auto batch = store_->outbox().NextBatch(10, 1 << 20);
  ASSERT_TRUE(batch.ok());
  ASSERT_FALSE(batch->empty());
  EXPECT_EQ((*batch)[0].kind, "trigger");

  // It fires once per deployment.
  ASSERT_TRUE(Record("secondary_inspection", {"dose_rate_1m=" + Number(threshold * 2)}).ok());
  EXPECT_TRUE(Lacks(out_.str(), ("TRIGGER")));
  EXPECT_EQ(CountKind("trigger"), 1u);
}

TEST_F(VerbsTest, ADoseRateBelowTheThresholdFiresNothing) {
  const double threshold = CordonThreshold();
  ASSERT_TRUE(Record("secondary_inspection", {"dose_rate_1m=" + Number(threshold - 0.5)}).ok());
  EXPECT_TRUE(Lacks(out_.str(), ("TRIGGER")));
  EXPECT_TRUE(Lacks(out_.str(), ("ALERT")));
  EXPECT_TRUE(GetTask("expand_cordon").dormant);
  EXPECT_EQ(CountKind("trigger"), 0u);
  EXPECT_TRUE(store_->FiredTriggers(1)->empty());
}

TEST_F(VerbsTest, NeutronsRaiseAnAlertAndNotifyHq) {
  ASSERT_TRUE(Record("secondary_inspection", {"neutrons_detected=yes"}).ok());
  EXPECT_TRUE(Contains(out_.str(), "ALERT (critical): Possible special nuclear material"));
  EXPECT_TRUE(Contains(out_.str(), "HQ will be notified: Request nuclear forensics support"));
  EXPECT_EQ(*store_->FiredTriggers(1), (std::vector<std::string>{"special_nuclear_material"}));
  EXPECT_EQ(CountKind("trigger"), 1u);
}

TEST_F(VerbsTest, RecordingOnACancelledTaskNeedsForce) {
  ASSERT_TRUE(store_->ApplyDeliveries({TaskDelivery(6, {.step = "secondary_inspection", .state = "cancelled"})}).ok());
  EXPECT_EQ(Record("secondary_inspection", {"dose_rate_1m=1"}).code(), ErrorCode::kTaskClosed);
  EXPECT_TRUE(Record("secondary_inspection", {"dose_rate_1m=1"}, false, false, /*force=*/true).ok());
  EXPECT_EQ(CountKind("finding"), 1u);
}

// --- notes and alerts ---

TEST_F(VerbsTest, AlertsGoInTheSafetyLane) {
  std::ostringstream out;
  EXPECT_EQ(RaiseAlert(*store_, "", "x", "urgent", out).code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(RecordNote(*store_, "", "arrived at the crossing", out).ok());
  ASSERT_TRUE(RaiseAlert(*store_, "secondary_inspection", "dosimeter alarm", "critical", out).ok());
  EXPECT_TRUE(Contains(out.str(), "safety alert #2"));
  EXPECT_EQ(RecordNote(*store_, "", "", out).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(RecordNote(*store_, "nope", "text", out).code(), ErrorCode::kNotFound);
  const auto records = RecordsOf("");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].kind, "note");
  EXPECT_EQ(records[0].task, "");
  EXPECT_EQ(records[1].kind, "alert");
  EXPECT_EQ(records[1].lane, kLaneSafety);
  EXPECT_EQ(records[1].task, TaskIdOf("secondary_inspection"));
  EXPECT_EQ(records[1].body["severity"], "critical");
  auto batch = store_->outbox().NextBatch(10, 1 << 20);
  EXPECT_EQ((*batch)[0].kind, "alert");
}

TEST_F(VerbsTest, ACheckInCarriesItsPlaceWithTheStatusUpdatesAndABadPlaceIsRefused) {
  std::ostringstream out;
  const Status off_globe = CheckIn(*store_, "91.5,6.1", out);
  EXPECT_EQ(off_globe.code(), ErrorCode::kInvalidValue);
  EXPECT_TRUE(Contains(off_globe.message(), "latitude,longitude")) << off_globe.message();
  EXPECT_EQ(CheckIn(*store_, "the car park", out).code(), ErrorCode::kInvalidValue);
  EXPECT_EQ(CountKind("position"), 0u) << "nothing recorded";
  ASSERT_TRUE(CheckIn(*store_, "46.2301,6.1012", out).ok());
  EXPECT_TRUE(Contains(out.str(), "check-in #1 at 46.2301,6.1012")) << out.str();
  const auto records = RecordsOf("");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].kind, "position");
  EXPECT_EQ(records[0].lane, kLaneStatus);
  EXPECT_EQ(records[0].body, json({{"place", "46.2301,6.1012"}}));
}

TEST_F(VerbsTest, ALongAlertIsCutAndSentAndALongReasonIsRefusedAtEntry) {
  std::ostringstream out;
  ASSERT_TRUE(RaiseAlert(*store_, "", "man down " + std::string(2000, '!'), "critical", out).ok());
  EXPECT_TRUE(Contains(out.str(), "the message is cut to 1000 characters")) << out.str();
  const auto records = RecordsOf("");
  ASSERT_EQ(records.size(), 1u);
  const std::string sent = records[0].body["message"];
  EXPECT_EQ(sent.rfind("man down !", 0), 0u);
  EXPECT_NE(sent.find("[cut from 2009 characters]"), std::string::npos);
  EXPECT_EQ(Set("secondary_inspection", "blocked", std::string(1001, 'r')).code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(CountKind("status"), 0u) << "nothing recorded";
}

TEST_F(VerbsTest, AnInnocentAlarmActivatesTheClosingStep) {
  ASSERT_TRUE(store_->ApplyDeliveries({TaskDelivery(6, {.step = "close_innocent_alarm", .dormant = true})}).ok());
  EXPECT_EQ(StateOf("close_innocent_alarm"), "dormant");
  ASSERT_TRUE(Record("secondary_inspection", {"dose_rate_1m=0.4", "neutrons_detected=no"}, false, true).ok());
  ASSERT_TRUE(Record("identify_nuclide", {"nuclide=K-40", "assessment=innocent_alarm"}).ok());
  EXPECT_TRUE(Contains(out_.str(), "TRIGGER innocent_alarm: step close_innocent_alarm is now active"));
  EXPECT_TRUE(Contains(out_.str(), "HQ will be notified: The radiation specialist assessed"));
  EXPECT_EQ(StateOf("close_innocent_alarm"), "ready");
  EXPECT_EQ(*store_->FiredTriggers(1), (std::vector<std::string>{"innocent_alarm"}))
      << "the cordon trigger did not fire";
  EXPECT_EQ(StateOf("expand_cordon"), "cancelled") << "stood down with its phase";
}

TEST_F(VerbsTest, EnumAndSampleIdFieldsAreChecked) {
  ASSERT_TRUE(Record("secondary_inspection", {"dose_rate_1m=1", "neutrons_detected=no"}, false, true).ok());
  Status bad_enum = Record("identify_nuclide", {"nuclide=caesium"});
  EXPECT_EQ(bad_enum.code(), ErrorCode::kInvalidValue);
  EXPECT_TRUE(Contains(bad_enum.message(), "expected one of Cs-137"));
  ASSERT_TRUE(store_->ApplyDeliveries({TaskDelivery(6, {.step = "recover_material", .state = "ready"})}).ok());
  EXPECT_EQ(Record("recover_material", {"sample_id=RN-12"}).code(), ErrorCode::kInvalidValue);
  EXPECT_TRUE(Record("recover_material", {"sample_id=RN-0012"}).ok());
}

TEST_F(VerbsTest, ARecordTooLargeForTheProtocolIsRefused) {
  std::ostringstream out;
  Status status = RecordNote(*store_, "", std::string(kMaxRecordBytes + 1, 'x'), out);
  EXPECT_EQ(status.code(), ErrorCode::kTooLarge);
  EXPECT_TRUE(RecordsOf("").empty());
  EXPECT_TRUE(RecordNote(*store_, "", std::string(kMaxRecordBytes / 2, 'x'), out).ok());
}

// Regression (agent/outbox.cc Append, working tree, fixed): body.dump() now runs before Guarded,
// so text that is not UTF-8 (a member's terminal in Latin-1) throws json type_error out
// of Append: the verb ends with an uncaught exception instead of an error. Fix: dump
// inside Guarded, or dump with json::error_handler_t::replace.
TEST_F(VerbsTest, TextThatIsNotUtf8IsAnErrorNotACrash) {
  std::ostringstream out;
  Status status;
  EXPECT_NO_THROW(status = RecordNote(*store_, "", "caf\xe9", out));
  EXPECT_NO_THROW(status = Record("secondary_inspection", {"hot_spot=1,1", "dose_rate_1m=1"}));
  ASSERT_TRUE(store_->ApplyDeliveries({TaskDelivery(6, {.step = "host_liaison", .state = "ready"})}).ok());
  EXPECT_NO_THROW(status = Record("host_liaison", {"lead_agency=Zollamt M\xfcnchen"}));
  EXPECT_FALSE(status.ok());
}

TEST_F(VerbsTest, TasksWhosePlaybookHasNotArrived) {
  muster::testing::TempDir other;
  auto fresh = AgentStore::Open(other.path(), MakeBundle("agent-9"), clock_);
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE((*fresh)->ApplyDeliveries({TaskDelivery(1, {.step = "secondary_inspection", .state = "ready"})}).ok());
  std::ostringstream list;
  ASSERT_TRUE(ListTasks(**fresh, clock_, false, list).ok());
  EXPECT_TRUE(Contains(list.str(), "secondary_inspection"));
  std::ostringstream show;
  Status status = ShowTask(**fresh, "secondary_inspection", false, show);
  EXPECT_EQ(status.code(), ErrorCode::kNotFound);
  EXPECT_TRUE(Contains(status.message(), "has not arrived yet"));
  EXPECT_EQ(
      RecordFinding(**fresh, "secondary_inspection", {"dose_rate_1m=1"}, false, false, false, show)
          .code(),
      ErrorCode::kNotFound);
}

// --- receipts ---

TEST_F(VerbsTest, ShowLogShowsEachReceipt) {
  ASSERT_TRUE(Set("secondary_inspection", "acknowledged").ok());  // 1
  ASSERT_TRUE(Set("secondary_inspection", "in_progress").ok());   // 2
  ASSERT_TRUE(Record("secondary_inspection", {"dose_rate_1m=3"}).ok());  // 3
  std::string log = Log();
  EXPECT_TRUE(Contains(log, "#1 "));
  EXPECT_TRUE(Contains(log, "only on this laptop"));

  clock_.Set(1'795'533'600'000);  // 2026-11-24T15:20:00Z
  ASSERT_TRUE(store_->outbox().MarkSent({1, 2}).ok());
  clock_.Advance(60'000);
  ASSERT_TRUE(store_->outbox().MarkAcked({1}).ok());
  ASSERT_TRUE(store_->outbox().MarkRefused(1, "forbidden: the task was reassigned").ok());
  log = Log();
  EXPECT_TRUE(Contains(log, "acknowledged by HQ 2026-11-24T15:21:00Z (refused: forbidden: the task was reassigned)"));
  EXPECT_TRUE(Contains(log, "sent 2026-11-24T15:20:00Z, not yet acknowledged"));
  EXPECT_TRUE(Contains(log, "only on this laptop"));

  const json entries = json::parse(Log("secondary_inspection", true))["records"];
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0]["acked_at"], 1'795'533'660'000);
  EXPECT_EQ(entries[0]["refusal"], "forbidden: the task was reassigned");
  EXPECT_EQ(entries[1]["sent_at"], 1'795'533'600'000);
  EXPECT_TRUE(entries[1]["acked_at"].is_null());
  EXPECT_TRUE(entries[2]["sent_at"].is_null());
  EXPECT_EQ(entries[2]["kind"], "finding");
}

TEST_F(VerbsTest, ShowLogOfOneTask) {
  ASSERT_TRUE(Set("secondary_inspection", "acknowledged").ok());
  std::ostringstream out;
  ASSERT_TRUE(RecordNote(*store_, "", "general note", out).ok());
  EXPECT_EQ(json::parse(Log("secondary_inspection", true))["records"].size(), 1u);
  EXPECT_EQ(json::parse(Log("", true))["records"].size(), 2u);
  EXPECT_EQ(ShowLog(*store_, "nope", false, out).code(), ErrorCode::kNotFound);
}

TEST_F(VerbsTest, ShowStatusReportsOutboxLinkAndRefusals) {
  std::string text = StatusText();
  EXPECT_TRUE(Contains(text, "Agent:      agent-7 (m.okafor)"));
  EXPECT_TRUE(Contains(text, "NOT connected (the daemon is not running)"));
  EXPECT_TRUE(Contains(text, "Outbox:     empty"));

  ASSERT_TRUE(Set("secondary_inspection", "acknowledged").ok());
  ASSERT_TRUE(Set("secondary_inspection", "in_progress").ok());
  ASSERT_TRUE(store_->outbox().MarkSent({2}).ok());
  text = StatusText();
  EXPECT_TRUE(Contains(text, "Outbox:     2 record(s)"));
  EXPECT_TRUE(Contains(text, "(1 sent, not yet acknowledged); 0 acknowledged"));

  ASSERT_TRUE(store_->SetLink({true, clock_.Now(), 0, ""}).ok());
  ASSERT_TRUE(store_->outbox().MarkAcked({1, 2}).ok());
  ASSERT_TRUE(store_->outbox().MarkRefused(2, "forbidden: closed").ok());
  text = StatusText();
  EXPECT_TRUE(Contains(text, "connected to HQ"));
  EXPECT_TRUE(Lacks(text, ("NOT connected")));
  EXPECT_TRUE(Contains(text, "empty — HQ has acknowledged all 2 record(s)"));
  EXPECT_TRUE(Contains(text, "Refused:    1 record(s)"));
  EXPECT_TRUE(Contains(text, "(0s ago)"));

  clock_.Advance(kDaemonSilentMs);  // the daemon stopped writing its heartbeat
  EXPECT_TRUE(Contains(StatusText(), "NOT connected (the daemon is not running)"));
  ASSERT_TRUE(store_->SetLink({false, clock_.Now(), 0, "connection refused"}).ok());
  text = StatusText();
  EXPECT_TRUE(Contains(text, "NOT connected (the daemon keeps trying)"));
  EXPECT_TRUE(Contains(text, "Last error: connection refused"));
}

TEST_F(VerbsTest, ShowStatusAsJson) {
  ASSERT_TRUE(Set("secondary_inspection", "acknowledged").ok());
  ASSERT_TRUE(store_->SetLink({true, clock_.Now(), 0, ""}).ok());
  const json status = json::parse(StatusText(true));
  EXPECT_EQ(status["agent"], "agent-7");
  EXPECT_EQ(status["member"], kMember);
  EXPECT_EQ(status["daemon_running"], true);
  EXPECT_EQ(status["connected"], true);
  EXPECT_EQ(status["outbox_pending"], 1);
  EXPECT_EQ(status["acknowledged"], 0);
  EXPECT_EQ(status["deliveries_applied"], 5);
}

TEST(ParseFieldArgTest, SplitsAtTheFirstEquals) {
  auto arg = ParseFieldArg("explanation=a=b");
  ASSERT_TRUE(arg.ok());
  EXPECT_EQ(arg->name, "explanation");
  EXPECT_EQ(arg->value, "a=b");
  auto empty_value = ParseFieldArg("note=");
  ASSERT_TRUE(empty_value.ok());
  EXPECT_EQ(empty_value->value, "");
  EXPECT_EQ(ParseFieldArg("novalue").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseFieldArg("=x").status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(VerbsTest, AFindingMayRaiseItsStepsMarkingNeverLowerIt) {
  EXPECT_NE(Show("secondary_inspection").find("Marking:   RESTRICTED // TLP:AMBER"),
            std::string::npos);
  std::ostringstream out;
  Status lower = RecordFinding(*store_, "secondary_inspection", {"dose_rate_1m=0.3"}, false,
                               false, false, out, {}, "TLP:GREEN");
  ASSERT_FALSE(lower.ok());
  EXPECT_EQ(lower.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(lower.message().find("would lower step secondary_inspection's marking "
                                 "(RESTRICTED // TLP:AMBER)"),
            std::string::npos)
      << lower.message();
  Status bare = RecordFinding(*store_, "secondary_inspection", {}, false, false, false, out, {},
                              "SECRET");
  EXPECT_EQ(bare.code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(RecordFinding(*store_, "secondary_inspection", {"dose_rate_1m=0.3"}, false, false,
                            false, out, {}, "secret")
                  .ok());
  const auto records = RecordsOf("secondary_inspection");
  ASSERT_EQ(records.size(), 1u);  // the refused ones recorded nothing
  EXPECT_EQ(records[0].body["marking"], "SECRET");
}

}  // namespace
}  // namespace muster::agent::testing
