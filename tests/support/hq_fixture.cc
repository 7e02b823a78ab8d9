#include "hq_fixture.h"

#include <SQLiteCpp/Statement.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "muster/playbook/load.h"

namespace muster::coordtest {

const std::string& BorderPlaybookSource() {
  static const std::string source = [] {
    auto loaded = playbook::LoadFile(std::string(MUSTER_SOURCE_DIR) +
                                     "/playbooks/radioactive-material-border-seizure.yaml");
    std::string diagnostics;
    for (const auto& diagnostic : loaded.diagnostics) diagnostics += diagnostic.ToString() + "\n";
    EXPECT_TRUE(loaded.ok()) << "the border playbook does not load:\n" << diagnostics;
    return loaded.ok() ? loaded.playbook->source : std::string();
  }();
  return source;
}

std::string QueryText(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement query(db, sql);
  if (!query.executeStep()) return "";
  return query.getColumn(0).isNull() ? "" : query.getColumn(0).getString();
}

std::int64_t QueryInt(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement query(db, sql);
  if (!query.executeStep()) return -1;
  return query.getColumn(0).getInt64();
}

void HeadquartersTest::SetUp() {
  auto opened = hq::Headquarters::Open(dir_.File("muster.db"), clock_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  hq_ = std::move(opened).value();
}

void HeadquartersTest::AddMember(const std::string& id, const std::vector<std::string>& roles,
                            const std::vector<std::string>& qualifications) {
  hq::MemberInput input;
  input.id = id;
  input.roles = roles;
  input.qualifications = qualifications;
  auto created = hq_->roster().Add(input, "test");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
}

std::string HeadquartersTest::EnrollAgent(const std::string& member, hq::DeviceRule rule) {
  auto agent =
      hq_->registry().Enroll(member, "test-key-" + std::to_string(++next_key_), rule, "test");
  EXPECT_TRUE(agent.ok()) << agent.status().ToString();
  return agent.ok() ? agent->agent_id : std::string();
}

void HeadquartersTest::CreateIncident(const std::string& id, const std::string& title,
                                      bool exercise) {
  hq::IncidentInput incident;
  incident.id = id;
  incident.exercise = exercise;
  incident.title = title;
  incident.severity = "high";
  auto created = hq_->incidents().Create(incident, "test");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
}

void HeadquartersTest::DeployTeam(
    const std::vector<std::pair<std::string, std::string>>& member_roles,
    const std::string& source) {
  for (const auto& [member, role] : member_roles) {
    AddMember(member, {role});
    EnrollAgent(member);
  }
  hq::DeployInput input;
  input.incident_id = "INC-1";
  input.playbook_source = source;
  auto deployment = hq_->deployments().Deploy(input, nullptr);
  ASSERT_TRUE(deployment.ok()) << deployment.status().ToString();
}

json HeadquartersTest::DeployBorder(bool exercise) {
  CreateIncident("INC-1", "Portal alarm", exercise);
  struct Member {
    std::string id, role;
    std::vector<std::string> qualifications;  // what the border playbook's role asks
  };
  for (const Member& member :
       std::vector<Member>{{"amira", "team_leader", {"incident_command"}},
                           {"jonas", "radiation_specialist",
                            {"radiation_protection", "riid_operation"}},
                           {"li", "forensic_examiner",
                            {"crime_scene_examination", "contaminated_evidence"}},
                           {"paulo", "liaison_officer", {}}}) {
    AddMember(member.id, {member.role}, member.qualifications);
    EnrollAgent(member.id);
  }
  hq::DeployInput input;
  input.incident_id = "INC-1";
  input.playbook_source = BorderPlaybookSource();
  std::vector<std::string> notify;
  auto deployment = hq_->deployments().Deploy(input, &notify);
  EXPECT_TRUE(deployment.ok()) << deployment.status().ToString();
  return deployment.ok() ? *deployment : json();
}

void HeadquartersTest::WatchForIvanPetrov() {
  std::vector<std::string> notify;
  watchlist::Entry entry;
  entry.notice_id = "G-2026-0412";
  entry.notice_type = "green";
  entry.names = {"Ivan PETROV"};
  ASSERT_TRUE(hq_->watchlist().Set({entry}, "amira", &notify).ok());
  ASSERT_TRUE(hq_->watchlist().Assign("INC-1", {"G-2026-0412"}, "", "amira", &notify).ok());
}

hq::InboundRecord HeadquartersTest::StatusRecord(std::uint64_t seq, const std::string& task,
                                      const std::string& state) {
  return Entry(seq, wire::StatusRecord{task, state, ""});
}

hq::InboundRecord HeadquartersTest::FindingRecord(std::uint64_t seq, const std::string& task,
                                       const json& values) {
  return Entry(seq, wire::FindingRecord{task, values, {}, {}, ""});
}

hq::InboundRecord HeadquartersTest::TriggerRecord(std::uint64_t seq, const std::string& task,
                                       const std::string& trigger) {
  return Entry(seq, wire::TriggerRecord{task, trigger});
}

hq::IngestOutcome HeadquartersTest::IngestOk(const std::string& agent,
                                        const std::vector<hq::InboundRecord>& records) {
  auto outcome = hq_->ingest().Commit(agent, records);
  EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
  return outcome.ok() ? *outcome : hq::IngestOutcome{};
}

std::string HeadquartersTest::TaskState(const std::string& task_id) {
  SQLite::Statement query(hq_->database().db(), "SELECT state FROM tasks WHERE id=?");
  query.bind(1, task_id);
  return query.executeStep() ? query.getColumn(0).getString() : "missing";
}

bool HeadquartersTest::TaskDormant(const std::string& task_id) {
  SQLite::Statement query(hq_->database().db(), "SELECT dormant FROM tasks WHERE id=?");
  query.bind(1, task_id);
  return query.executeStep() && query.getColumn(0).getInt() != 0;
}

std::vector<hq::Delivery> OfKind(const std::vector<hq::Delivery>& deliveries,
                                 const std::string& kind) {
  std::vector<hq::Delivery> kept;
  for (const hq::Delivery& delivery : deliveries) {
    if (delivery.kind == kind) kept.push_back(delivery);
  }
  return kept;
}

std::vector<hq::Delivery> HeadquartersTest::Deliveries(const std::string& agent, std::uint64_t after) {
  auto pending = hq_->deliveries().Pending(agent, after, 10'000);
  EXPECT_TRUE(pending.ok()) << pending.status().ToString();
  std::vector<hq::Delivery> entries;
  if (pending.ok()) {
    for (const auto& queued : *pending) {
      entries.push_back(queued.Unpacked());
      EXPECT_EQ(queued.text_bytes, entries.back().body.dump().size());
    }
  }
  return entries;
}

}  // namespace muster::coordtest
