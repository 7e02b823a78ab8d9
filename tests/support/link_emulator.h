// A TCP relay that behaves like a field link between agents and the coordinator: a bit
// rate shared by every connection (as a satellite terminal's is), a one-way delay, loss,
// and a modem's bounded queue; and, on demand, a cut (every connection closed, new ones
// refused) or a black hole (connections stay open and nothing crosses, as when a
// satellite loses its signal without a FIN).
//
// Loss is modelled as TCP sees it, since TCP runs on top: a lost segment costs its bytes
// twice on the link and arrives one retransmission timeout late, holding back what
// follows it on its connection.
//
// Counters are TCP payload bytes as they cross the emulated link, retransmissions
// included (ZMTP framing and CURVE included; TCP/IP headers excluded).
//
// Thread-safe: a test thread may call any method while the relay's own thread runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace muster::testing {

struct LinkProfile {
  double rate_bps = 0;                // each direction, shared by all connections; 0: no cap
  std::int64_t one_way_delay_ms = 0;  // added to every byte
  double loss = 0;                    // probability that a segment is lost once
  std::size_t segment_bytes = 536;    // the unit of loss (a small-MTU satellite segment)
  std::size_t queue_bytes = 16 << 10; // the terminal's buffer per direction
  std::uint32_t seed = 1;             // loss is random but repeatable
};

class LinkEmulator {
 public:
  // Listens on 127.0.0.1 on a free port and forwards to 127.0.0.1:|target_port|.
  explicit LinkEmulator(int target_port, LinkProfile profile = {});
  ~LinkEmulator();
  LinkEmulator(const LinkEmulator&) = delete;
  LinkEmulator& operator=(const LinkEmulator&) = delete;

  int port() const { return port_; }
  void SetTarget(int target_port) { target_port_ = target_port; }
  void SetProfile(const LinkProfile& profile);
  // The link goes down: open connections are closed (both ends see it), new ones are
  // accepted and closed at once, until Restore().
  void Cut();
  // The link goes silent: connections stay open, nothing crosses either way, new
  // connections are accepted but hear nothing, until Restore().
  void Blackhole();
  void Restore();

  std::size_t connections_cut() const { return connections_cut_; }
  std::size_t connections_accepted() const { return connections_accepted_; }
  // Bytes put on the link, agent → coordinator and back, retransmissions included.
  std::uint64_t bytes_up() const { return bytes_[0]; }
  std::uint64_t bytes_down() const { return bytes_[1]; }
  // Bytes that crossed twice because a segment was lost.
  std::uint64_t bytes_retransmitted() const { return retransmitted_; }
  void ResetCounters();

 private:
  struct Segment;
  struct Pipe;
  struct Connection;
  void Run();
  void CloseAll();
  void Accept();
  // Reads what |pipe|'s source has, if the link's queue has room, and schedules it.
  bool Read(Pipe& pipe, int direction, std::int64_t now_us);
  // Writes whatever has crossed the link by now; false when the connection is finished.
  bool Deliver(Pipe& pipe, std::int64_t now_us);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> target_port_;
  std::mutex profile_mutex_;
  LinkProfile profile_;
  std::mt19937 random_;
  enum class Mode { kUp, kCut, kBlackhole };
  std::atomic<Mode> mode_{Mode::kUp};
  std::atomic<bool> close_all_{false};
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> connections_cut_{0};
  std::atomic<std::size_t> connections_accepted_{0};
  std::atomic<std::uint64_t> bytes_[2] = {0, 0};
  std::atomic<std::uint64_t> retransmitted_{0};
  std::int64_t link_free_at_us_[2] = {0, 0};  // when each direction finishes what it holds
  std::vector<Connection*> connections_;      // relay thread only
  std::thread thread_;
};

}  // namespace muster::testing
