// The emulated field link itself: what the thin-link tests rely on must hold. Timings are
// lower bounds (a link may be slower than its profile on a loaded machine, never faster).
#include "link_emulator.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

namespace muster::testing {
namespace {

// A TCP server on 127.0.0.1 that sends back whatever it receives.
class EchoServer {
 public:
  EchoServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(fd_, 8);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] {
      pollfd listen{fd_, POLLIN, 0};
      while (!stop_) {
        if (::poll(&listen, 1, 20) <= 0) continue;
        int client = ::accept(fd_, nullptr, nullptr);
        char buffer[4096];
        while (!stop_) {
          pollfd item{client, POLLIN, 0};
          if (::poll(&item, 1, 20) <= 0) continue;
          const ssize_t n = ::read(client, buffer, sizeof buffer);
          if (n <= 0) break;
          (void)!::write(client, buffer, static_cast<std::size_t>(n));
        }
        ::close(client);
      }
    });
  }
  ~EchoServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

int Dial(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  return fd;
}

// What arrives on |fd| within about |timeout_ms|, until |want| bytes did.
std::string ReadFor(int fd, std::size_t want, int timeout_ms) {
  std::string got;
  char buffer[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
    pollfd item{fd, POLLIN, 0};
    if (::poll(&item, 1, 20) <= 0) continue;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got;
}

// Sends |payload| and reads the echo back, within |timeout_ms|; returns what came back.
std::string RoundTrip(int fd, const std::string& payload, int timeout_ms) {
  std::thread writer([&] { (void)!::write(fd, payload.data(), payload.size()); });
  std::string back = ReadFor(fd, payload.size(), timeout_ms);
  writer.join();
  return back;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(LinkEmulatorTest, TheBitRateCapsEachDirection) {
  EchoServer echo;
  LinkEmulator link(echo.port(), {.rate_bps = 64'000});
  int fd = Dial(link.port());
  const std::string payload(8'000, 'x');  // one second each way at 64 kbit/s
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(RoundTrip(fd, payload, 10'000), payload);
  EXPECT_GE(SecondsSince(start), 1.0);  // 8,000 bytes up, the echo follows them down
  EXPECT_EQ(link.bytes_up(), payload.size());
  EXPECT_EQ(link.bytes_down(), payload.size());
  ::close(fd);
}

TEST(LinkEmulatorTest, EveryByteIsDelayedOneWayEachWay) {
  EchoServer echo;
  LinkEmulator link(echo.port(), {.one_way_delay_ms = 300});
  int fd = Dial(link.port());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(RoundTrip(fd, "ping", 5'000), "ping");
  EXPECT_GE(SecondsSince(start), 0.6);
  ::close(fd);
}

TEST(LinkEmulatorTest, LostSegmentsCostTheirBytesTwiceAndArriveIntact) {
  EchoServer echo;
  LinkEmulator link(echo.port(), {.loss = 0.2, .segment_bytes = 100, .seed = 7});
  int fd = Dial(link.port());
  std::string payload;
  for (int i = 0; i < 2'000; ++i) payload += static_cast<char>('a' + i % 26);
  EXPECT_EQ(RoundTrip(fd, payload, 20'000), payload);
  EXPECT_GT(link.bytes_retransmitted(), 0u);
  EXPECT_EQ(link.bytes_up() + link.bytes_down(), 2 * payload.size() + link.bytes_retransmitted());
  ::close(fd);
}

TEST(LinkEmulatorTest, ABlackHoleHoldsEverythingUntilTheLinkReturns) {
  EchoServer echo;
  LinkEmulator link(echo.port());
  int fd = Dial(link.port());
  EXPECT_EQ(RoundTrip(fd, "before", 5'000), "before");
  link.Blackhole();
  EXPECT_EQ(RoundTrip(fd, "during", 500), "");  // nothing crosses, the connection stays
  link.Restore();
  EXPECT_EQ(ReadFor(fd, 6, 5'000), "during");
  EXPECT_EQ(link.connections_cut(), 0u);
  ::close(fd);
}

TEST(LinkEmulatorTest, ACutClosesConnectionsAndRefusesNewOnes) {
  EchoServer echo;
  LinkEmulator link(echo.port());
  int fd = Dial(link.port());
  EXPECT_EQ(RoundTrip(fd, "x", 5'000), "x");
  link.Cut();
  char byte;
  pollfd item{fd, POLLIN, 0};
  ASSERT_GT(::poll(&item, 1, 5'000), 0);
  EXPECT_EQ(::read(fd, &byte, 1), 0);  // closed by the link
  EXPECT_EQ(link.connections_cut(), 1u);
  ::close(fd);
  int again = Dial(link.port());
  EXPECT_EQ(RoundTrip(again, "y", 300), "");
  ::close(again);
}

}  // namespace
}  // namespace muster::testing
