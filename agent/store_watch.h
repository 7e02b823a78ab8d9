// What wakes the idle daemon besides HQ: new records in the outbox (a CLI verb recorded
// something) and a request to stop. Both are file descriptors the link polls next to its
// ZeroMQ socket, so the daemon sleeps until something happens instead of polling the store.
//
// New records are announced by a signal file, DATA_DIR/outbox.signal: after every commit
// that added outbox records, the writer (outbox.h, in any process) opens the file for
// writing and closes it again, with SignalOutboxChanged(). The close comes strictly after
// the commit returned, so whoever sees the event and then reads the store sees the
// records. (The store's own files are no such signal: SQLite appends a commit to
// agent.db-wal before it syncs the log and publishes the commit in agent.db-shm, which is
// a shared mapping and makes no inotify event, so a reader woken by the write to the log
// can find nothing new and sleep past the record.)
//
// StoreWatch watches the data directory with inotify and reports a change only for events
// that name the signal file (or a lost-events overflow); the daemon's own writes, which
// add no records, do not wake it. Where inotify is unavailable (or |data_dir| is empty),
// changes_fd() is -1 and the link checks the outbox on a timer instead.
//
// Not thread-safe, except Interrupt(), which any thread may call.
#pragma once

#include <string>

#include "muster/result.h"

namespace muster::agent {

// The signal file's name within the data directory.
inline constexpr char kOutboxSignalFile[] = "outbox.signal";

// Tells every StoreWatch on |data_dir| that the outbox has new records: creates or
// touches DATA_DIR/outbox.signal. Call only after the records' commit returned. A failure
// means only that a daemon may learn of the records later (at its next refresh); the
// records themselves are committed, so callers log it and go on.
Status SignalOutboxChanged(const std::string& data_dir);

class StoreWatch {
 public:
  explicit StoreWatch(const std::string& data_dir);  // empty: interrupts only
  ~StoreWatch();
  StoreWatch(const StoreWatch&) = delete;
  StoreWatch& operator=(const StoreWatch&) = delete;

  int changes_fd() const { return inotify_fd_; }  // -1 when store changes cannot be watched
  int interrupt_fd() const { return event_fd_; }
  // Consumes the pending events; true when one of them says the outbox changed since the
  // last Drain() (read the outbox after this call, not before). Other events in the data
  // directory (a verb closing agent.db, say) are consumed and say nothing.
  bool Drain();
  // Wakes whoever polls interrupt_fd() (the daemon's stop request).
  void Interrupt();

 private:
  int inotify_fd_ = -1;
  int event_fd_ = -1;
};

}  // namespace muster::agent
