// Headquarters (HQ's core over one database): schema, roster validation, publishing, deployment, ingest and the views, on a
// real SQLite file in a temp dir with a FakeClock.
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "store/schema.h"
#include "service/headquarters.h"
#include "muster/sqlite_store.h"
#include "hq_fixture.h"

namespace muster::coordtest {
namespace {

constexpr Millis kMinute = 60'000;

std::set<std::uint64_t> Seqs(const std::vector<std::uint64_t>& held) {
  return {held.begin(), held.end()};
}

// ---------------------------------------------------------------------------------------
// Schema

TEST_F(HeadquartersTest, SchemaIsCreatedAndVersioned) {
  EXPECT_EQ(SchemaVersion(hq_->database().db()), hq::HqMigrations().back().version);
  EXPECT_EQ(QueryInt(hq_->database().db(), "PRAGMA user_version"), hq::HqMigrations().back().version);
  for (const char* table : {"meta", "incidents", "members", "agents", "playbooks", "deployments",
                            "assignments", "tasks", "inbound", "findings", "alerts",
                            "fired_triggers", "outbound", "timeline"}) {
    EXPECT_EQ(Count(std::string("SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND "
                                "name='") + table + "'"),
              1)
        << table;
  }
  EXPECT_EQ(QueryText(hq_->database().db(), "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryInt(hq_->database().db(), "PRAGMA cache_size"), -32768) << "32 MiB of pages";
  EXPECT_EQ(QueryInt(hq_->database().db(), "PRAGMA temp_store"), 2)
      << "savepoint journals in memory, not in a temporary file";
  EXPECT_EQ(hq_->database().hq_id().size(), 32u);
}

TEST_F(HeadquartersTest, ReopeningKeepsTheHqIdAndVersion) {
  const std::string hq_id = hq_->database().hq_id();
  AddMember("amira", {"team_leader"});
  hq_.reset();
  auto reopened = hq::Headquarters::Open(dir_.File("muster.db"), clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->database().hq_id(), hq_id);
  EXPECT_EQ(SchemaVersion((*reopened)->database().db()), hq::HqMigrations().back().version);
  auto members = (*reopened)->roster().List();
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ((*members)[0]["id"], "amira");
}

// ---------------------------------------------------------------------------------------
// Incidents and members

TEST_F(HeadquartersTest, CreateIncidentValidates) {
  hq::IncidentInput input;
  input.id = "INC-7";
  input.title = "Portal alarm";
  input.severity = "apocalyptic";
  auto bad_severity = hq_->incidents().Create(input, "test");
  ASSERT_FALSE(bad_severity.ok());
  EXPECT_EQ(bad_severity.status().code(), ErrorCode::kInvalidArgument);

  input.severity = "high";
  input.title = "";
  auto no_title = hq_->incidents().Create(input, "test");
  ASSERT_FALSE(no_title.ok());
  EXPECT_EQ(no_title.status().code(), ErrorCode::kInvalidArgument);

  input.title = "Portal alarm";
  auto created = hq_->incidents().Create(input, "test");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)["id"], "INC-7");
  EXPECT_EQ((*created)["status"], "open");
  EXPECT_EQ((*created)["created_at"], clock_.Now());

  auto duplicate = hq_->incidents().Create(input, "test");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM incidents"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='incident_opened'"), 1);
}

TEST_F(HeadquartersTest, OperatorTextOverItsLimitIsRefusedAndNothingStored) {
  hq::IncidentInput input;
  input.id = "INC-8";
  input.severity = "high";
  input.title = std::string(1 << 20, 'T');  // the 1 MB title of the review
  auto huge = hq_->incidents().Create(input, "test");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(huge.status().message(),
            "the title is 1048576 characters long; the limit is 200: shorten it");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM incidents"), 0);

  input.title = "Portal alarm";
  ASSERT_TRUE(hq_->incidents().Create(input, "test").ok());
  hq::IncidentChange change;
  change.location = std::string(201, 'L');
  EXPECT_EQ(hq_->incidents().Update("INC-8", change, "test").status().code(),
            ErrorCode::kInvalidArgument);
  hq::ReportInput report;
  report.conditions = std::string(8001, 'c');
  EXPECT_EQ(hq_->incidents().FileReport("INC-8", report, "test").status().code(),
            ErrorCode::kInvalidArgument);
  report.conditions = "calm";
  report.needs = {std::string(1001, 'n')};
  EXPECT_EQ(hq_->incidents().FileReport("INC-8", report, "test").status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM reports"), 0);

  hq::MemberInput member;
  member.id = "amira";
  member.name = std::string(201, 'n');
  EXPECT_EQ(hq_->roster().Add(member, "test").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM members"), 0);
}

TEST_F(HeadquartersTest, CreateIncidentWithoutIdNumbersThem) {
  hq::IncidentInput input;
  input.title = "First";
  auto first = hq_->incidents().Create(input, "test");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ((*first)["id"], "INC-0001");
  input.title = "Second";
  auto second = hq_->incidents().Create(input, "test");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ((*second)["id"], "INC-0002");
}

TEST_F(HeadquartersTest, CreateIncidentWithoutIdSkipsAnIdAlreadyTaken) {
  hq::IncidentInput input;
  input.id = "INC-0002";
  input.title = "Explicit";
  ASSERT_TRUE(hq_->incidents().Create(input, "test").ok());
  input.id = "";
  input.title = "Defaulted";
  auto defaulted = hq_->incidents().Create(input, "test");
  ASSERT_TRUE(defaulted.ok()) << defaulted.status().ToString();
  EXPECT_NE((*defaulted)["id"], "INC-0002");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM incidents"), 2);
}

TEST_F(HeadquartersTest, CreateIncidentRefusesAnIdTheApiCannotAddress) {
  for (const char* bad : {"INC/1", "../INC-1", " "}) {
    hq::IncidentInput input;
    input.id = bad;
    input.title = "Portal alarm";
    auto created = hq_->incidents().Create(input, "test");
    EXPECT_FALSE(created.ok()) << "'" << bad << "' was accepted";
    if (!created.ok()) {
      EXPECT_EQ(created.status().code(), ErrorCode::kInvalidArgument);
    }
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM incidents"), 0);
}

TEST_F(HeadquartersTest, CreateMemberValidates) {
  for (const char* bad : {"", "Alice", "-alice", "al ice", "alice/1", "ä"}) {
    hq::MemberInput input;
    input.id = bad;
    auto created = hq_->roster().Add(input, "test");
    ASSERT_FALSE(created.ok()) << "'" << bad << "' was accepted";
    EXPECT_EQ(created.status().code(), ErrorCode::kInvalidArgument) << bad;
  }
  hq::MemberInput input;
  input.id = "alice";
  input.checkin_interval_ms = 0;
  auto no_interval = hq_->roster().Add(input, "test");
  ASSERT_FALSE(no_interval.ok());
  EXPECT_EQ(no_interval.status().code(), ErrorCode::kInvalidArgument);

  input.checkin_interval_ms = 1'800'000;
  input.roles = {"team_leader"};
  auto created = hq_->roster().Add(input, "test");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)["name"], "alice");  // the id when no name is given
  auto duplicate = hq_->roster().Add(input, "test");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM members"), 1);
}

TEST_F(HeadquartersTest, EnrollAgentNeedsAMemberAndNumbersAgents) {
  auto orphan = hq_->registry().Enroll("ghost", "key-0", hq::DeviceRule::kOnly, "test");
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(orphan.status().code(), ErrorCode::kNotFound);
  AddMember("amira", {"team_leader"});
  EXPECT_EQ(EnrollAgent("amira"), "amira-1");
  EXPECT_EQ(EnrollAgent("amira", hq::DeviceRule::kAdd), "amira-2");
  auto found = hq_->directory().FindByKey("test-key-2");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, "amira-2");
  EXPECT_EQ((*found)->status, "active");
  auto unknown = hq_->directory().FindByKey("nope");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
}

// ---------------------------------------------------------------------------------------
// Playbooks

TEST_F(HeadquartersTest, PublishingTheSameVersionTwiceIsIdempotent) {
  auto first =
      hq_->playbooks().Publish(BorderPlaybookSource(), "border.yaml", std::nullopt, "test");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto again =
      hq_->playbooks().Publish(BorderPlaybookSource(), "border.yaml", std::nullopt, "test");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*first)["hash"], (*again)["hash"]);
  EXPECT_EQ((*first)["id"], "radioactive-material-border-seizure");
  EXPECT_EQ((*first)["version"], "1.1.0");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM playbooks"), 1);
}

TEST_F(HeadquartersTest, PublishingOtherContentUnderAPublishedVersionIsAConflict) {
  ASSERT_TRUE(
      hq_->playbooks().Publish(BorderPlaybookSource(), "border.yaml", std::nullopt, "test").ok());
  std::string changed = BorderPlaybookSource();
  const std::string title = "title: Radioactive material seized at a border crossing";
  const auto at = changed.find(title);
  ASSERT_NE(at, std::string::npos);
  changed.replace(at, title.size(), "title: Radioactive material seized at a land border");
  auto conflict = hq_->playbooks().Publish(changed, "border.yaml", std::nullopt, "test");
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM playbooks"), 1);
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT title FROM playbooks"),
            "Radioactive material seized at a border crossing");
}

TEST_F(HeadquartersTest, PublishingAnInvalidPlaybookIsRefused) {
  auto refused = hq_->playbooks().Publish("id: x\nversion: \"1\"\n", "broken.yaml",
                                          std::nullopt, "test");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidPlaybook);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM playbooks"), 0);
}

// ---------------------------------------------------------------------------------------
// Deploy

class DeployTest : public HeadquartersTest {
 protected:
  void SetUp() override {
    HeadquartersTest::SetUp();
    CreateIncident("INC-1", "Portal alarm");
  }
  Result<json> Deploy(const std::map<std::string, std::vector<std::string>>& assign = {},
                      const std::string& incident = "INC-1") {
    hq::DeployInput input;
    input.incident_id = incident;
    input.playbook_source = BorderPlaybookSource();
    input.assign = assign;
    notify_.clear();
    return hq_->deployments().Deploy(input, &notify_);
  }
  void ExpectNothingDeployed() {
    EXPECT_EQ(Count("SELECT COUNT(*) FROM deployments"), 0);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM tasks"), 0);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM outbound"), 0);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM assignments"), 0);
  }
  void AddTeam() {
    for (const auto& [member, role] :
         std::vector<std::pair<std::string, std::string>>{{"amira", "team_leader"},
                                                          {"jonas", "radiation_specialist"},
                                                          {"li", "forensic_examiner"}}) {
      AddMember(member, {role});
      EnrollAgent(member);
    }
  }
  // An enrolled member holding |qualifications|, with no roster role.
  void AddQualified(const std::string& id, const std::vector<std::string>& qualifications) {
    hq::MemberInput input;
    input.id = id;
    input.qualifications = qualifications;
    ASSERT_TRUE(hq_->roster().Add(input, "test").ok());
    EnrollAgent(id);
  }
  std::vector<std::string> notify_;
};

TEST_F(DeployTest, RefusesAnUnknownIncident) {
  AddTeam();
  auto refused = Deploy({}, "INC-404");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kNotFound);
  ExpectNothingDeployed();
}

TEST_F(DeployTest, RefusesAClosedIncident) {
  AddTeam();
  hq::IncidentChange close;
  close.status = "closed";
  ASSERT_TRUE(hq_->incidents().Update("INC-1", close, "test").ok());
  auto refused = Deploy();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kConflict);
  ExpectNothingDeployed();
}

TEST_F(DeployTest, RefusesAnUnknownRole) {
  AddTeam();
  auto refused = Deploy({{"pilot", {"amira"}}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("pilot"), std::string::npos);
  ExpectNothingDeployed();
}

TEST_F(DeployTest, RefusesAnUnknownMember) {
  AddTeam();
  auto refused = Deploy({{"liaison_officer", {"ghost"}}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kNotFound);
  ExpectNothingDeployed();
}

TEST_F(DeployTest, RefusesAMemberWithoutAnAgent) {
  AddTeam();
  AddMember("paulo", {"liaison_officer"});  // on the roster, never enrolled
  auto refused = Deploy({{"liaison_officer", {"paulo"}}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kNoAgent);
  EXPECT_NE(refused.status().message().find("muster agent enroll paulo"), std::string::npos);
  ExpectNothingDeployed();
}

TEST_F(DeployTest, TheRosterPickSkipsMembersWithoutAnAgent) {
  AddTeam();
  AddMember("paulo", {"liaison_officer"});  // optional role, never enrolled: left out
  AddMember("eve", {"forensic_examiner"});  // sorts before li, never enrolled
  auto deployed = Deploy();
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  EXPECT_EQ((*deployed)["team"]["forensic_examiner"], json::array({"li"}));
  EXPECT_EQ((*deployed)["team"]["liaison_officer"], json::array());
  ASSERT_TRUE(hq_->operations().Close(1, "cancelled", "test", nullptr).ok());
  ASSERT_TRUE(hq_->registry().Revoke("li-1", "test").ok());
  auto refused = Deploy();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(
                "forensic_examiner (without an enrolled agent: eve, li)"),
            std::string::npos)
      << refused.status().message();
}

TEST_F(DeployTest, RefusesARequiredRoleLeftEmpty) {
  AddMember("amira", {"team_leader"});
  EnrollAgent("amira");
  AddMember("jonas", {"radiation_specialist"});
  EnrollAgent("jonas");
  // Nobody is a forensic_examiner (required); liaison_officer is optional.
  auto refused = Deploy();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnassignedRole);
  EXPECT_NE(refused.status().message().find("forensic_examiner"), std::string::npos);
  ExpectNothingDeployed();
}

TEST_F(DeployTest, AMemberNamedTwiceForARoleIsNotAStoreFailure) {
  AddTeam();
  auto deployed = Deploy({{"team_leader", {"amira", "amira"}}});
  // Either the duplicate is ignored or it is refused as the caller's mistake; a store
  // error (HTTP 500) is neither.
  if (deployed.ok()) {
    EXPECT_EQ(Count("SELECT COUNT(*) FROM tasks WHERE member_id='amira'"), 6);
  } else {
    EXPECT_EQ(deployed.status().code(), ErrorCode::kInvalidArgument)
        << deployed.status().ToString();
    ExpectNothingDeployed();
  }
}

TEST_F(DeployTest, AssignsFromRosterRolesAndLeavesAnOptionalRoleEmpty) {
  AddTeam();
  AddMember("zoe", {"dog_handler"});  // a role the playbook does not have
  EnrollAgent("zoe");
  auto deployed = Deploy();
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  EXPECT_EQ((*deployed)["team"]["team_leader"], json::array({"amira"}));
  EXPECT_EQ((*deployed)["team"]["radiation_specialist"], json::array({"jonas"}));
  EXPECT_EQ((*deployed)["team"]["forensic_examiner"], json::array({"li"}));
  EXPECT_EQ((*deployed)["tasks"], 11);  // 13 minus paulo's two liaison tasks
  EXPECT_EQ(Count("SELECT COUNT(*) FROM tasks WHERE member_id='zoe'"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbound WHERE agent_id='zoe-1'"), 0);
  // custody_transfer depends on host_liaison, which nobody holds: not a blocker.
  EXPECT_EQ(TaskState("d1.custody_transfer.li"), "waiting");
  std::set<std::string> notified(notify_.begin(), notify_.end());
  EXPECT_EQ(notified, (std::set<std::string>{"amira-1", "jonas-1", "li-1"}));
}

TEST_F(DeployTest, PicksQualifiedMembersFirstAndFlagsTheRest) {
  AddTeam();  // roster roles only, no qualifications
  AddQualified("mara", {"radiation_protection", "riid_operation", "first_aid"});
  AddQualified("tom", {"radiation_protection"});  // half of what the role asks
  auto deployed = Deploy();
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  // Mara holds what radiation_specialist asks; Jonas only lists the role; Tom neither.
  EXPECT_EQ((*deployed)["team"]["radiation_specialist"], json::array({"mara"}));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM tasks WHERE member_id IN ('jonas','tom')"), 0);
  const json& automatic = (*deployed)["automatic"];
  EXPECT_NE(std::find(automatic.begin(), automatic.end(), "radiation_specialist"),
            automatic.end());
  // Amira and Li fill their roles from the roster without the qualifications: kept,
  // flagged in the answer, on the timeline and in the audit log.
  EXPECT_EQ((*deployed)["unqualified"]["team_leader"]["amira"],
            json::array({"incident_command"}));
  EXPECT_EQ((*deployed)["unqualified"]["forensic_examiner"]["li"],
            json::array({"crime_scene_examination", "contaminated_evidence"}));
  EXPECT_FALSE((*deployed)["unqualified"].contains("radiation_specialist"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='qualification_gap' AND text LIKE "
                  "'%amira lacks incident_command for team_leader%'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE action='deployment.create' AND detail "
                  "LIKE '%unqualified%'"),
            1);
}

TEST_F(DeployTest, AMemberOnAnotherActiveDeploymentIsPickedLast) {
  AddTeam();
  AddQualified("ana", {"radiation_protection", "riid_operation"});
  AddQualified("mara", {"radiation_protection", "riid_operation"});
  auto first = Deploy();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ((*first)["team"]["radiation_specialist"], json::array({"ana"}));
  hq::IncidentInput second;
  second.id = "INC-2";
  second.title = "Second seizure";
  ASSERT_TRUE(hq_->incidents().Create(second, "test").ok());
  auto next = Deploy({}, "INC-2");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ((*next)["team"]["radiation_specialist"], json::array({"mara"}));  // ana is busy
}

TEST_F(DeployTest, ARoleNobodyCanFillNamesWhatItAsksFor) {
  AddMember("amira", {"team_leader"});
  EnrollAgent("amira");
  AddQualified("mara", {"radiation_protection", "riid_operation"});
  auto refused = Deploy();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnassignedRole);
  EXPECT_NE(refused.status().message().find(
                "forensic_examiner (nobody holds crime_scene_examination, contaminated_evidence)"),
            std::string::npos)
      << refused.status().message();
  ExpectNothingDeployed();
}

TEST_F(DeployTest, ExplicitAssignmentOverridesTheRoster) {
  AddTeam();
  AddMember("bo", {"team_leader"});
  EnrollAgent("bo");
  auto deployed = Deploy({{"team_leader", {"bo"}}});
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  EXPECT_EQ((*deployed)["team"]["team_leader"], json::array({"bo"}));
  EXPECT_EQ(TaskState("d1.arrival_briefing.bo"), "ready");
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "missing");
}

TEST_F(HeadquartersTest, DeployCreatesOneTaskPerStepAndAssigneeInTheRightStates) {
  json deployment = DeployBorder();
  ASSERT_EQ(deployment["tasks"], 13);
  const std::map<std::string, std::string> expected = {
      {"d1.arrival_briefing.amira", "ready"},      {"d1.safety_briefing.amira", "waiting"},
      {"d1.host_liaison.paulo", "ready"},          {"d1.secondary_inspection.jonas", "waiting"},
      {"d1.establish_cordon.amira", "waiting"},    {"d1.expand_cordon.amira", "waiting"},
      {"d1.identify_nuclide.jonas", "waiting"},    {"d1.close_innocent_alarm.amira", "waiting"},
      {"d1.photograph_scene.li", "waiting"},       {"d1.recover_material.li", "waiting"},
      {"d1.custody_transfer.li", "waiting"},       {"d1.notify_regulator.paulo", "waiting"},
      {"d1.situation_report.amira", "waiting"}};
  std::map<std::string, std::string> states;
  SQLite::Statement tasks(hq_->database().db(), "SELECT id, state FROM tasks");
  while (tasks.executeStep()) states[tasks.getColumn(0).getString()] = tasks.getColumn(1).getString();
  EXPECT_EQ(states, expected);
  // on_trigger steps are dormant; nothing else is.
  EXPECT_TRUE(TaskDormant("d1.expand_cordon.amira"));
  EXPECT_TRUE(TaskDormant("d1.close_innocent_alarm.amira"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM tasks WHERE dormant=1"), 2);
  // Ready tasks got a due time from due_in (arrival_briefing: 30m); waiting ones none.
  EXPECT_EQ(Count("SELECT due_at FROM tasks WHERE id='d1.arrival_briefing.amira'"),
            clock_.Now() + 30 * kMinute);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM tasks WHERE state='waiting' AND due_at IS NOT NULL"), 0);
}

TEST_F(HeadquartersTest, DeployQueuesThePlaybookThenEachAgentsTasks) {
  DeployBorder();
  const std::map<std::string, std::size_t> tasks_per_agent = {
      {"amira-1", 6}, {"jonas-1", 2}, {"li-1", 3}, {"paulo-1", 2}};
  for (const auto& [agent, task_count] : tasks_per_agent) {
    std::vector<hq::Delivery> deliveries = Deliveries(agent);
    // Playbook, tasks, then the team snapshot (hq_team_test.cc).
    ASSERT_EQ(deliveries.size(), task_count + 2) << agent;
    EXPECT_EQ(deliveries.back().kind, "team") << agent;
    deliveries.pop_back();
    EXPECT_EQ(deliveries[0].seq, 1u);
    EXPECT_EQ(deliveries[0].kind, "playbook") << agent;
    EXPECT_EQ(deliveries[0].body["id"], "radioactive-material-border-seizure");
    EXPECT_FALSE(deliveries[0].body["source"].get<std::string>().empty());
    const std::string member = agent.substr(0, agent.find('-'));
    for (std::size_t i = 1; i < deliveries.size(); ++i) {
      EXPECT_EQ(deliveries[i].seq, i + 1) << agent;
      EXPECT_EQ(deliveries[i].kind, "task") << agent;
      EXPECT_EQ(deliveries[i].body["member"], member);
      EXPECT_EQ(deliveries[i].body["playbook"], deliveries[0].body["hash"]);
    }
  }
  // The snapshot carries the HQ state and what the task waits on, across members.
  std::vector<hq::Delivery> jonas = Deliveries("jonas-1");
  EXPECT_EQ(jonas[1].body["task"], "d1.secondary_inspection.jonas");
  EXPECT_EQ(jonas[1].body["state"], "waiting");
  ASSERT_EQ(jonas[1].body["waits_on"].size(), 1u);
  EXPECT_EQ(jonas[1].body["waits_on"][0]["task"], "d1.safety_briefing.amira");
  // The playbook and the team's view went to four agents and are stored once each.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbound_bodies"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbound WHERE body_id IS NOT NULL"), 8);
  // PendingDeliveries honours |after| and |max|.
  auto window = hq_->deliveries().Pending("amira-1", 2, 3);
  ASSERT_TRUE(window.ok());
  ASSERT_EQ(window->size(), 3u);
  EXPECT_EQ((*window)[0].seq, 3u);
  EXPECT_EQ((*window)[2].seq, 5u);
}

TEST_F(HeadquartersTest, ADeliveryWhoseStoredBodyIsDamagedIsAnErrorNotAnEmptyBody) {
  DeployBorder();
  hq_->database().db().exec(
      "UPDATE outbound SET body='{\"task\":' WHERE agent_id='amira-1' AND seq=2");
  auto pending = hq_->deliveries().Pending("amira-1", 0, 10);
  ASSERT_FALSE(pending.ok());
  EXPECT_EQ(pending.status().code(), ErrorCode::kStoreCorrupt) << pending.status().ToString();
  hq_->database().db().exec("UPDATE outbound_bodies SET body='not json'");
  EXPECT_FALSE(hq_->deliveries().Pending("jonas-1", 0, 10).ok()) << "a shared body too";
}

// ---------------------------------------------------------------------------------------
// Ingest

TEST_F(HeadquartersTest, ABatchIsCommittedAndAcknowledged) {
  DeployBorder();
  auto outcome = IngestOk("amira-1",
                          {StatusRecord(1, "d1.arrival_briefing.amira", "in_progress"),
                           FindingRecord(2, "d1.arrival_briefing.amira",
                                         {{"scene_location", "46.2331,6.1052"},
                                          {"portal_reading", 2400}})});
  EXPECT_EQ(Seqs(outcome.held), (std::set<std::uint64_t>{1, 2}));
  EXPECT_EQ(outcome.ingested, 2u);
  EXPECT_TRUE(outcome.refused.empty());
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "in_progress");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM findings"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM inbound WHERE agent_id='amira-1' AND outcome='applied'"),
            2);
  auto watermark = hq_->ingest().Watermark("amira-1");
  ASSERT_TRUE(watermark.ok());
  EXPECT_EQ(*watermark, 2u);
  // The batch is durable: another connection to the file sees it.
  auto other = hq::Headquarters::Open(dir_.File("muster.db"), clock_);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(QueryInt((*other)->database().db(), "SELECT COUNT(*) FROM inbound"), 2);
}

TEST_F(HeadquartersTest, ResendingABatchChangesNothingAndIsStillAcknowledged) {
  DeployBorder();
  const std::vector<hq::InboundRecord> batch = {
      FindingRecord(1, "d1.arrival_briefing.amira", {{"scene_location", "46.2,6.1"}}),
      StatusRecord(2, "d1.arrival_briefing.amira", "completed")};
  IngestOk("amira-1", batch);
  const auto findings = Count("SELECT COUNT(*) FROM findings");
  const auto outbound = Count("SELECT COUNT(*) FROM outbound");
  const auto timeline = Count("SELECT COUNT(*) FROM timeline");
  const auto inbound = Count("SELECT COUNT(*) FROM inbound");
  clock_.Advance(kMinute);
  auto again = IngestOk("amira-1", batch);
  EXPECT_EQ(Seqs(again.held), (std::set<std::uint64_t>{1, 2}));
  EXPECT_EQ(again.ingested, 2u);
  EXPECT_TRUE(again.refused.empty());
  EXPECT_TRUE(again.agents_to_notify.empty());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM findings"), findings);
  EXPECT_EQ(findings, 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbound"), outbound);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline"), timeline);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM inbound"), inbound);
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "completed");
}

TEST_F(HeadquartersTest, OutOfOrderSequencesGiveTheContiguousWatermark) {
  DeployBorder();
  auto first = IngestOk("amira-1", {StatusRecord(3, "d1.arrival_briefing.amira", "completed")});
  EXPECT_EQ(Seqs(first.held), (std::set<std::uint64_t>{3}));
  EXPECT_EQ(first.ingested, 0u);  // 1 and 2 are missing
  auto rest = IngestOk("amira-1",
                       {StatusRecord(1, "d1.arrival_briefing.amira", "acknowledged"),
                        StatusRecord(2, "d1.arrival_briefing.amira", "in_progress")});
  EXPECT_EQ(Seqs(rest.held), (std::set<std::uint64_t>{1, 2}));
  EXPECT_EQ(rest.ingested, 3u);
  auto watermark = hq_->ingest().Watermark("amira-1");
  ASSERT_TRUE(watermark.ok());
  EXPECT_EQ(*watermark, 3u);
  // The late, older statuses did not regress the newest one.
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "completed");
}

TEST_F(HeadquartersTest, AnOlderStatusArrivingLateDoesNotRegressTheState) {
  DeployBorder();
  IngestOk("jonas-1", {StatusRecord(5, "d1.secondary_inspection.jonas", "blocked")});
  IngestOk("jonas-1", {StatusRecord(4, "d1.secondary_inspection.jonas", "in_progress")});
  EXPECT_EQ(TaskState("d1.secondary_inspection.jonas"), "blocked");
  EXPECT_EQ(Count("SELECT status_seq FROM tasks WHERE id='d1.secondary_inspection.jonas'"), 5);
  IngestOk("jonas-1", {StatusRecord(6, "d1.secondary_inspection.jonas", "in_progress")});
  EXPECT_EQ(TaskState("d1.secondary_inspection.jonas"), "in_progress");
}

TEST_F(HeadquartersTest, AStatusForAnotherMembersTaskIsForbiddenAndTheRestApplied) {
  DeployBorder();
  auto outcome = IngestOk("amira-1",
                          {StatusRecord(1, "d1.secondary_inspection.jonas", "completed"),
                           StatusRecord(2, "d1.arrival_briefing.amira", "in_progress"),
                           StatusRecord(3, "d1.no_such_task.amira", "completed")});
  EXPECT_EQ(Seqs(outcome.held), (std::set<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(outcome.ingested, 3u);
  ASSERT_EQ(outcome.refused.size(), 2u);
  EXPECT_EQ(outcome.refused[0].first, 1u);
  EXPECT_EQ(outcome.refused[0].second.code(), ErrorCode::kForbidden);
  // A task that does not exist looks the same as someone else's.
  EXPECT_EQ(outcome.refused[1].first, 3u);
  EXPECT_EQ(outcome.refused[1].second.code(), ErrorCode::kForbidden);
  EXPECT_EQ(TaskState("d1.secondary_inspection.jonas"), "waiting");
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "in_progress");
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT outcome FROM inbound WHERE seq=1").rfind(
                "refused: forbidden", 0),
            0u);
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT outcome FROM inbound WHERE seq=2"), "applied");
}

TEST_F(HeadquartersTest, AStateAnAgentMayNotSetIsRefused) {
  DeployBorder();
  auto outcome = IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "cancelled")});
  ASSERT_EQ(outcome.refused.size(), 1u);
  EXPECT_EQ(outcome.refused[0].second.code(), ErrorCode::kInvalidValue);
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "ready");
}

TEST_F(HeadquartersTest, AFindingWithAnUnknownFieldOrWrongTypeIsRefused) {
  DeployBorder();
  auto outcome = IngestOk(
      "amira-1",
      {FindingRecord(1, "d1.arrival_briefing.amira", {{"colour", "red"}}),
       FindingRecord(2, "d1.arrival_briefing.amira", {{"portal_reading", "very high"}}),
       FindingRecord(3, "d1.arrival_briefing.amira", {{"scene_location", 46.2}}),
       {4, "finding", clock_.Now(), {{"task", "d1.arrival_briefing.amira"}, {"values", json::object()}}},
       FindingRecord(5, "d1.arrival_briefing.amira", {{"portal_reading", 12}})});
  EXPECT_EQ(Seqs(outcome.held), (std::set<std::uint64_t>{1, 2, 3, 4, 5}));
  ASSERT_EQ(outcome.refused.size(), 4u);
  EXPECT_EQ(outcome.refused[0].first, 1u);
  EXPECT_EQ(outcome.refused[0].second.code(), ErrorCode::kInvalidValue);
  EXPECT_EQ(outcome.refused[1].first, 2u);
  EXPECT_EQ(outcome.refused[1].second.code(), ErrorCode::kInvalidValue);
  EXPECT_EQ(outcome.refused[2].first, 3u);
  EXPECT_EQ(outcome.refused[2].second.code(), ErrorCode::kInvalidValue);
  EXPECT_EQ(outcome.refused[3].first, 4u);
  EXPECT_EQ(outcome.refused[3].second.code(), ErrorCode::kMalformed);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM findings"), 1);
  EXPECT_EQ(Count("SELECT seq FROM findings"), 5);
}

TEST_F(HeadquartersTest, AnUnknownAgentIsRefusedAsAWhole) {
  DeployBorder();
  auto outcome = hq_->ingest().Commit("mallory-1", {StatusRecord(1, "d1.arrival_briefing.amira",
                                                          "completed")});
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), ErrorCode::kForbidden);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM inbound"), 0);
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "ready");
}

TEST_F(HeadquartersTest, CompletingATaskReleasesDependentsAcrossMembers) {
  DeployBorder();
  const std::size_t jonas_before = Deliveries("jonas-1").size();
  auto first = IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "completed")});
  EXPECT_EQ(TaskState("d1.safety_briefing.amira"), "ready");
  EXPECT_EQ(TaskState("d1.secondary_inspection.jonas"), "waiting");
  // Jonas hears of the team's progress (hq_team_test.cc), but none of his tasks changed.
  EXPECT_TRUE(OfKind(Deliveries("jonas-1", jonas_before), "task").empty());

  auto second = IngestOk("amira-1", {StatusRecord(2, "d1.safety_briefing.amira", "completed")});
  EXPECT_EQ(TaskState("d1.secondary_inspection.jonas"), "ready");
  EXPECT_NE(Count("SELECT due_at FROM tasks WHERE id='d1.secondary_inspection.jonas'"), 0);
  EXPECT_NE(std::find(second.agents_to_notify.begin(), second.agents_to_notify.end(), "jonas-1"),
            second.agents_to_notify.end());
  // Jonas's agent has a new snapshot of his task, now ready, naming what it waited on.
  std::vector<hq::Delivery> jonas = OfKind(Deliveries("jonas-1", jonas_before), "task");
  ASSERT_EQ(jonas.size(), 1u);
  EXPECT_EQ(jonas[0].kind, "task");
  EXPECT_EQ(jonas[0].body["task"], "d1.secondary_inspection.jonas");
  EXPECT_EQ(jonas[0].body["state"], "ready");
  ASSERT_EQ(jonas[0].body["waits_on"].size(), 1u);
  EXPECT_EQ(jonas[0].body["waits_on"][0]["state"], "completed");
  // Tasks that wait on something else still (recover_material needs photograph_scene too)
  // stay waiting.
  EXPECT_EQ(TaskState("d1.recover_material.li"), "waiting");
}

TEST_F(HeadquartersTest, TheCordonTriggerFiresOnceEvenFromAFindingAndAnAgentTrigger) {
  DeployBorder();
  const std::size_t amira_before = Deliveries("amira-1").size();
  auto outcome = IngestOk(
      "jonas-1", {FindingRecord(1, "d1.secondary_inspection.jonas",
                                {{"dose_rate_1m", 145}, {"neutrons_detected", false}}),
                  TriggerRecord(2, "d1.secondary_inspection.jonas", "cordon_expansion")});
  EXPECT_TRUE(outcome.refused.empty());
  // A later, higher reading and a repeated agent trigger change nothing.
  auto later = IngestOk(
      "jonas-1", {FindingRecord(3, "d1.secondary_inspection.jonas",
                                {{"dose_rate_1m", 300}, {"neutrons_detected", false}}),
                  TriggerRecord(4, "d1.secondary_inspection.jonas", "cordon_expansion")});
  EXPECT_TRUE(later.refused.empty());

  EXPECT_EQ(Count("SELECT COUNT(*) FROM fired_triggers WHERE trigger_id='cordon_expansion'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='trigger' AND message LIKE "
                  "'%expand the inner cordon%'"),
            1);
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT severity FROM alerts WHERE message LIKE "
                                    "'%expand the inner cordon%'"),
            "critical");
  EXPECT_FALSE(TaskDormant("d1.expand_cordon.amira"));
  EXPECT_EQ(TaskState("d1.expand_cordon.amira"), "ready");
  EXPECT_NE(std::find(outcome.agents_to_notify.begin(), outcome.agents_to_notify.end(),
                      "amira-1"),
            outcome.agents_to_notify.end());
  std::vector<hq::Delivery> amira = OfKind(Deliveries("amira-1", amira_before), "task");
  ASSERT_EQ(amira.size(), 1u);  // one snapshot, not one per trigger source
  EXPECT_EQ(amira[0].body["task"], "d1.expand_cordon.amira");
  EXPECT_EQ(amira[0].body["state"], "ready");
  EXPECT_EQ(amira[0].body["dormant"], false);
  // Below the threshold nothing fires: the innocent-alarm step stays dormant.
  EXPECT_TRUE(TaskDormant("d1.close_innocent_alarm.amira"));
}

TEST_F(HeadquartersTest, NeutronsRaiseTheSpecialNuclearMaterialAlertOnce) {
  DeployBorder();
  IngestOk("jonas-1", {FindingRecord(1, "d1.secondary_inspection.jonas",
                                     {{"dose_rate_1m", 20}, {"neutrons_detected", true}})});
  IngestOk("jonas-1", {FindingRecord(2, "d1.identify_nuclide.jonas",
                                     {{"nuclide", "Pu-239"}, {"assessment", "suspect_material"}})});
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='trigger' AND message LIKE "
                  "'Possible special nuclear material%'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='notify' AND text LIKE "
                  "'Request nuclear forensics%'"),
            1);
  // Neither the cordon nor the innocent-alarm step woke up.
  EXPECT_TRUE(TaskDormant("d1.expand_cordon.amira"));
  EXPECT_TRUE(TaskDormant("d1.close_innocent_alarm.amira"));
}

TEST_F(HeadquartersTest, AnInnocentAlarmStandsDownTheSearchAndActivatesTheClosingStep) {
  DeployBorder();
  const std::uint64_t li_before = Deliveries("li-1").size();
  auto outcome = IngestOk("jonas-1", {FindingRecord(1, "d1.identify_nuclide.jonas",
                                                    {{"nuclide", "K-40"},
                                                     {"assessment", "innocent_alarm"}})});
  EXPECT_TRUE(outcome.refused.empty());
  EXPECT_FALSE(TaskDormant("d1.close_innocent_alarm.amira"));
  EXPECT_EQ(TaskState("d1.close_innocent_alarm.amira"), "ready");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='notify'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts"), 0);
  // The assessment and evidence phases stand down, except the step that decided it.
  for (const std::string task : {"d1.secondary_inspection.jonas", "d1.establish_cordon.amira",
                                 "d1.expand_cordon.amira", "d1.photograph_scene.li",
                                 "d1.recover_material.li", "d1.custody_transfer.li"}) {
    EXPECT_EQ(TaskState(task), "cancelled") << task;
  }
  // Its own dependency stood down, the deciding step is released, not closed.
  EXPECT_EQ(TaskState("d1.identify_nuclide.jonas"), "ready");
  EXPECT_EQ(QueryText(hq_->database().db(),
                      "SELECT reason FROM tasks WHERE id='d1.photograph_scene.li'"),
            "stood down by trigger innocent_alarm: Innocent alarm; there is no material to "
            "recover");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE kind='stand_down'"), 2);
  // The reason reaches the member: Li's agent is sent her closed tasks.
  const std::vector<hq::Delivery> li = Deliveries("li-1", li_before);
  std::set<std::string> closed;
  for (const hq::Delivery& d : OfKind(li, "task")) {
    if (d.body["state"] == "cancelled") closed.insert(d.body["task"].get<std::string>());
  }
  EXPECT_EQ(closed, (std::set<std::string>{"d1.photograph_scene.li", "d1.recover_material.li",
                                           "d1.custody_transfer.li"}));
  // A completion that travels behind the deciding finding is no conflict.
  IngestOk("jonas-1", {StatusRecord(2, "d1.identify_nuclide.jonas", "completed")});
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='conflict'"), 0);
  EXPECT_EQ(TaskState("d1.identify_nuclide.jonas"), "completed");
}

TEST_F(HeadquartersTest, AnEmptyOptionalRoleHoldsItsDependantsOnlyWhenItSaysWait) {
  hq::IncidentInput incident;
  incident.id = "INC-1";
  incident.title = "Portal alarm";
  incident.severity = "high";
  ASSERT_TRUE(hq_->incidents().Create(incident, "test").ok());
  AddMember("amira", {"team_leader"}, {"incident_command"});
  AddMember("jonas", {"radiation_specialist"}, {"radiation_protection", "riid_operation"});
  AddMember("li", {"forensic_examiner"}, {"crime_scene_examination", "contaminated_evidence"});
  for (const std::string member : {"amira", "jonas", "li"}) EnrollAgent(member);
  // No liaison officer on the roster: deployment 1 says skip, deployment 2 says wait.
  for (const std::string choice : {"skip", "wait"}) {
    hq::DeployInput input;
    input.incident_id = "INC-1";
    std::string source = BorderPlaybookSource();
    source.replace(source.find("when_empty: skip"), 16, "when_empty: " + choice);
    if (choice == "wait") source.replace(source.find("version: \"1.1.0\""), 16, "version: \"1.1.1\"");
    input.playbook_source = source;
    std::vector<std::string> notify;
    auto deployed = hq_->deployments().Deploy(input, &notify);
    ASSERT_TRUE(deployed.ok()) << choice << ": " << deployed.status().ToString();
  }
  hq_->database().db().exec(
      "UPDATE tasks SET state='completed' WHERE step_id IN ('arrival_briefing', "
      "'safety_briefing', 'secondary_inspection', 'establish_cordon', 'identify_nuclide', "
      "'photograph_scene', 'recover_material')");
  ASSERT_TRUE(hq_->deployments().ReleaseReadyTasks(1).ok());
  ASSERT_TRUE(hq_->deployments().ReleaseReadyTasks(2).ok());
  EXPECT_EQ(TaskState("d1.custody_transfer.li"), "ready");
  EXPECT_EQ(TaskState("d2.custody_transfer.li"), "waiting");
  // Li's agent is told what d2's custody transfer waits on: no one in the role yet.
  bool unfilled = false;
  for (const hq::Delivery& d : OfKind(Deliveries("li-1"), "task")) {
    if (d.body["task"] != "d2.custody_transfer.li") continue;
    for (const json& w : d.body["waits_on"]) {
      unfilled = unfilled || (w["step"] == "host_liaison" && w["state"] == "unfilled");
    }
  }
  EXPECT_TRUE(unfilled);
}

TEST_F(HeadquartersTest, TheCordonTriggerDoesNotFireBelowTheThreshold) {
  DeployBorder();
  IngestOk("jonas-1", {FindingRecord(1, "d1.secondary_inspection.jonas",
                                     {{"dose_rate_1m", 99.5}, {"neutrons_detected", false}})});
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fired_triggers WHERE trigger_id='cordon_expansion'"), 0);
  EXPECT_TRUE(TaskDormant("d1.expand_cordon.amira"));
  EXPECT_EQ(TaskState("d1.expand_cordon.amira"), "waiting");
}

TEST_F(HeadquartersTest, AnAgentTriggerAloneFiresAtHqAndAnUnknownTriggerIsRefused) {
  DeployBorder();
  auto outcome = IngestOk("jonas-1",
                          {TriggerRecord(1, "d1.secondary_inspection.jonas", "cordon_expansion"),
                           TriggerRecord(2, "d1.secondary_inspection.jonas", "no_such_trigger")});
  ASSERT_EQ(outcome.refused.size(), 1u);
  EXPECT_EQ(outcome.refused[0].first, 2u);
  EXPECT_EQ(outcome.refused[0].second.code(), ErrorCode::kInvalidValue);
  EXPECT_EQ(TaskState("d1.expand_cordon.amira"), "ready");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM fired_triggers"), 1);
}

TEST_F(HeadquartersTest, CompletingACancelledTaskRaisesAConflictAndKeepsTheFinding) {
  DeployBorder();
  // HQ's decision made directly in the store, so that nothing is released by it.
  hq_->database().db().exec("UPDATE tasks SET state='cancelled' WHERE id='d1.arrival_briefing.amira'");
  auto outcome = IngestOk(
      "amira-1", {FindingRecord(1, "d1.arrival_briefing.amira", {{"scene_location", "46.2,6.1"}}),
                  StatusRecord(2, "d1.arrival_briefing.amira", "completed")});
  EXPECT_TRUE(outcome.refused.empty());
  EXPECT_EQ(Seqs(outcome.held), (std::set<std::uint64_t>{1, 2}));
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "cancelled");  // HQ's decision stands
  EXPECT_EQ(Count("SELECT COUNT(*) FROM findings WHERE task_id='d1.arrival_briefing.amira'"), 1);
  // Rule C2 for the finding, C1 for the completion.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='conflict'"), 2);
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT incident_id FROM alerts WHERE kind='conflict'"),
            "INC-1");
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT source FROM alerts WHERE kind='conflict'"),
            "amira-1");
  // The cancelled task releases nobody.
  EXPECT_EQ(TaskState("d1.safety_briefing.amira"), "waiting");
  // Re-sent, it raises no second alert.
  IngestOk("amira-1", {StatusRecord(2, "d1.arrival_briefing.amira", "completed")});
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='conflict'"), 2);
  auto board = hq_->views().IncidentStatus("INC-1");
  ASSERT_TRUE(board.ok());
  ASSERT_EQ((*board)["alerts"].size(), 2u);
  EXPECT_EQ((*board)["alerts"][0]["kind"], "conflict");
}

// The board says what a waiting task waits on (issue 16): the open tasks of the steps it
// depends on, which disappear from the list as they are completed.
TEST_F(HeadquartersTest, TheBoardSaysWhatEachWaitingTaskWaitsOn) {
  DeployBorder();
  const auto task_of = [&](const json& board, const std::string& id) {
    for (const auto& task : board["deployments"][0]["tasks"]) {
      if (task["id"] == id) return task;
    }
    return json();
  };
  auto board = hq_->views().IncidentStatus("INC-1");
  ASSERT_TRUE(board.ok());
  const json briefing = task_of(*board, "d1.safety_briefing.amira");
  ASSERT_EQ(briefing["state"], "waiting");
  ASSERT_EQ(briefing["waits_on"].size(), 1u);
  EXPECT_EQ(briefing["waits_on"][0]["task"], "d1.arrival_briefing.amira");
  EXPECT_EQ(briefing["waits_on"][0]["member"], "amira");
  EXPECT_TRUE(task_of(*board, "d1.arrival_briefing.amira")["waits_on"].empty());

  IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "completed")});
  auto later = hq_->views().IncidentStatus("INC-1");
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(task_of(*later, "d1.safety_briefing.amira")["waits_on"].empty());
}

TEST_F(HeadquartersTest, ARecordRefusedMidwayLeavesNothingBehind) {
  DeployBorder();
  // The stored playbook no longer loads (a damaged row); a fresh store has no parsed copy.
  hq_->database().db().exec("UPDATE playbooks SET source='id: [broken'");
  hq_.reset();
  auto reopened = hq::Headquarters::Open(dir_.File("muster.db"), clock_);
  ASSERT_TRUE(reopened.ok());
  hq_ = std::move(reopened).value();
  const auto timeline = Count("SELECT COUNT(*) FROM timeline");
  const auto outbound = Count("SELECT COUNT(*) FROM outbound");
  // Completing needs the playbook (to release dependents) only after the state was
  // written and the timeline appended: both must be undone with the refusal.
  auto outcome = IngestOk("amira-1",
                          {StatusRecord(1, "d1.arrival_briefing.amira", "completed"),
                           StatusRecord(2, "d1.host_liaison.paulo", "in_progress"),
                           FindingRecord(3, "d1.arrival_briefing.amira", {{"scene_location", "x"}})});
  EXPECT_EQ(Seqs(outcome.held), (std::set<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(outcome.ingested, 3u);
  ASSERT_EQ(outcome.refused.size(), 3u);
  EXPECT_EQ(outcome.refused[0].second.code(), ErrorCode::kInvalidPlaybook);
  EXPECT_EQ(outcome.refused[1].second.code(), ErrorCode::kForbidden);
  EXPECT_EQ(outcome.refused[2].second.code(), ErrorCode::kInvalidPlaybook);
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "ready");
  EXPECT_EQ(Count("SELECT status_seq FROM tasks WHERE id='d1.arrival_briefing.amira'"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline"), timeline);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM outbound"), outbound);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM findings"), 0);
  EXPECT_TRUE(outcome.agents_to_notify.empty());
  // A status that needs no playbook still applies.
  auto progress = IngestOk("amira-1", {StatusRecord(4, "d1.arrival_briefing.amira", "in_progress")});
  EXPECT_TRUE(progress.refused.empty());
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "in_progress");
}

TEST_F(HeadquartersTest, EnrollingANewAgentForADeployedMemberQueuesTheBacklog) {
  DeployBorder();
  EXPECT_EQ(EnrollAgent("amira", hq::DeviceRule::kReplace), "amira-2");  // a new laptop
  std::vector<hq::Delivery> backlog = Deliveries("amira-2");
  ASSERT_EQ(backlog.size(), 8u);
  EXPECT_EQ(backlog.back().kind, "team");
  backlog.pop_back();
  EXPECT_EQ(backlog[0].kind, "playbook");
  std::set<std::string> tasks;
  for (std::size_t i = 1; i < backlog.size(); ++i) {
    EXPECT_EQ(backlog[i].kind, "task");
    tasks.insert(backlog[i].body["task"].get<std::string>());
  }
  EXPECT_EQ(tasks.size(), 6u);
  EXPECT_TRUE(tasks.count("d1.expand_cordon.amira"));
  // From now on the member's news goes to the new agent only.
  const std::size_t old_count = Deliveries("amira-1").size();
  IngestOk("amira-2", {StatusRecord(1, "d1.arrival_briefing.amira", "completed")});
  ASSERT_TRUE(hq_->team().Relay().ok());
  EXPECT_EQ(Deliveries("amira-1").size(), old_count);
  std::vector<hq::Delivery> news = Deliveries("amira-2", backlog.back().seq + 1);
  // Her next task; the team's view changed only in her own tasks, which she has.
  ASSERT_EQ(news.size(), 1u);
  EXPECT_EQ(news[0].body["task"], "d1.safety_briefing.amira");
  EXPECT_EQ(news[0].body["state"], "ready");
  // A member never deployed gets nothing queued.
  AddMember("zoe", {"dog_handler"});
  EnrollAgent("zoe");
  EXPECT_TRUE(Deliveries("zoe-1").empty());
}

TEST_F(HeadquartersTest, SafetyAlertsNotesAndBlockedTasksReachTheIncident) {
  DeployBorder();
  auto outcome = IngestOk(
      "jonas-1",
      {{1, "alert", clock_.Now(), {{"message", "dosimeter alarm"}, {"severity", "warning"}}},
       {2, "alert", clock_.Now(),
        {{"task", "d1.secondary_inspection.jonas"}, {"message", "man down"}, {"severity", "dire"}}},
       {3, "note", clock_.Now(), {{"task", "d1.secondary_inspection.jonas"}, {"text", "wind NW"}}},
       {4, "status", clock_.Now(),
        {{"task", "d1.secondary_inspection.jonas"}, {"state", "blocked"}, {"reason", "no meter"}}},
       {5, "selfie", clock_.Now(), {{"text", "?"}}}});
  ASSERT_EQ(outcome.refused.size(), 1u);
  EXPECT_EQ(outcome.refused[0].first, 5u);
  EXPECT_EQ(outcome.refused[0].second.code(), ErrorCode::kMalformed);
  auto board = hq_->views().IncidentStatus("INC-1");
  ASSERT_TRUE(board.ok());
  ASSERT_EQ((*board)["alerts"].size(), 2u);
  EXPECT_EQ((*board)["alerts"][0]["kind"], "safety");
  EXPECT_EQ((*board)["alerts"][0]["severity"], "warning");
  EXPECT_EQ((*board)["alerts"][0]["source"], "jonas-1");
  EXPECT_NE((*board)["alerts"][0]["message"].get<std::string>().find("dosimeter alarm"),
            std::string::npos);
  EXPECT_EQ((*board)["alerts"][1]["severity"], "critical");  // unknown severities escalate
  EXPECT_EQ(TaskState("d1.secondary_inspection.jonas"), "blocked");
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT reason FROM tasks WHERE "
                                    "id='d1.secondary_inspection.jonas'"),
            "no meter");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE incident_id='INC-1' AND kind='note' AND "
                  "text LIKE '%wind NW'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timeline WHERE incident_id='INC-1' AND kind='blocked'"),
            1);
  // Re-sent, the alerts are not raised twice.
  IngestOk("jonas-1", {{1, "alert", clock_.Now(), {{"message", "dosimeter alarm"}}}});
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts"), 2);
}

TEST_F(HeadquartersTest, MarkAppliedMovesReadyTasksToDelivered) {
  DeployBorder();
  // amira-1: 1 playbook, 2 arrival_briefing (ready), 3 safety_briefing (waiting), ...
  std::vector<hq::Delivery> amira = Deliveries("amira-1");
  ASSERT_GE(amira.size(), 3u);
  ASSERT_EQ(amira[1].body["task"], "d1.arrival_briefing.amira");
  ASSERT_TRUE(hq_->progress().MarkApplied("amira-1", 1).ok());
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "ready");  // its snapshot not applied yet
  ASSERT_TRUE(hq_->progress().MarkApplied("amira-1", amira.back().seq).ok());
  EXPECT_EQ(TaskState("d1.arrival_briefing.amira"), "delivered");
  EXPECT_EQ(TaskState("d1.safety_briefing.amira"), "waiting");
  EXPECT_EQ(TaskState("d1.host_liaison.paulo"), "ready");  // another agent's
  auto applied = hq_->progress().AppliedWatermark("amira-1");
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, amira.back().seq);
  // A task the member already moved on is not pulled back to "delivered".
  IngestOk("paulo-1", {StatusRecord(1, "d1.host_liaison.paulo", "in_progress")});
  ASSERT_TRUE(hq_->progress().MarkApplied("paulo-1", 100).ok());
  EXPECT_EQ(TaskState("d1.host_liaison.paulo"), "in_progress");
}

TEST_F(HeadquartersTest, IncidentStatusMarksOverdueTasksByTheClock) {
  DeployBorder();
  auto overdue_of = [&](const json& board) {
    std::map<std::string, bool> overdue;
    for (const json& task : board["deployments"][0]["tasks"]) overdue[task["id"]] = task["overdue"];
    return overdue;
  };
  auto before = hq_->views().IncidentStatus("INC-1");
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ((*before)["deployments"][0]["tasks"].size(), 13u);
  EXPECT_FALSE(overdue_of(*before)["d1.arrival_briefing.amira"]);

  clock_.Advance(31 * kMinute);  // arrival_briefing is due in 30m, host_liaison in 1h
  auto after = hq_->views().IncidentStatus("INC-1");
  ASSERT_TRUE(after.ok());
  auto overdue = overdue_of(*after);
  EXPECT_TRUE(overdue["d1.arrival_briefing.amira"]);
  EXPECT_FALSE(overdue["d1.host_liaison.paulo"]);
  EXPECT_FALSE(overdue["d1.safety_briefing.amira"]);  // waiting: no due time yet
  EXPECT_EQ((*after)["generated_at"], clock_.Now());

  // A completed task is never overdue.
  IngestOk("amira-1", {StatusRecord(1, "d1.arrival_briefing.amira", "completed")});
  clock_.Advance(60 * kMinute);
  auto later = hq_->views().IncidentStatus("INC-1");
  ASSERT_TRUE(later.ok());
  overdue = overdue_of(*later);
  EXPECT_FALSE(overdue["d1.arrival_briefing.amira"]);
  EXPECT_TRUE(overdue["d1.host_liaison.paulo"]);
  // Members of the deployment with their last contact (the batch above).
  bool found = false;
  for (const json& member : (*later)["members"]) {
    if (member["id"] != "amira") continue;
    found = true;
    EXPECT_EQ(member["last_contact_age_ms"], 60 * kMinute);
  }
  EXPECT_TRUE(found);

  auto missing = hq_->views().IncidentStatus("INC-404");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
}

TEST_F(HeadquartersTest, ACheckInPlacesItsMemberAndTheBoardSaysHowOldTheirNewestDataIs) {
  DeployBorder();
  auto member_of = [&](const std::string& id) {
    auto board = hq_->views().IncidentStatus("INC-1");
    EXPECT_TRUE(board.ok()) << board.status().ToString();
    for (const json& member : (*board)["members"]) {
      if (member["id"] == id) return member;
    }
    return json();
  };
  EXPECT_TRUE(member_of("amira")["data_at"].is_null());
  EXPECT_TRUE(member_of("amira")["position"].is_null());

  const Millis checked_in = clock_.Now();
  IngestOk("amira-1", {Entry(1, wire::PositionRecord{"46.2301,6.1012"})});
  clock_.Advance(10 * kMinute);
  const Millis noted = clock_.Now();
  IngestOk("amira-1", {Entry(2, wire::NoteRecord{"", "at the portal"})});
  // A later check-in made earlier on the laptop (it came late): the newest by time stands.
  hq::InboundRecord late = Entry(3, wire::PositionRecord{"46.0000,6.0000"});
  late.at = checked_in - kMinute;
  IngestOk("amira-1", {late});
  clock_.Advance(5 * kMinute);

  const json amira = member_of("amira");
  EXPECT_EQ(amira["position"]["place"], "46.2301,6.1012");
  EXPECT_EQ(amira["position"]["recorded_at"], checked_in);
  // The newest record is the one the laptop made last (seq 3), placed at its own time.
  EXPECT_EQ(amira["data_at"], checked_in - kMinute);
  EXPECT_EQ(amira["data_age_ms"], clock_.Now() - (checked_in - kMinute));
  EXPECT_NE(amira["data_at"], noted);
  EXPECT_EQ(amira["last_contact_age_ms"], 5 * kMinute);

  // The SITREP's last known location is the check-in, newer than any geolocation finding.
  auto sitrep = hq_->views().Sitrep("INC-1");
  ASSERT_TRUE(sitrep.ok()) << sitrep.status().ToString();
  bool placed = false;
  for (const json& member : (*sitrep)["team"]) {
    if (member["id"] != "amira") continue;
    placed = true;
    EXPECT_EQ(member["location"]["value"], "46.2301,6.1012");
    EXPECT_EQ(member["location"]["source"], "check-in");
  }
  EXPECT_TRUE(placed);

  // A position off the globe is refused, naming the rule; nothing is stored.
  auto outcome = hq_->ingest().Commit("amira-1", {Entry(4, wire::PositionRecord{"91,200"})});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  ASSERT_EQ(outcome->refused.size(), 1u);
  EXPECT_EQ(outcome->refused[0].second.code(), ErrorCode::kInvalidValue);
  EXPECT_NE(outcome->refused[0].second.message().find("latitude,longitude"), std::string::npos);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM positions"), 2);
}

TEST_F(HeadquartersTest, TheGeoJsonExportPlacesFindingsAndMembersAndKeepsToTheReleasability) {
  DeployBorder();
  IngestOk("jonas-1", {FindingRecord(1, "d1.secondary_inspection.jonas",
                                     {{"dose_rate_1m", 12.5}, {"neutrons_detected", false},
                                      {"hot_spot", "46.2332,6.1049"}})});
  wire::FindingRecord secret;
  secret.task = "d1.secondary_inspection.jonas";
  secret.values = {{"hot_spot", "46.2400,6.1100"}};
  secret.marking = "SECRET";
  IngestOk("jonas-1", {Entry(2, secret)});
  IngestOk("amira-1", {Entry(1, wire::PositionRecord{"46.2301,6.1012"})});

  auto all = hq_->views().GeoJson("INC-1", std::nullopt);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ((*all)["type"], "FeatureCollection");
  std::map<std::string, json> by_kind_and_who;
  for (const json& feature : (*all)["features"]) {
    EXPECT_EQ(feature["type"], "Feature");
    EXPECT_EQ(feature["geometry"]["type"], "Point");
    ASSERT_EQ(feature["geometry"]["coordinates"].size(), 2u);
    const double lon = feature["geometry"]["coordinates"][0];
    const double lat = feature["geometry"]["coordinates"][1];
    EXPECT_TRUE(lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90);
    by_kind_and_who[feature["properties"]["kind"].get<std::string>() + ":" +
                    feature["properties"].value("member", "") + ":" +
                    feature["properties"].value("marking", "")] = feature;
  }
  EXPECT_EQ((*all)["features"].size(), 4u) << (*all).dump(1);  // 2 findings, jonas, amira
  // RFC 7946 order: longitude first.
  const json amira = by_kind_and_who["member:amira:RESTRICTED // TLP:AMBER"];
  ASSERT_TRUE(amira.is_object()) << (*all).dump(1);
  EXPECT_EQ(amira["geometry"]["coordinates"], json({6.1012, 46.2301}));
  EXPECT_EQ(amira["properties"]["source"], "check-in");
  EXPECT_TRUE(by_kind_and_who.count("finding:jonas:SECRET // TLP:AMBER"));

  // A partner cleared for RESTRICTED // TLP:AMBER gets no SECRET finding; one cleared for
  // TLP:AMBER alone gets nothing classified at all.
  auto amber = hq_->views().GeoJson("INC-1", playbook::ParseMarking("RESTRICTED // TLP:AMBER"));
  ASSERT_TRUE(amber.ok());
  EXPECT_EQ((*amber)["features"].size(), 3u);
  EXPECT_EQ((*amber)["muster"]["withheld"], 1);
  for (const json& feature : (*amber)["features"]) {
    EXPECT_EQ(feature["properties"]["marking"].get<std::string>().find("SECRET"), std::string::npos);
  }
  auto tlp_only = hq_->views().GeoJson("INC-1", playbook::ParseMarking("TLP:AMBER"));
  ASSERT_TRUE(tlp_only.ok());
  EXPECT_TRUE((*tlp_only)["features"].empty());
  EXPECT_EQ((*tlp_only)["muster"]["withheld"], 4);
  EXPECT_EQ(hq_->views().GeoJson("INC-404", std::nullopt).status().code(), ErrorCode::kNotFound);
}

TEST_F(HeadquartersTest, IncidentFindingsListsWhatWasRecordedWithUnits) {
  DeployBorder();
  IngestOk("jonas-1", {FindingRecord(1, "d1.secondary_inspection.jonas",
                                     {{"dose_rate_1m", 12.5}, {"neutrons_detected", false}})});
  auto findings = hq_->views().IncidentFindings("INC-1");
  ASSERT_TRUE(findings.ok()) << findings.status().ToString();
  ASSERT_EQ(findings->size(), 1u);
  const json& finding = (*findings)[0];
  EXPECT_EQ(finding["task"], "d1.secondary_inspection.jonas");
  EXPECT_EQ(finding["agent"], "jonas-1");
  EXPECT_EQ(finding["seq"], 1);
  EXPECT_EQ(finding["values"]["dose_rate_1m"], 12.5);
  EXPECT_EQ(finding["units"]["dose_rate_1m"], "µSv/h");
  EXPECT_FALSE(finding["units"].contains("neutrons_detected"));
}

}  // namespace
}  // namespace muster::coordtest

namespace muster::coordtest {
namespace {

// SQLite's plan for |sql|, its steps joined by "; ".
std::string PlanOf(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement explain(db, "EXPLAIN QUERY PLAN " + sql);
  std::string plan;
  while (explain.executeStep()) plan += explain.getColumn(3).getString() + "; ";
  return plan;
}

TEST_F(HeadquartersTest, LookupsByMemberUseAnIndexNotAScanOfEveryAgentTaskOrAssignment) {
  SQLite::Database& db = hq_->database().db();
  // The agent that receives a member's deliveries (every task snapshot and team relay).
  EXPECT_NE(PlanOf(db, "SELECT id FROM agents WHERE member_id=? AND status='active' "
                       "ORDER BY created_at DESC, id DESC LIMIT 1")
                .find("USING INDEX agents_by_member"),
            std::string::npos);
  // A member's tasks (the backlog of a new agent) and assignments (the team picker).
  EXPECT_NE(PlanOf(db, "SELECT id FROM tasks WHERE member_id=?").find("tasks_by_member"),
            std::string::npos);
  EXPECT_NE(PlanOf(db, "SELECT 1 FROM assignments WHERE member_id=?")
                .find("assignments_by_member"),
            std::string::npos);
}

}  // namespace
}  // namespace muster::coordtest
