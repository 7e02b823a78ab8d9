#include "fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace muster::testing {
namespace {

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
  return fd;
}

}  // namespace

FaultProxy::FaultProxy(int target_port) : target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("FaultProxy cannot listen");
  }
  socklen_t length = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Run(); });
}

FaultProxy::~FaultProxy() {
  stop_ = true;
  thread_.join();
  CloseAll();
  ::close(listen_fd_);
}

void FaultProxy::Cut() {
  cut_ = true;
  close_all_ = true;
}

void FaultProxy::Restore() { cut_ = false; }

void FaultProxy::CloseAll() {
  for (auto [client, upstream] : pairs_) {
    ::close(client);
    ::close(upstream);
    ++connections_cut_;
  }
  pairs_.clear();
}

void FaultProxy::Run() {
  char buffer[65536];
  while (!stop_) {
    if (close_all_.exchange(false)) CloseAll();
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    for (auto [client, upstream] : pairs_) {
      fds.push_back({client, POLLIN, 0});
      fds.push_back({upstream, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        int upstream = cut_ ? -1 : ConnectTo(target_port_);
        if (upstream < 0) {
          ::close(client);
        } else {
          pairs_.emplace_back(client, upstream);
        }
      }
    }
    std::vector<std::size_t> dead;
    // Only the pairs that were polled: a connection accepted above has no entry in |fds|.
    const std::size_t polled = (fds.size() - 1) / 2;
    for (std::size_t i = 0; i < polled; ++i) {
      const pollfd& from_client = fds[1 + 2 * i];
      const pollfd& from_upstream = fds[2 + 2 * i];
      bool alive = true;
      for (auto [event, in, out, counter] :
           {std::tuple{from_client.revents, pairs_[i].first, pairs_[i].second, &bytes_up_},
            std::tuple{from_upstream.revents, pairs_[i].second, pairs_[i].first, &bytes_down_}}) {
        if (!alive || !(event & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::read(in, buffer, sizeof buffer);
        if (n <= 0) {
          alive = false;
          break;
        }
        *counter += static_cast<std::uint64_t>(n);
        ssize_t written = 0;
        while (written < n) {
          ssize_t w = ::write(out, buffer + written, static_cast<std::size_t>(n - written));
          if (w <= 0) {
            alive = false;
            break;
          }
          written += w;
        }
      }
      if (!alive) dead.push_back(i);
    }
    for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
      ::close(pairs_[*it].first);
      ::close(pairs_[*it].second);
      pairs_.erase(pairs_.begin() + static_cast<long>(*it));
    }
  }
}

}  // namespace muster::testing
