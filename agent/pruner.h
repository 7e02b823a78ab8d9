// The daemon's retention: what HQ acknowledged longer ago than `retention` (agent.yaml,
// default 14 days) and this laptop no longer needs is deleted from the store, with the
// copies of attached files (Outbox::Prune says exactly what goes and what never does).
// A lost laptop then holds at most the last `retention` of acknowledged work, plus what
// HQ does not hold yet; a field relay's laptop likewise of its teammates' records. It runs once at start and then every hour, on its own thread
// over its own connection to the store; the pruned pages are freed at the next
// checkpoint (SQLite reuses them; sealed pages are ciphertext whatever they held).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "agent_store.h"
#include "muster/clock.h"

namespace muster::agent {

inline constexpr Millis kDefaultRetention = 14LL * 86'400'000;

class Pruner {
 public:
  // |store| is a connection of the pruner's own; |clock| must outlive the pruner.
  Pruner(std::unique_ptr<AgentStore> store, const Clock& clock, Millis retention);
  ~Pruner();  // stops the thread and waits for it
  Pruner(const Pruner&) = delete;
  Pruner& operator=(const Pruner&) = delete;

  // One pass now (the thread's; tests call it too: passes never overlap).
  Result<Outbox::Pruned> PruneOnce();

 private:
  void Loop();

  std::unique_ptr<AgentStore> store_;
  const Clock& clock_;
  Millis retention_;
  std::mutex pass_;  // one pass at a time over store_
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace muster::agent
