// What a long-running program (muster-coordinator, `muster-agent run`) needs of its
// process: one instance per data directory, and signals taken by one thread.
#pragma once

#include <signal.h>

#include <string>

#include "muster/result.h"

namespace muster {

// An exclusive lock on a data directory (flock on DIR/lock, which names the holder's pid),
// held while the object lives. A second program on the same directory is refused with
// conflict, naming the holder's pid, instead of both writing the same store.
class DirectoryLock {
 public:
  [[nodiscard]] static Result<DirectoryLock> Acquire(const std::string& dir,
                                                     const std::string& program);
  DirectoryLock(DirectoryLock&& other) noexcept;
  DirectoryLock& operator=(DirectoryLock&&) = delete;
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  ~DirectoryLock();

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and every thread it starts
// afterwards; call it before starting any. Returns the set for WaitForStop.
sigset_t BlockStopSignals();

// Waits for SIGINT or SIGTERM and returns it. A SIGHUP (a closed terminal, or an
// administrator's habit of asking for reopened logs) is logged and otherwise ignored: logs
// go to standard error, so there is nothing to reopen.
int WaitForStop(const sigset_t& signals, const std::string& component);

}  // namespace muster
