// Shared helpers for the coordinator suites: a temp directory per test, the border
// playbook, and a fixture of HQ's core with the demo team (four members, each enrolled).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "service/headquarters.h"
#include "temp_dir.h"
#include "fake_clock.h"
#include "muster/clock.h"

namespace muster::coordtest {

using nlohmann::json;

// A fresh directory per test and the permission bits of a file: shared with tests/core.
using testing::FileMode;
using testing::TempDir;

// The self-contained source of playbooks/radioactive-material-border-seizure.yaml.
const std::string& BorderPlaybookSource();

// One value or the first row's first column of |sql|, as text ("" when no row).
std::string QueryText(SQLite::Database& db, const std::string& sql);
std::int64_t QueryInt(SQLite::Database& db, const std::string& sql);

// The deliveries of one kind ("task", "team", ...), in order.
std::vector<hq::Delivery> OfKind(const std::vector<hq::Delivery>& deliveries,
                                 const std::string& kind);

// HQ's core (Headquarters) on a real SQLite file in a temp dir, with a FakeClock.
class HeadquartersTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // An open incident |id| of high severity; must succeed.
  void CreateIncident(const std::string& id, const std::string& title, bool exercise = false);
  // A member with roster roles (and qualifications); CreateMember must succeed.
  void AddMember(const std::string& id, const std::vector<std::string>& roles,
                 const std::vector<std::string>& qualifications = {});
  // Each member with one roster role and an agent; then a deployment of |source| on
  // incident INC-1 (which must exist), the roster picking the team; must succeed.
  void DeployTeam(const std::vector<std::pair<std::string, std::string>>& member_roles,
                  const std::string& source);
  // Enrols an agent with a made-up unique key; returns the agent id.
  std::string EnrollAgent(const std::string& member,
                          hq::DeviceRule rule = hq::DeviceRule::kOnly);
  // Incident INC-1; the four demo members (amira team_leader, jonas radiation_specialist,
  // li forensic_examiner, paulo liaison_officer), each with an agent and the qualifications
  // the role asks; one deployment of the border playbook from the roster. Returns the
  // deployment.
  // With |exercise|, INC-1 is opened as an exercise.
  json DeployBorder(bool exercise = false);
  // Green notice G-2026-0412 (Ivan PETROV) on HQ's watchlist, assigned to INC-1; must
  // succeed.
  void WatchForIvanPetrov();

  // An inbound record of a typed kind, made now.
  template <typename T>
  hq::InboundRecord Entry(std::uint64_t seq, const T& record) {
    return wire::MakeEntry(seq, clock_.Now(), record);
  }
  hq::InboundRecord StatusRecord(std::uint64_t seq, const std::string& task, const std::string& state);
  hq::InboundRecord FindingRecord(std::uint64_t seq, const std::string& task, const json& values);
  hq::InboundRecord TriggerRecord(std::uint64_t seq, const std::string& task,
                            const std::string& trigger);
  // Ingest that must succeed as a batch.
  hq::IngestOutcome IngestOk(const std::string& agent, const std::vector<hq::InboundRecord>& records);

  std::string TaskState(const std::string& task_id);
  bool TaskDormant(const std::string& task_id);
  std::int64_t Count(const std::string& sql) { return QueryInt(hq_->database().db(), sql); }
  std::vector<hq::Delivery> Deliveries(const std::string& agent, std::uint64_t after = 0);

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<hq::Headquarters> hq_;
  int next_key_ = 0;
};

}  // namespace muster::coordtest
