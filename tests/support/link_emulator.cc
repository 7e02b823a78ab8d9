#include "link_emulator.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <stdexcept>
#include <string>

namespace muster::testing {
namespace {

std::int64_t NowUs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

void NonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

int ConnectTo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  NonBlocking(fd);
  return fd;
}

// Loopback buffers are large; a small receive buffer on the relay's side makes a sender
// feel the link's queue instead of handing megabytes to its kernel at once.
// Nagle's algorithm is off, as libzmq sets it on its own sockets: the link's timing is
// the emulator's, not the kernel's.
void PrepareSocket(int fd) {
  int bytes = 16 << 10;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

struct LinkEmulator::Segment {
  std::int64_t deliver_at_us = 0;
  std::string bytes;  // empty: the source closed (a FIN crossing the link)
};

struct LinkEmulator::Pipe {
  int from = -1;
  int to = -1;
  std::deque<Segment> in_flight;
  std::int64_t last_deliver_us = 0;  // TCP delivers in order
  bool closed = false;               // the FIN was scheduled
  bool finished = false;             // the FIN was delivered
};

struct LinkEmulator::Connection {
  Pipe up;    // agent → coordinator
  Pipe down;  // coordinator → agent
};

LinkEmulator::LinkEmulator(int target_port, LinkProfile profile)
    : target_port_(target_port), profile_(profile), random_(profile.seed) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 256) != 0) {
    throw std::runtime_error("LinkEmulator cannot listen");
  }
  socklen_t length = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  NonBlocking(listen_fd_);
  thread_ = std::thread([this] { Run(); });
}

LinkEmulator::~LinkEmulator() {
  stop_ = true;
  thread_.join();
  CloseAll();
  ::close(listen_fd_);
}

void LinkEmulator::SetProfile(const LinkProfile& profile) {
  std::lock_guard<std::mutex> lock(profile_mutex_);
  profile_ = profile;
  random_.seed(profile.seed);
}

void LinkEmulator::Cut() {
  mode_ = Mode::kCut;
  close_all_ = true;
}

void LinkEmulator::Blackhole() { mode_ = Mode::kBlackhole; }

void LinkEmulator::Restore() { mode_ = Mode::kUp; }

void LinkEmulator::ResetCounters() {
  bytes_[0] = 0;
  bytes_[1] = 0;
  retransmitted_ = 0;
}

void LinkEmulator::CloseAll() {
  for (Connection* connection : connections_) {
    ++connections_cut_;
    ::close(connection->up.from);
    ::close(connection->up.to);
    delete connection;
  }
  connections_.clear();
}

void LinkEmulator::Accept() {
  while (true) {
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) return;
    int upstream = mode_ == Mode::kCut ? -1 : ConnectTo(target_port_);
    if (upstream < 0) {
      ::close(client);
      continue;
    }
    PrepareSocket(client);
    PrepareSocket(upstream);
    auto* connection = new Connection;
    connection->up.from = client;
    connection->up.to = upstream;
    connection->down.from = upstream;
    connection->down.to = client;
    connections_.push_back(connection);
    ++connections_accepted_;
  }
}

bool LinkEmulator::Read(Pipe& pipe, int direction, std::int64_t now_us) {
  LinkProfile profile;
  {
    std::lock_guard<std::mutex> lock(profile_mutex_);
    profile = profile_;
  }
  const double bytes_per_us = profile.rate_bps > 0 ? profile.rate_bps / 8e6 : 0;
  std::int64_t& free_at = link_free_at_us_[direction];
  free_at = std::max(free_at, now_us);
  std::size_t room = 64 << 10;
  if (bytes_per_us > 0) {
    const double queued = static_cast<double>(free_at - now_us) * bytes_per_us;
    if (queued >= static_cast<double>(profile.queue_bytes)) return true;  // the modem is full
    room = std::max<std::size_t>(1, profile.queue_bytes - static_cast<std::size_t>(queued));
  }
  char buffer[64 << 10];
  const ssize_t n = ::read(pipe.from, buffer, std::min(room, sizeof buffer));
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  if (n == 0) {
    // The FIN follows the data already on the link.
    pipe.closed = true;
    pipe.in_flight.push_back({std::max(pipe.last_deliver_us, free_at + profile.one_way_delay_ms * 1000), ""});
    return true;
  }
  const std::int64_t rto_us = std::max<std::int64_t>(200'000, 6 * profile.one_way_delay_ms * 1000);
  std::uniform_real_distribution<double> chance(0, 1);
  for (ssize_t offset = 0; offset < n;) {
    const std::size_t size =
        std::min<std::size_t>(std::max<std::size_t>(1, profile.segment_bytes),
                              static_cast<std::size_t>(n - offset));
    const auto airtime = bytes_per_us > 0
                             ? static_cast<std::int64_t>(static_cast<double>(size) / bytes_per_us)
                             : 0;
    free_at += airtime;
    bytes_[direction] += size;
    std::int64_t arrives = free_at + profile.one_way_delay_ms * 1000;
    if (profile.loss > 0 && chance(random_) < profile.loss) {
      // Lost once: TCP sends it again after its retransmission timeout.
      free_at = std::max(free_at, now_us + rto_us) + airtime;
      bytes_[direction] += size;
      retransmitted_ += size;
      arrives = free_at + profile.one_way_delay_ms * 1000;
    }
    arrives = std::max(arrives, pipe.last_deliver_us);
    pipe.last_deliver_us = arrives;
    pipe.in_flight.push_back({arrives, std::string(buffer + offset, size)});
    offset += static_cast<ssize_t>(size);
  }
  return true;
}

bool LinkEmulator::Deliver(Pipe& pipe, std::int64_t now_us) {
  while (!pipe.in_flight.empty() && pipe.in_flight.front().deliver_at_us <= now_us) {
    Segment& segment = pipe.in_flight.front();
    if (segment.bytes.empty()) {
      pipe.finished = true;
      return false;
    }
    // MSG_NOSIGNAL: a peer that died mid-transfer (a coordinator killed by a fault test)
    // is a closed connection here, not a SIGPIPE that kills the test.
    const ssize_t written =
        ::send(pipe.to, segment.bytes.data(), segment.bytes.size(), MSG_NOSIGNAL);
    if (written < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
      return false;
    }
    segment.bytes.erase(0, static_cast<std::size_t>(written));
    if (!segment.bytes.empty()) return true;
    pipe.in_flight.pop_front();
  }
  return true;
}

void LinkEmulator::Run() {
  while (!stop_) {
    if (close_all_.exchange(false)) CloseAll();
    const bool flowing = mode_ == Mode::kUp;
    std::int64_t now = NowUs();
    // Per connection: the agent's end, then the coordinator's. Each is read for its own
    // direction and written for the other when something has crossed and waits.
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    for (Connection* connection : connections_) {
      for (auto [read, write] : {std::pair{&connection->up, &connection->down},
                                 std::pair{&connection->down, &connection->up}}) {
        short events = flowing && !read->closed ? POLLIN : 0;
        if (flowing && !write->in_flight.empty() &&
            write->in_flight.front().deliver_at_us <= now) {
          events |= POLLOUT;
        }
        fds.push_back({read->from, events, 0});
      }
    }
    std::int64_t wait_us = 20'000;
    for (Connection* connection : connections_) {
      for (Pipe* pipe : {&connection->up, &connection->down}) {
        if (!pipe->in_flight.empty()) {
          wait_us = std::min(wait_us, std::max<std::int64_t>(0, pipe->in_flight.front().deliver_at_us - now));
        }
      }
    }
    // A full modem drains at the link's rate: look again soon for room.
    for (std::int64_t free_at : link_free_at_us_) {
      if (free_at > now) wait_us = std::min<std::int64_t>(wait_us, 2'000);
    }
    ::poll(fds.data(), fds.size(), static_cast<int>((wait_us + 999) / 1000));
    now = NowUs();
    // Connections accepted below were not polled this round.
    const std::size_t polled_count = (fds.size() - 1) / 2;
    if (fds[0].revents & POLLIN) Accept();
    std::vector<Connection*> alive;
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      Connection* connection = connections_[i];
      bool ok = true;
      const bool polled = i < polled_count;
      if (flowing) {
        Pipe* pipes[] = {&connection->up, &connection->down};
        for (int direction = 0; direction < 2; ++direction) {
          Pipe& pipe = *pipes[direction];
          const bool readable = polled && (fds[1 + 2 * i + direction].revents & (POLLIN | POLLHUP | POLLERR));
          if (ok && readable && !pipe.closed) ok = Read(pipe, direction, now);
          if (ok) ok = Deliver(pipe, now);
        }
      }
      if (ok && !(connection->up.finished || connection->down.finished)) {
        alive.push_back(connection);
      } else {
        ::close(connection->up.from);
        ::close(connection->up.to);
        delete connection;
      }
    }
    connections_ = std::move(alive);
  }
}

}  // namespace muster::testing
