#include "pruner.h"

#include "relay/relay_queue.h"

#include <chrono>

#include "muster/log.h"

namespace muster::agent {

Pruner::Pruner(std::unique_ptr<AgentStore> store, const Clock& clock, Millis retention)
    : store_(std::move(store)), clock_(clock), retention_(retention) {
  thread_ = std::thread([this] { Loop(); });
}

Pruner::~Pruner() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

Result<Outbox::Pruned> Pruner::PruneOnce() {
  std::lock_guard lock(pass_);
  const Millis cutoff = clock_.Now() - retention_;
  auto pruned = store_->outbox().Prune(cutoff);
  if (!pruned.ok()) return pruned;
  // As the field relay: teammates' records HQ held long ago.
  auto relayed = RelayQueue(store_->database(), clock_, store_->agent_id()).Prune(cutoff);
  if (!relayed.ok()) return relayed.status();
  pruned->relayed = *relayed;
  return pruned;
}

void Pruner::Loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    auto pruned = PruneOnce();
    if (!pruned.ok()) {
      Logger("agent")->warn("event=prune_failed error=\"{}\"; tried again in an hour",
                            pruned.status().message());
    } else if (pruned->records > 0 || pruned->files > 0 || pruned->relayed > 0) {
      Logger("agent")->info("event=pruned records={} files={} relayed={} retention_hours={}",
                            pruned->records, pruned->files, pruned->relayed,
                            retention_ / 3'600'000);
    }
    lock.lock();
    wake_.wait_for(lock, std::chrono::hours(1), [this] { return stopping_; });
  }
}

}  // namespace muster::agent
