// The demo's round trip as a test: a real coordinator (ROUTER with CURVE, ZAP, SQLite,
// HTTP API) and four real agents (DEALER with CURVE, their own SQLite stores) over
// tcp://127.0.0.1. One member works while HQ is down; at the end HQ must hold exactly
// the tasks and findings the members recorded: nothing lost, nothing twice.
#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "agent_store.h"
#include "coordinator_fixture.h"
#include "api_client.h"
#include "service/coordinator.h"
#include "link.h"
#include "schedule.h"
#include "muster/playbook/load.h"
#include "muster/playbook/signature.h"
#include "verbs.h"
#include "sweep_playbook.h"
#include "watch_playbook.h"

namespace muster {
namespace {

using nlohmann::json;

struct FieldAgent {
  Bundle bundle;
  std::unique_ptr<agent::AgentStore> store;

  agent::SyncReport Sync(const Clock& clock) {
    agent::LinkOptions options;
    options.sync.answer_floor_ms = 3'000;
    agent::Link link(*store, bundle, clock, options);
    return link.SyncNow(5'000, nullptr);
  }
  void Done(const std::string& step, const std::vector<std::string>& fields) {
    std::ostringstream out;
    Status status = agent::RecordFinding(*store, step, fields, false, true, false, out);
    ASSERT_TRUE(status.ok()) << step << ": " << status.ToString();
  }
  std::string State(const std::string& step) {
    auto task = store->FindTask(step);
    auto all = store->Tasks();
    if (!task.ok() || !all.ok()) return "missing";
    return store->DisplayState(*task, *all);
  }
};

// The in-process coordinator of tests/support/coordinator_fixture.h, restarted on the same
// port so that the bundles stay valid.
class RoundTripTest : public coordtest::CoordinatorTest {
 protected:
  void SetUp() override {
    CoordinatorTest::SetUp();
    StartHq();
    config_.agent_bind = hq_->agent_endpoint();
  }
  FieldAgent EnrollField(const std::string& member, const std::string& role) {
    Post("/v1/members", {{"id", member}, {"name", member}, {"roles", {role}}});
    json enrolled = Post("/v1/agents", {{"member", member}});
    FieldAgent agent;
    auto bundle = ParseBundle(enrolled["bundle"].get<std::string>());
    EXPECT_TRUE(bundle.ok()) << bundle.status().ToString();
    agent.bundle = *bundle;
    const std::string data = dir_.File("agent-" + member);
    std::filesystem::create_directories(data);
    auto store = agent::AgentStore::Open(data, agent.bundle, clock_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    agent.store = std::move(store).value();
    return agent;
  }
  // Enrols amira, jonas, li and paulo (team_, in that order) and deploys the border
  // seizure playbook to them from the roster for incident INC-1, with the author's
  // |signature| when one is given.
  void DeployBorder(const std::optional<playbook::Signature>& signature = std::nullopt) {
    team_.push_back(EnrollField("amira", "team_leader"));
    team_.push_back(EnrollField("jonas", "radiation_specialist"));
    team_.push_back(EnrollField("li", "forensic_examiner"));
    team_.push_back(EnrollField("paulo", "liaison_officer"));
    Post("/v1/incidents", {{"id", "INC-1"}, {"title", "Portal alarm"}, {"severity", "high"}});
    auto book = playbook::LoadFile(std::string(MUSTER_SOURCE_DIR) +
                                   "/playbooks/radioactive-material-border-seizure.yaml");
    ASSERT_TRUE(book.ok());
    json deployment = Post("/v1/deployments", {{"incident", "INC-1"},
                                               {"playbook_source", book.playbook->source},
                                               {"signature", signature ? signature->Encode()
                                                                       : json()},
                                               {"assign", json::object()}});  // from the roster
    ASSERT_EQ(deployment["tasks"], 13);
  }

  std::vector<FieldAgent> team_;
};

TEST_F(RoundTripTest, EveryTaskAndFindingReachesHqExactlyOnceIncludingOfflineWork) {
  ASSERT_NO_FATAL_FAILURE(DeployBorder());
  FieldAgent& amira = team_[0];
  FieldAgent& jonas = team_[1];
  FieldAgent& li = team_[2];
  FieldAgent& paulo = team_[3];

  for (FieldAgent* agent : {&amira, &jonas, &li, &paulo}) {
    auto report = agent->Sync(clock_);
    ASSERT_TRUE(report.connected) << report.error;
  }
  EXPECT_EQ(amira.State("arrival_briefing"), "ready");
  EXPECT_EQ(jonas.State("secondary_inspection"), "waiting");

  amira.Done("arrival_briefing", {"scene_location=46.2331,6.1052", "portal_reading=2400"});
  // Her own dependency is resolved on her laptop at once, without HQ.
  EXPECT_EQ(amira.State("safety_briefing"), "ready");
  amira.Done("safety_briefing", {"members_briefed=4"});
  paulo.Done("host_liaison", {"lead_agency=Border Police"});
  ASSERT_EQ(amira.Sync(clock_).pending, 0u);
  ASSERT_EQ(paulo.Sync(clock_).pending, 0u);
  ASSERT_TRUE(jonas.Sync(clock_).connected);
  EXPECT_EQ(jonas.State("secondary_inspection"), "ready");  // released by HQ across members

  // HQ goes down; Jonas keeps working.
  hq_.reset();
  jonas.Done("secondary_inspection", {"dose_rate_1m=145", "neutrons_detected=no"});
  jonas.Done("identify_nuclide", {"nuclide=Cs-137", "assessment=suspect_material"});
  auto offline = jonas.Sync(clock_);
  EXPECT_FALSE(offline.connected);
  auto stats = jonas.store->outbox().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->pending, 5u);  // 2 findings, 2 completions, 1 trigger

  StartHq();
  auto back = jonas.Sync(clock_);
  ASSERT_TRUE(back.connected) << back.error;
  EXPECT_EQ(back.pending, 0u);
  EXPECT_EQ(back.sent_acked, 5u);

  ASSERT_TRUE(amira.Sync(clock_).connected);
  EXPECT_EQ(amira.State("establish_cordon"), "ready");
  EXPECT_EQ(amira.State("expand_cordon"), "ready");  // the dose-rate trigger fired
  amira.Done("establish_cordon", {"cordon_radius=30"});
  amira.Done("expand_cordon", {"new_radius=100"});
  ASSERT_EQ(amira.Sync(clock_).pending, 0u);
  ASSERT_TRUE(li.Sync(clock_).connected);
  li.Done("photograph_scene", {"photo_count=48"});
  li.Done("recover_material", {"sample_id=RN-0042"});
  ASSERT_EQ(li.Sync(clock_).pending, 0u);
  ASSERT_TRUE(paulo.Sync(clock_).connected);
  paulo.Done("notify_regulator", {"notified=yes"});
  ASSERT_EQ(paulo.Sync(clock_).pending, 0u);
  ASSERT_TRUE(li.Sync(clock_).connected);
  li.Done("custody_transfer", {"received_by=Sgt. Meyer"});
  ASSERT_EQ(li.Sync(clock_).pending, 0u);
  ASSERT_TRUE(amira.Sync(clock_).connected);
  amira.Done("situation_report", {"report_type=final", "summary=Recovered"});
  ASSERT_EQ(amira.Sync(clock_).pending, 0u);
  // A second sync of everyone re-sends nothing and duplicates nothing.
  for (FieldAgent* agent : {&amira, &jonas, &li, &paulo}) {
    EXPECT_EQ(agent->Sync(clock_).sent_acked, 0u);
  }

  auto board = api_->Get("/v1/incidents/INC-1/status");
  ASSERT_TRUE(board.ok());
  std::map<std::string, std::string> states;
  for (const json& task : (*board)["deployments"][0]["tasks"]) {
    states[task["id"]] = task["state"];
  }
  const std::map<std::string, std::string> expected_states = {
      {"d1.arrival_briefing.amira", "completed"},  {"d1.safety_briefing.amira", "completed"},
      {"d1.host_liaison.paulo", "completed"},      {"d1.secondary_inspection.jonas", "completed"},
      {"d1.establish_cordon.amira", "completed"},  {"d1.expand_cordon.amira", "completed"},
      {"d1.identify_nuclide.jonas", "completed"},  {"d1.close_innocent_alarm.amira", "waiting"},
      {"d1.photograph_scene.li", "completed"},     {"d1.recover_material.li", "completed"},
      {"d1.custody_transfer.li", "completed"},     {"d1.notify_regulator.paulo", "completed"},
      {"d1.situation_report.amira", "completed"}};
  EXPECT_EQ(states, expected_states);

  auto findings = api_->Get("/v1/incidents/INC-1/findings");
  ASSERT_TRUE(findings.ok());
  std::multiset<std::string> got;
  for (const json& finding : *findings) {
    for (auto& [name, value] : finding["values"].items()) {
      got.insert(finding["task"].get<std::string>() + ":" + name + "=" + value.dump());
    }
  }
  const std::multiset<std::string> expected = {
      "d1.arrival_briefing.amira:scene_location=\"46.2331,6.1052\"",
      "d1.arrival_briefing.amira:portal_reading=2400.0",
      "d1.safety_briefing.amira:members_briefed=4.0",
      "d1.host_liaison.paulo:lead_agency=\"Border Police\"",
      "d1.secondary_inspection.jonas:dose_rate_1m=145.0",
      "d1.secondary_inspection.jonas:neutrons_detected=false",
      "d1.identify_nuclide.jonas:nuclide=\"Cs-137\"",
      "d1.identify_nuclide.jonas:assessment=\"suspect_material\"",
      "d1.establish_cordon.amira:cordon_radius=30.0",
      "d1.expand_cordon.amira:new_radius=100.0",
      "d1.photograph_scene.li:photo_count=48.0",
      "d1.recover_material.li:sample_id=\"RN-0042\"",
      "d1.notify_regulator.paulo:notified=true",
      "d1.custody_transfer.li:received_by=\"Sgt. Meyer\"",
      "d1.situation_report.amira:report_type=\"final\"",
      "d1.situation_report.amira:summary=\"Recovered\""};
  EXPECT_EQ(got, expected);

  // The trigger's alert was raised once, though both Jonas's agent and HQ evaluated it.
  int trigger_alerts = 0;
  for (const json& alert : (*board)["alerts"]) trigger_alerts += alert["kind"] == "trigger";
  EXPECT_EQ(trigger_alerts, 1);
}

// An innocent alarm recorded while HQ is down: the radiation specialist's laptop fires the
// trigger at once; when HQ is back it stands the rest of the search down for the whole
// team, and every laptop ends up showing what HQ's board shows.
TEST_F(RoundTripTest, AnInnocentAlarmRecordedOfflineStandsTheTeamDownAndEveryoneAgrees) {
  ASSERT_NO_FATAL_FAILURE(DeployBorder());
  FieldAgent& amira = team_[0];
  FieldAgent& jonas = team_[1];
  FieldAgent& li = team_[2];
  std::vector<FieldAgent*> team = {&team_[0], &team_[1], &team_[2], &team_[3]};
  for (FieldAgent* agent : team) ASSERT_TRUE(agent->Sync(clock_).connected);
  amira.Done("arrival_briefing", {"scene_location=46.2331,6.1052", "portal_reading=900"});
  amira.Done("safety_briefing", {"members_briefed=4"});
  ASSERT_EQ(amira.Sync(clock_).pending, 0u);
  ASSERT_TRUE(jonas.Sync(clock_).connected);

  hq_.reset();
  jonas.Done("secondary_inspection", {"dose_rate_1m=0.3", "neutrons_detected=no"});
  jonas.Done("identify_nuclide", {"nuclide=K-40", "assessment=innocent_alarm"});
  EXPECT_EQ(*jonas.store->FiredTriggers(1), std::vector<std::string>{"innocent_alarm"});

  StartHq();
  for (int round = 0; round < 2; ++round) {
    for (FieldAgent* agent : team) ASSERT_TRUE(agent->Sync(clock_).connected);
  }
  auto board = api_->Get("/v1/incidents/INC-1/status");
  ASSERT_TRUE(board.ok());
  std::map<std::string, std::string> hq_states;
  for (const json& task : (*board)["deployments"][0]["tasks"]) {
    // HQ's "delivered" is a ready task the agent has: the agent says "ready".
    const std::string state = task["state"];
    hq_states[task["id"]] = state == "delivered"                               ? "ready"
                            : state == "waiting" && task["dormant"].get<bool>() ? "dormant"
                                                                                : state;
  }
  EXPECT_EQ(hq_states["d1.establish_cordon.amira"], "cancelled");
  EXPECT_EQ(hq_states["d1.expand_cordon.amira"], "cancelled");
  EXPECT_EQ(hq_states["d1.photograph_scene.li"], "cancelled");
  EXPECT_EQ(hq_states["d1.custody_transfer.li"], "cancelled");
  EXPECT_EQ(hq_states["d1.close_innocent_alarm.amira"], "ready");
  EXPECT_EQ(hq_states["d1.notify_regulator.paulo"], "ready");
  EXPECT_EQ(hq_states["d1.identify_nuclide.jonas"], "completed");
  // Jonas completed his inspection before the stand-down, which reached HQ first (the
  // trigger travels in the safety lane): it stays completed, and nobody is alarmed.
  EXPECT_EQ(hq_states["d1.secondary_inspection.jonas"], "completed");
  int conflicts = 0;
  for (const json& alert : (*board)["alerts"]) conflicts += alert["kind"] == "conflict";
  EXPECT_EQ(conflicts, 0);
  // Each laptop shows each of its tasks in HQ's state.
  std::map<std::string, std::string> field_states;
  for (FieldAgent* agent : team) {
    auto tasks = agent->store->Tasks();
    ASSERT_TRUE(tasks.ok());
    for (const agent::Task& task : *tasks) {
      field_states[task.id] = agent->store->DisplayState(task, *tasks);
    }
  }
  EXPECT_EQ(field_states, hq_states);
  EXPECT_EQ(li.State("photograph_scene"), "cancelled");
  auto photographed = li.store->FindTask("photograph_scene");
  ASSERT_TRUE(photographed.ok());
  EXPECT_EQ(photographed->hq_reason,
            "stood down by trigger innocent_alarm: Innocent alarm; there is no material to "
            "recover");
}

// A watch with a SITREP every 30 minutes (three in all) and a survey that escalates when
// overdue, worked while HQ is down for an hour: the laptop opens each occurrence and fires
// the escalation by its own clock; when HQ is back it takes the occurrences the member
// completed, opens the one she has not reached the same way, fires the escalation once,
// and the laptop and HQ's board agree on every task.

TEST_F(RoundTripTest, ARecurringSitrepAndAnEscalationWorkedOfflineAgreeWithHq) {
  hq_.reset();
  config_.alert_sweep_interval_ms = 100;
  StartHq();
  team_.push_back(EnrollField("amira", "team_leader"));
  FieldAgent& amira = team_[0];
  Post("/v1/incidents", {{"id", "INC-2"}, {"title", "Cordon"}, {"severity", "high"}});
  json deployment = Post("/v1/deployments", {{"incident", "INC-2"},
                                             {"playbook_source", coordtest::kWatchPlaybook},
                                             {"assign", {{"team_leader", {"amira"}}}}});
  ASSERT_EQ(deployment["tasks"], 4);
  ASSERT_TRUE(amira.Sync(clock_).connected);
  hq_.reset();

  // 35 minutes on, offline: the second SITREP is open and the survey is overdue.
  clock_.Advance(35 * 60'000);
  std::ostringstream notes;
  ASSERT_TRUE(agent::RunSchedule(*amira.store, clock_, notes).ok());
  EXPECT_NE(notes.str().find("NEW: d1.sitrep.amira#2"), std::string::npos) << notes.str();
  EXPECT_NE(notes.str().find("ALERT (critical): The perimeter survey is overdue"),
            std::string::npos)
      << notes.str();
  EXPECT_EQ(amira.State("backup_survey"), "ready");
  amira.Done("d1.sitrep.amira", {"summary=cordon holds"});
  amira.Done("d1.sitrep.amira#2", {"summary=cordon holds, wind NE"});
  // An hour and a half on: the third and last occurrence, and no fourth.
  clock_.Advance(60 * 60'000);
  notes.str("");
  ASSERT_TRUE(agent::RunSchedule(*amira.store, clock_, notes).ok());
  EXPECT_EQ(notes.str(), "NEW: d1.sitrep.amira#3 (a recurring step)\n");
  // Running again changes nothing: each occurrence and escalation happens once.
  notes.str("");
  ASSERT_TRUE(agent::RunSchedule(*amira.store, clock_, notes).ok());
  EXPECT_EQ(notes.str(), "");

  StartHq();
  std::map<std::string, std::string> hq_states;
  json alerts;
  for (int round = 0; round < 50; ++round) {
    ASSERT_TRUE(amira.Sync(clock_).connected);
    auto board = api_->Get("/v1/incidents/INC-2/status");
    ASSERT_TRUE(board.ok());
    hq_states.clear();
    for (const json& task : (*board)["deployments"][0]["tasks"]) {
      const std::string state = task["state"];
      hq_states[task["id"]] = state == "delivered" ? "ready" : state;
    }
    alerts = (*board)["alerts"];
    if (hq_states.size() == 6 && hq_states["d1.backup_survey.amira"] == "ready") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(hq_states, (std::map<std::string, std::string>{
                           {"d1.survey.amira", "ready"},
                           {"d1.backup_survey.amira", "ready"},
                           {"d1.sitrep.amira", "completed"},
                           {"d1.sitrep.amira#2", "completed"},
                           {"d1.sitrep.amira#3", "ready"},
                           {"d1.handover.amira", "ready"}}));
  int escalations = 0;
  for (const json& alert : alerts) escalations += alert["kind"] == "escalation";
  EXPECT_EQ(escalations, 1) << alerts.dump();
  ASSERT_TRUE(amira.Sync(clock_).connected);
  auto tasks = amira.store->Tasks();
  ASSERT_TRUE(tasks.ok());
  std::map<std::string, std::string> field_states;
  for (const agent::Task& task : *tasks) {
    field_states[task.id] = amira.store->DisplayState(task, *tasks);
  }
  EXPECT_EQ(field_states, hq_states);
  auto timeline = api_->Get("/v1/incidents/INC-2/timeline");
  ASSERT_TRUE(timeline.ok());
  EXPECT_NE(timeline->dump().find("to team_leader (amira): Survey overdue; backup survey started"),
            std::string::npos);
  // The team leaders are told on their laptops, once.
  notes.str("");
  ASSERT_TRUE(agent::PrintNewNotices(*amira.store, notes).ok());
  EXPECT_NE(notes.str().find("NOTICE for the team_leader role (escalate:d1.survey.amira:0, "),
            std::string::npos)
      << notes.str();
  EXPECT_NE(notes.str().find("): Survey overdue; backup survey started\n"), std::string::npos);
  notes.str("");
  ASSERT_TRUE(agent::PrintNewNotices(*amira.store, notes).ok());
  EXPECT_EQ(notes.str(), "");
}

// Two searchers and a team leader, all offline after deployment: Li sweeps the area (one
// searcher is enough), Amira's vapour check is negative, so her laptop decides the
// trigger's else at once and activates "declare clear", which still waits on the sweep she
// cannot see. When HQ is back: Paulo's sweep closes without a conflict, the else fires
// once, "declare clear" is ready, and every laptop shows what HQ's board shows.
TEST_F(RoundTripTest, CompletionAnyAndAnElseDecidedOfflineAgreeWithHq) {
  team_.push_back(EnrollField("amira", "team_leader"));
  team_.push_back(EnrollField("li", "searcher"));
  team_.push_back(EnrollField("paulo", "searcher"));
  FieldAgent& amira = team_[0];
  FieldAgent& li = team_[1];
  Post("/v1/incidents", {{"id", "INC-3"}, {"title", "Vapour"}, {"severity", "high"}});
  json deployment = Post("/v1/deployments", {{"incident", "INC-3"},
                                             {"playbook_source", coordtest::kSweepPlaybook},
                                             {"assign", json::object()}});
  ASSERT_EQ(deployment["tasks"], 5);
  for (FieldAgent& agent : team_) ASSERT_TRUE(agent.Sync(clock_).connected);
  hq_.reset();

  li.Done("sweep_area", {});
  amira.Done("check_vapour", {"vapour=0.2", "background=20"});  // 0.2 < 3 × 0.02 + 0.5 ppm
  EXPECT_EQ(*amira.store->FiredTriggers(1), std::vector<std::string>{"vapour_present/else"});
  EXPECT_EQ(amira.State("declare_clear"), "waiting");  // on a sweep her laptop has not seen
  EXPECT_EQ(amira.State("call_specialists"), "dormant");

  StartHq();
  std::map<std::string, std::string> hq_states;
  json alerts;
  for (int round = 0; round < 3; ++round) {
    for (FieldAgent& agent : team_) ASSERT_TRUE(agent.Sync(clock_).connected);
  }
  auto board = api_->Get("/v1/incidents/INC-3/status");
  ASSERT_TRUE(board.ok());
  for (const json& task : (*board)["deployments"][0]["tasks"]) {
    const std::string state = task["state"];
    hq_states[task["id"]] = state == "delivered"                               ? "ready"
                            : state == "waiting" && task["dormant"].get<bool>() ? "dormant"
                                                                                : state;
  }
  EXPECT_EQ(hq_states, (std::map<std::string, std::string>{
                           {"d1.sweep_area.li", "completed"},
                           {"d1.sweep_area.paulo", "cancelled"},
                           {"d1.check_vapour.amira", "completed"},
                           {"d1.call_specialists.amira", "dormant"},
                           {"d1.declare_clear.amira", "ready"}}));
  int conflicts = 0;
  for (const json& alert : (*board)["alerts"]) conflicts += alert["kind"] == "conflict";
  EXPECT_EQ(conflicts, 0);
  std::map<std::string, std::string> field_states;
  for (FieldAgent& agent : team_) {
    auto tasks = agent.store->Tasks();
    ASSERT_TRUE(tasks.ok());
    for (const agent::Task& task : *tasks) {
      field_states[task.id] = agent.store->DisplayState(task, *tasks);
    }
  }
  EXPECT_EQ(field_states, hq_states);
  auto swept = team_[2].store->FindTask("sweep_area");
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(swept->hq_reason, "done by li (completion: any)");
}

}  // namespace
}  // namespace muster

namespace muster {
namespace {

// Issue 17: a playbook signed by a trusted author reaches the laptops with its signature
// and is applied; a copy whose text was changed in HQ's store (HQ down, its file edited)
// is refused by the agent, which says so, and never applied.
TEST_F(RoundTripTest, ASignedPlaybookIsAppliedAndOneTamperedAtHqIsRefusedByTheAgent) {
  const playbook::AuthorKey key = playbook::GenerateAuthorKey("okafor").value();
  Post("/v1/authors", {{"name", "okafor"}, {"public_key", key.public_key}});
  auto book = playbook::LoadFile(std::string(MUSTER_SOURCE_DIR) +
                                 "/playbooks/radioactive-material-border-seizure.yaml");
  ASSERT_TRUE(book.ok());
  const std::string hash = book.playbook->content_hash;
  ASSERT_NO_FATAL_FAILURE(DeployBorder(playbook::Sign(hash, key).value()));
  FieldAgent& amira = team_[0];
  FieldAgent& li = team_[2];
  ASSERT_TRUE(amira.Sync(clock_).connected);
  ASSERT_TRUE(amira.store->PlaybookByHash(hash).ok());
  auto signature = amira.store->PlaybookSignature(hash);
  ASSERT_TRUE(signature.ok() && *signature);
  EXPECT_EQ((*signature)->key_id, key.key_id);
  EXPECT_EQ(amira.State("arrival_briefing"), "ready");

  hq_.reset();
  {
    SQLite::Database db(config_.data_dir + "/muster.db", SQLite::OPEN_READWRITE);
    const int changed = db.exec(
        "UPDATE outbound_bodies SET body=replace(body, 'title: Liaison officer', "
        "'title: Liaison officer (no dosimeter needed)') WHERE body LIKE '%\"signature\"%'");
    ASSERT_EQ(changed, 1);
  }
  StartHq();
  auto report = li.Sync(clock_);
  ASSERT_TRUE(report.connected) << report.error;
  EXPECT_EQ(report.pending, 0u);
  auto refused = li.store->PlaybookSource(hash);
  ASSERT_EQ(refused.status().code(), ErrorCode::kInvalidPlaybook);
  EXPECT_NE(refused.status().message().find("REFUSED"), std::string::npos);
  std::ostringstream status;
  ASSERT_TRUE(agent::ShowStatus(*li.store, clock_, false, status).ok());
  EXPECT_NE(status.str().find("Playbook:   REFUSED radioactive-material-border-seizure"),
            std::string::npos)
      << status.str();
  std::ostringstream tasks;
  ASSERT_TRUE(agent::ListTasks(*li.store, clock_, false, tasks).ok());
  EXPECT_NE(tasks.str().find("[REFUSED playbook: "), std::string::npos) << tasks.str();

  json board = api_->Get("/v1/incidents/INC-1/status").value();
  EXPECT_EQ(board["deployments"][0]["playbook"]["signed_by"]["author"], "okafor");
}

}  // namespace
}  // namespace muster
