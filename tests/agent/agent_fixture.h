// Shared set-up for the agent tests: a fresh data directory, a fake clock, a bundle with
// real keys, and the shipped border-seizure playbook delivered as HQ delivers it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent_store.h"
#include "muster/bundle.h"
#include "fake_clock.h"
#include "muster/clock.h"
#include "muster/playbook/model.h"
#include "temp_dir.h"

namespace muster::agent::testing {

inline constexpr const char kMember[] = "m.okafor";
inline constexpr const char kHqId[] = "hq-3f2a";

// The shipped playbook, loaded once from playbooks/ (with its libraries from disk).
const playbook::Playbook& BorderSeizure();

Bundle MakeBundle(const std::string& agent_id = "agent-7");

// HQ's task id for a step of deployment |deployment| assigned to kMember.
std::string TaskIdOf(const std::string& step, std::int64_t deployment = 1);

// A "playbook" delivery: {hash, id, version, source}, as coordinator/domain/deployments.cc sends it.
Delivery PlaybookDelivery(std::uint64_t seq, const playbook::Playbook& book = BorderSeizure());

// A "task" delivery shaped like the task snapshot HQ queues (coordinator/sync/dispatch.cc).
struct TaskSpec {
  std::string step;
  std::string state = "waiting";
  bool dormant = false;
  std::string reason;
  std::int64_t deployment = 1;
  std::optional<Millis> due_at;
  nlohmann::json waits_on = nlohmann::json::array();
  std::string member = kMember;
};
Delivery TaskDelivery(std::uint64_t seq, const TaskSpec& spec,
                      const playbook::Playbook& book = BorderSeizure());

// One waits_on entry as HQ relays it.
nlohmann::json WaitsOn(const std::string& step, const std::string& state,
                       const std::string& member = kMember, std::int64_t deployment = 1);

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // Whether the test's store is sealed (muster/sealed_vfs.h) with master_, as every store
  // set up with a passphrase is; tests that run the real CLI on dir_ without a daemon to
  // hand it the key use a plain one.
  virtual bool Sealed() const { return true; }
  // The key to open dir_'s store with: &master_, or null when it is plain.
  const SecretBytes* Key() const { return Sealed() ? &master_ : nullptr; }

  // dir_'s store as SQLite sees it (opened with the store's key when sealed), for tests
  // that read or edit it behind the agent's back.
  std::unique_ptr<SQLite::Database> RawStore();

  // Reopens the store (a new AgentStore, as each CLI verb does).
  std::unique_ptr<AgentStore> OpenAnother();

  // Delivers the playbook and four tasks of deployment 1 (seqs 1..5):
  //   secondary_inspection  ready
  //   establish_cordon      waiting on secondary_inspection (own)
  //   expand_cordon         waiting, dormant (on_trigger)
  //   identify_nuclide      waiting on secondary_inspection (own)
  void Deploy();

  Task GetTask(const std::string& step);
  std::string StateOf(const std::string& step);

  muster::testing::TempDir dir_;
  FakeClock clock_;
  Bundle bundle_;
  SecretBytes master_;  // a random vault key (vault/vault.h)
  std::unique_ptr<AgentStore> store_;
};

}  // namespace muster::agent::testing

namespace muster::agent::testing {

// |text| contains |part| / does not contain it; the failure shows the whole text.
inline ::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << part << "' is not in:\n" << text;
}
inline ::testing::AssertionResult Lacks(const std::string& text, const std::string& part) {
  if (text.find(part) == std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << part << "' should not be in:\n" << text;
}

}  // namespace muster::agent::testing
