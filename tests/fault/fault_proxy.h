// A TCP relay between agents and the coordinator that a test can cut and restore at
// will: the "satellite link" of the fault tests. While cut, every open connection is
// closed and new ones are accepted and closed at once, as a dead link looks to TCP.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace muster::testing {

class FaultProxy {
 public:
  // Listens on 127.0.0.1 on a free port and forwards to 127.0.0.1:|target_port|.
  explicit FaultProxy(int target_port);
  ~FaultProxy();

  int port() const { return port_; }
  void SetTarget(int target_port) { target_port_ = target_port; }
  void Cut();
  void Restore();
  std::size_t connections_cut() const { return connections_cut_; }
  // TCP payload bytes relayed: agent → coordinator and back (for wire-size benchmarks).
  std::uint64_t bytes_up() const { return bytes_up_; }
  std::uint64_t bytes_down() const { return bytes_down_; }
  void ResetCounters() { bytes_up_ = 0; bytes_down_ = 0; }

 private:
  void Run();
  void CloseAll();

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> target_port_;
  std::atomic<bool> cut_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> close_all_{false};
  std::atomic<std::size_t> connections_cut_{0};
  std::atomic<std::uint64_t> bytes_up_{0};
  std::atomic<std::uint64_t> bytes_down_{0};
  std::vector<std::pair<int, int>> pairs_;  // (client, upstream); proxy thread only
  std::thread thread_;
};

}  // namespace muster::testing
