// The audit log on a real SQLite file: every HQ change leaves one chained entry, the
// table refuses edits, and an edit made around the triggers is found at its exact entry.
#include <gtest/gtest.h>

#include <sstream>

#include "audit_commands.h"
#include "store/audit_chain.h"
#include "hq_fixture.h"

namespace muster::coordtest {
namespace {

// A filter on one text field, e.g. Only(&hq::AuditFilter::action, "agent.").
hq::AuditFilter Only(std::string hq::AuditFilter::*field, const std::string& value) {
  hq::AuditFilter filter;
  filter.*field = value;
  return filter;
}

hq::AuditFilter Newest(int limit, Millis since = 0) {
  hq::AuditFilter filter;
  filter.limit = limit;
  filter.since = since;
  return filter;
}

hq::MemberInput Member(const std::string& id) {
  hq::MemberInput input;
  input.id = id;
  return input;
}

class HqAuditTest : public HeadquartersTest {
 protected:
  json Log(const hq::AuditFilter& filter = {}) {
    auto entries = hq_->audit().Query(filter);
    EXPECT_TRUE(entries.ok()) << entries.status().ToString();
    return entries.ok() ? *entries : json::array();
  }
  hq::AuditVerdict Verify() {
    auto verdict = hq_->audit().Verify();
    EXPECT_TRUE(verdict.ok()) << verdict.status().ToString();
    return verdict.ok() ? *verdict : hq::AuditVerdict{};
  }
  std::vector<std::string> Actions(const json& entries) {
    std::vector<std::string> actions;
    for (const json& entry : entries) actions.push_back(entry["action"]);
    return actions;
  }
};

TEST_F(HqAuditTest, EveryConsoleChangeLeavesOneEntryWithItsActorAndOrigin) {
  hq::IncidentInput incident;
  incident.title = "Portal alarm";
  ASSERT_TRUE(hq_->incidents().Create(incident, {"dana", "api 127.0.0.1:5000"}).ok());
  DeployBorder();
  json entries = Log(Newest(1000));
  ASSERT_GE(entries.size(), 11u);
  EXPECT_EQ(entries[0]["action"], "incident.create");
  EXPECT_EQ(entries[0]["subject"], "INC-0001");
  EXPECT_EQ(entries[0]["actor"], "dana");
  EXPECT_EQ(entries[0]["origin"], "api 127.0.0.1:5000");
  // DeployBorder: an incident, four members with an agent each, a publish, a deployment.
  EXPECT_EQ(Actions(entries),
            (std::vector<std::string>{"incident.create", "incident.create", "member.create",
                                      "agent.enroll", "member.create", "agent.enroll",
                                      "member.create", "agent.enroll", "member.create",
                                      "agent.enroll", "playbook.publish", "deployment.create"}));
  EXPECT_EQ(entries.back()["detail"]["incident"], "INC-1");
  hq::AuditVerdict verdict = Verify();
  EXPECT_TRUE(verdict.intact()) << verdict.problem;
  EXPECT_EQ(verdict.entries, 12);
  EXPECT_EQ(verdict.head_hash, entries.back()["hash"]);
}

TEST_F(HqAuditTest, ARefusedChangeLeavesNoEntry) {
  AddMember("amira", {"team_leader"});
  const std::int64_t before = Count("SELECT COUNT(*) FROM audit");
  EXPECT_FALSE(hq_->roster().Add(Member("amira"), "dana").ok());  // exists already
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit"), before);
}

TEST_F(HqAuditTest, ABatchFromAnAgentIsOneEntryNamingItsSequenceRange) {
  DeployBorder();
  const std::int64_t before = Count("SELECT COUNT(*) FROM audit");
  auto outcome = hq_->ingest().Commit("amira-1",
                                {StatusRecord(1, "d1.arrival_briefing.amira", "acknowledged"),
                                 StatusRecord(2, "d1.arrival_briefing.amira", "in_progress"),
                                 StatusRecord(3, "d1.arrival_briefing.amira", "completed")},
                                "10.0.0.5");
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit"), before + 1);
  json entry = Log(Only(&hq::AuditFilter::action, "records.ingest")).back();
  EXPECT_EQ(entry["actor"], "agent:amira-1");
  EXPECT_EQ(entry["origin"], "agent:amira-1@10.0.0.5");
  EXPECT_EQ(entry["detail"]["first"], 1);
  EXPECT_EQ(entry["detail"]["last"], 3);
  EXPECT_EQ(entry["detail"]["records"], 3);
  // The same batch again changes nothing and adds no entry.
  ASSERT_TRUE(hq_->ingest().Commit("amira-1", {StatusRecord(3, "d1.arrival_briefing.amira",
                                                      "completed")}).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit"), before + 1);
}

TEST_F(HqAuditTest, ARecordForAnotherMembersTaskIsAuditedAsForbidden) {
  DeployBorder();
  auto outcome = IngestOk("amira-1", {StatusRecord(1, "d1.secondary_inspection.jonas",
                                                   "completed")});
  ASSERT_EQ(outcome.refused.size(), 1u);
  EXPECT_EQ(TaskState("d1.secondary_inspection.jonas"), "waiting");
  json forbidden = Log(Only(&hq::AuditFilter::action, "record.forbidden"));
  ASSERT_EQ(forbidden.size(), 1u);
  EXPECT_EQ(forbidden[0]["subject"], "amira-1");
  EXPECT_EQ(forbidden[0]["detail"]["task"], "d1.secondary_inspection.jonas");
  EXPECT_EQ(forbidden[0]["detail"]["seq"], 1);
}

TEST_F(HqAuditTest, TheTableRefusesUpdatesAndDeletes) {
  AddMember("amira", {"team_leader"});
  EXPECT_THROW(hq_->database().db().exec("UPDATE audit SET actor='mallory'"), SQLite::Exception);
  EXPECT_THROW(hq_->database().db().exec("DELETE FROM audit"), SQLite::Exception);
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT actor FROM audit WHERE seq=1"), "test");
}

TEST_F(HqAuditTest, AnEditAroundTheTriggerIsFoundAtItsEntry) {
  DeployBorder();
  hq_->database().db().exec("DROP TRIGGER audit_no_update");
  hq_->database().db().exec("UPDATE audit SET actor='mallory' WHERE seq=4");
  hq::AuditVerdict verdict = Verify();
  ASSERT_FALSE(verdict.intact());
  EXPECT_EQ(*verdict.broken_seq, 4);
  EXPECT_NE(verdict.problem.find("edited"), std::string::npos) << verdict.problem;
  EXPECT_EQ(verdict.entries, 3);
}

TEST_F(HqAuditTest, ARehashedEditBreaksTheLinkToTheNextEntry) {
  DeployBorder();
  hq_->database().db().exec("DROP TRIGGER audit_no_update");
  // A forger who recomputes the edited entry's own hash still breaks the next link.
  const std::string prev = QueryText(hq_->database().db(), "SELECT prev_hash FROM audit WHERE seq=4");
  const std::string at = QueryText(hq_->database().db(), "SELECT at FROM audit WHERE seq=4");
  const std::string origin = QueryText(hq_->database().db(), "SELECT origin FROM audit WHERE seq=4");
  const std::string action = QueryText(hq_->database().db(), "SELECT action FROM audit WHERE seq=4");
  const std::string subject = QueryText(hq_->database().db(), "SELECT subject FROM audit WHERE seq=4");
  const std::string detail = QueryText(hq_->database().db(), "SELECT detail FROM audit WHERE seq=4");
  const std::string forged =
      hq::AuditHash(4, std::stoll(at), "mallory", origin, action, subject, detail, prev);
  hq_->database().db().exec("UPDATE audit SET actor='mallory', hash='" + forged + "' WHERE seq=4");
  hq::AuditVerdict verdict = Verify();
  ASSERT_FALSE(verdict.intact());
  EXPECT_EQ(*verdict.broken_seq, 5);
  EXPECT_NE(verdict.problem.find("does not follow"), std::string::npos) << verdict.problem;
}

TEST_F(HqAuditTest, ADeletedEntryIsNamed) {
  DeployBorder();
  hq_->database().db().exec("DROP TRIGGER audit_no_delete");
  hq_->database().db().exec("DELETE FROM audit WHERE seq=2");
  hq::AuditVerdict verdict = Verify();
  ASSERT_FALSE(verdict.intact());
  EXPECT_EQ(*verdict.broken_seq, 2);
  EXPECT_NE(verdict.problem.find("missing"), std::string::npos) << verdict.problem;
}

TEST_F(HqAuditTest, TheConsoleVerifiesAStoreFileOfflineAndNamesTheBrokenEntry) {
  DeployBorder();
  const std::string db_path = dir_.File("muster.db");
  auto intact = console::VerifyAuditFile(db_path);
  ASSERT_TRUE(intact.ok()) << intact.status().ToString();
  std::ostringstream out;
  EXPECT_EQ(console::PrintAuditVerdict(*intact, false, out), 0);
  EXPECT_EQ(out.str().rfind("audit chain intact: 11 entries, head ", 0), 0u) << out.str();

  hq_->database().db().exec("DROP TRIGGER audit_no_update");
  hq_->database().db().exec("UPDATE audit SET detail='{}' WHERE seq=7");
  auto broken = console::VerifyAuditFile(db_path);
  ASSERT_TRUE(broken.ok());
  std::ostringstream report;
  EXPECT_EQ(console::PrintAuditVerdict(*broken, false, report), 1);
  EXPECT_EQ(report.str().rfind("audit chain BROKEN at entry 7: ", 0), 0u) << report.str();
  auto shown = console::ShowAuditFile(db_path, Only(&hq::AuditFilter::action, "agent.enroll"));
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->size(), 4u);
  EXPECT_EQ(console::VerifyAuditFile(dir_.File("absent.db")).status().code(), ErrorCode::kNotFound);
}

TEST_F(HqAuditTest, FiltersSelectByActorActionPrefixSubjectTimeAndLimit) {
  ASSERT_TRUE(hq_->roster().Add(Member("amira"), "dana").ok());
  clock_.Advance(60'000);
  const Millis later = clock_.Now();
  ASSERT_TRUE(hq_->roster().Add(Member("jonas"), "erik").ok());
  ASSERT_TRUE(hq_->registry().Enroll("jonas", "key-j", hq::DeviceRule::kOnly, "erik").ok());
  EXPECT_EQ(Log(Only(&hq::AuditFilter::actor, "erik")).size(), 2u);
  EXPECT_EQ(Log(Only(&hq::AuditFilter::action, "member.")).size(), 2u);
  // Exact unless it ends in a dot.
  EXPECT_EQ(Log(Only(&hq::AuditFilter::action, "member")).size(), 0u);
  EXPECT_EQ(Log(Only(&hq::AuditFilter::subject, "amira")).size(), 1u);
  EXPECT_EQ(Log(Newest(100, later)).size(), 2u);
  json newest = Log(Newest(1));
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0]["action"], "agent.enroll");
}

}  // namespace
}  // namespace muster::coordtest
