#include "store_watch.h"

#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "muster/log.h"

namespace muster::agent {

StoreWatch::StoreWatch(const std::string& data_dir) {
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (data_dir.empty()) return;  // nothing to watch: a one-shot sync
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ >= 0 && inotify_add_watch(inotify_fd_, data_dir.c_str(),
                                            IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
    close(inotify_fd_);
    inotify_fd_ = -1;
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

void StoreWatch::Drain() {
  if (inotify_fd_ < 0) return;
  alignas(inotify_event) char buffer[4096];
  while (read(inotify_fd_, buffer, sizeof(buffer)) > 0) {
  }
}

void StoreWatch::Interrupt() {
  if (event_fd_ < 0) return;
  const std::uint64_t one = 1;
  (void)!write(event_fd_, &one, sizeof(one));
}

}  // namespace muster::agent
