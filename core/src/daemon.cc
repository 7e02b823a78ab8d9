#include "muster/daemon.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "muster/files.h"
#include "muster/log.h"

namespace muster {

Result<DirectoryLock> DirectoryLock::Acquire(const std::string& dir, const std::string& program) {
  const std::string path = dir + "/lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::Error(ErrorCode::kIoError, "cannot open " + path + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    Result<std::string> holder = ReadFile(path, 256);
    ::close(fd);
    if (error != EWOULDBLOCK) {
      return Status::Error(ErrorCode::kIoError,
                           "cannot lock " + path + ": " + std::strerror(error));
    }
    std::string who = holder.ok() ? holder->substr(0, holder->find('\n')) : std::string();
    return Status::Error(ErrorCode::kConflict,
                         dir + " is in use by " + (who.empty() ? "another program" : who) +
                             "; stop it first, or give this one another data directory");
  }
  const std::string line = program + " (pid " + std::to_string(::getpid()) + ")\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, line.data(), line.size(), 0) < 0) {
    Logger("daemon")->warn("event=lock_note_unwritten path={} error=\"{}\"", path,
                           std::strerror(errno));
  }
  return DirectoryLock(fd);
}

DirectoryLock::DirectoryLock(DirectoryLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int WaitForStop(const sigset_t& signals, const std::string& component) {
  while (true) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal != SIGHUP) return signal;
    Logger(component)->info(
        "event=sighup action=ignored reason=\"logs go to standard error; nothing to reopen\"");
  }
}

}  // namespace muster
