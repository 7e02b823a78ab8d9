// A deployed team on an emulated field link, for the thin-link tests and the thin-link
// benchmark: a real coordinator on tcp://127.0.0.1 (CURVE, SQLite), one LinkEmulator
// between it and every agent (the team shares the terminal, as in the field), and one
// real agent link (muster-agent's Link, its own store and ZeroMQ context) per member.
//
// Not thread-safe: one test thread drives it; each agent's link runs in its own thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent_store.h"
#include "api_client.h"
#include "service/coordinator.h"
#include "link.h"
#include "link_emulator.h"
#include "relay/relay_link.h"
#include "relay/relay_server.h"
#include "muster/bundle.h"
#include "muster/clock_offset.h"
#include "muster/secret_bytes.h"

namespace muster::testing {

// A playbook of four independent steps for one role, each with a reading, a note and a
// photo: what a survey team records (the rig assigns the role to every member).
std::string SurveyPlaybook();

struct TeamRigOptions {
  int members = 4;
  std::string playbook = SurveyPlaybook();
  agent::LinkOptions link;  // every agent's link options
  hq::Config coordinator;   // data_dir, bind and ports are the rig's
  // How far member i's laptop clock is from the true one (its clock reads the true time
  // plus this); members past the end of the list are right.
  std::vector<Millis> laptop_clock_shifts;
  // The member whose link forwards the team's records as its field relay (-1: none).
  int relay = -1;
  // Every laptop's store sealed with a random key, as after `muster-agent unlock
  // --set-passphrase` (only a sealed store keeps a watchlist).
  bool sealed = false;
  // INC-1 is opened as an exercise (docs/programme.md).
  bool exercise = false;
};

class TeamRig {
 public:
  explicit TeamRig(TeamRigOptions options = {});
  ~TeamRig();
  TeamRig(const TeamRig&) = delete;
  TeamRig& operator=(const TeamRig&) = delete;

  LinkEmulator& link() { return *link_; }
  console::ApiClient& api() { return *api_; }
  hq::Coordinator& coordinator() { return *hq_; }
  const std::string& root() const { return root_; }
  int size() const { return static_cast<int>(members_.size()); }
  const std::string& member(int i) const { return members_[i]; }
  agent::AgentStore& store(int i) { return *agents_[i]->store; }
  const Bundle& bundle(int i) const { return agents_[i]->bundle; }
  const Clock& laptop_clock(int i) const { return *agents_[i]->clock; }
  // What member |i|'s link did (live while it runs, final after StopAgents).
  agent::LinkStats stats(int i) const;

  // Starts (or stops) every member's link daemon.
  void StartAgents();
  void StopAgents();
  // Starts (or stops) member |i|'s link daemon alone.
  void StartAgent(int i);
  void StopAgent(int i);
  // The team's field relay on site (options.relay): its server on 127.0.0.1, and every
  // other member's link to it, each on a store connection of its own as `muster-agent
  // run` opens them. The relay's link to HQ is its member's (StartAgent).
  void StartSite();
  void StopSite();
  agent::RelayServer& relay_server() { return *relay_server_; }
  agent::AgentStore& relay_store() { return *relay_store_; }
  // A store connection of member |i|'s own, as a verb opens one (the rig's own is its
  // link's, which a verb must not share).
  std::unique_ptr<agent::AgentStore> OpenStore(int i);

  // Starts the coordinator again on the same data and port (after StopCoordinator).
  void StopCoordinator();
  void StartCoordinator();

  // Every agent holds its tasks and a team snapshot, and is welcomed.
  bool WaitUntilDeployed(int seconds);
  // Records still waiting at the agents, all members together.
  std::uint64_t Pending();
  bool AllConnected();

  // One value from HQ's store (read-only connection), e.g. a COUNT(*).
  std::int64_t HqScalar(const std::string& sql);
  std::string HqText(const std::string& sql);

  // The survey scenario: what member |i| records (offline or not) through the agent's
  // verbs: 10 status changes (three steps acknowledged, started and completed, the fourth
  // acknowledged) and 5 findings, the last with |photo| attached.
  void RecordSurvey(int i, const std::string& photo);
  static constexpr int kSurveyStatuses = 10;
  static constexpr int kSurveyFindings = 5;
  // A file of |bytes| that does not compress (a photo), written under the rig's root.
  std::string WritePhoto(const std::string& name, std::size_t bytes, std::uint32_t seed);

  // When (HQ's clock, ms) HQ had every record of |kind| from the team, counting
  // |expected| of them; 0 while it has fewer.
  Millis AllHeldAt(const std::string& kind, int expected);
  // When every attached file was verified at HQ (|expected| of them); 0 while fewer are.
  Millis AllFilesVerifiedAt(int expected);
  // When the first attachment chunk left an agent (its receipt's sent time), 0 if none.
  Millis FirstChunkSentAt();
  // A task id of member |i| for |step|.
  std::string Task(int i, const std::string& step) const;

 private:
  struct Agent {
    std::unique_ptr<OffsetClock> clock;  // the laptop's clock
    Bundle bundle;
    std::optional<SecretBytes> master;  // the vault key of a sealed store
    std::unique_ptr<agent::AgentStore> store;
    std::unique_ptr<agent::Link> link;
    agent::LinkStats stats;
    std::atomic<bool> stop{false};
    std::thread thread;
  };

  TeamRigOptions options_;
  SystemClock clock_;
  std::string root_;
  std::unique_ptr<hq::Coordinator> hq_;
  std::unique_ptr<LinkEmulator> link_;
  std::unique_ptr<console::ApiClient> api_;
  std::vector<std::string> members_;
  std::vector<std::unique_ptr<Agent>> agents_;
  std::int64_t deployment_ = 0;
  // The field relay on site (StartSite).
  std::atomic<bool> site_stop_{false};
  std::unique_ptr<agent::AgentStore> relay_store_;
  std::unique_ptr<agent::RelayServer> relay_server_;
  std::vector<std::unique_ptr<agent::AgentStore>> site_stores_;
  std::vector<std::unique_ptr<agent::RelayLink>> site_links_;
  std::vector<std::thread> site_threads_;
};

// Polls |condition| every 50 ms until it holds or |seconds| pass.
bool WaitUntil(const std::function<bool()>& condition, double seconds);

}  // namespace muster::testing
