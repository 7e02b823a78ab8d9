#include "store_watch.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "muster/log.h"

namespace muster::agent {

namespace {

// The events a signal makes: its creation, the close after the writer opened it for
// writing, a touch(1) by hand, or a rename into place.
constexpr std::uint32_t kSignalEvents = IN_CREATE | IN_CLOSE_WRITE | IN_ATTRIB | IN_MOVED_TO;

}  // namespace

Status SignalOutboxChanged(const std::string& data_dir) {
  const std::string path = data_dir + "/" + kOutboxSignalFile;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Status::Error(ErrorCode::kIoError, "cannot touch " + path + ": " + std::strerror(errno));
  }
  // The close wakes the watchers; the new time only tells a person when the last records
  // were announced.
  (void)::futimens(fd, nullptr);
  if (::close(fd) != 0) {
    return Status::Error(ErrorCode::kIoError, "cannot close " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

StoreWatch::StoreWatch(const std::string& data_dir) {
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (data_dir.empty()) return;  // nothing to watch: a one-shot sync
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ >= 0 &&
      inotify_add_watch(inotify_fd_, data_dir.c_str(), kSignalEvents | IN_ONLYDIR) < 0) {
    const int error = errno;
    close(inotify_fd_);
    inotify_fd_ = -1;
    errno = error;
  }
  if (inotify_fd_ < 0) {
    Logger("link")->warn("event=store_watch_unavailable dir={} error=\"{}\" fallback=timer",
                         data_dir, std::strerror(errno));
  }
}

StoreWatch::~StoreWatch() {
  if (inotify_fd_ >= 0) close(inotify_fd_);
  if (event_fd_ >= 0) close(event_fd_);
}

bool StoreWatch::Drain() {
  if (inotify_fd_ < 0) return false;
  bool changed = false;
  alignas(inotify_event) char buffer[4096];
  ssize_t got = 0;
  while ((got = read(inotify_fd_, buffer, sizeof(buffer))) > 0) {
    for (ssize_t at = 0; at < got;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      // An overflow lost events, possibly a signal among them.
      if (event->mask & IN_Q_OVERFLOW) changed = true;
      if (event->len > 0 && std::strcmp(event->name, kOutboxSignalFile) == 0) changed = true;
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
  return changed;
}

void StoreWatch::Interrupt() {
  if (event_fd_ < 0) return;
  const std::uint64_t one = 1;
  (void)!write(event_fd_, &one, sizeof(one));
}

}  // namespace muster::agent
