#include "pruner.h"

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
  return store_->outbox().Prune(clock_.Now() - retention_);
}

void Pruner::Loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    auto pruned = PruneOnce();
    if (!pruned.ok()) {
      Logger("agent")->warn("event=prune_failed error=\"{}\"; tried again in an hour",
                            pruned.status().message());
    } else if (pruned->records > 0 || pruned->files > 0) {
      Logger("agent")->info("event=pruned records={} files={} retention_hours={}", pruned->records,
                            pruned->files, retention_ / 3'600'000);
    }
    lock.lock();
    wake_.wait_for(lock, std::chrono::hours(1), [this] { return stopping_; });
  }
}

}  // namespace muster::agent
