// What wakes the idle daemon besides HQ: a change to the local store (a CLI verb recorded
// something) and a request to stop. Both are file descriptors the link polls next to its
// ZeroMQ socket, so the daemon sleeps until something happens instead of polling the store.
//
// Store changes are seen through inotify on the data directory: every commit, by any
// process, appends to agent.db-wal. The daemon's own commits wake it too; it then finds
// nothing new to send and sleeps again (its reads write nothing). Where inotify is
// unavailable (or |data_dir| is empty), changes_fd() is -1 and the link checks the outbox
// on a timer instead.
//
// Not thread-safe, except Interrupt(), which any thread may call.
#pragma once

#include <string>

namespace muster::agent {

class StoreWatch {
 public:
  explicit StoreWatch(const std::string& data_dir);  // empty: interrupts only
  ~StoreWatch();
  StoreWatch(const StoreWatch&) = delete;
  StoreWatch& operator=(const StoreWatch&) = delete;

  int changes_fd() const { return inotify_fd_; }  // -1 when store changes cannot be watched
  int interrupt_fd() const { return event_fd_; }
  // Consumes the pending change events (the link then looks at the outbox).
  void Drain();
  // Wakes whoever polls interrupt_fd() (the daemon's stop request).
  void Interrupt();

 private:
  int inotify_fd_ = -1;
  int event_fd_ = -1;
};

}  // namespace muster::agent
