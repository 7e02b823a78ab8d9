// Simulated agents that cost the benchmark little, so that what fleet_bench measures is
// HQ and not its harness.
//
// Each simulated agent is one DEALER socket with CURVE and its own enrolled key, dialling
// the coordinator as a real agent does, and speaking the real wire protocol
// (docs/protocol.md) through core's codec (protocol::Encode / Decode): HELLO once per
// connection when its socket monitor reports the handshake done, WELCOME (with `held` and
// a rebase past HQ's `highest`), RECORDS and ACK, DELIVER answered at once with
// DELIVERED, PING after the real agent's keep-alive silence (30 s on a fast link), PONG,
// and ERROR as the reference agent treats it (`no_session`: greet again; `rate_limited`:
// wait as told; others: 15 s). A handful of driver threads each serve a few hundred
// agents, woken by epoll on their sockets' ZMQ_FD (zmq_poll would look at every socket on
// every wake); each driver has its own ZeroMQ context with one I/O thread.
//
// What it does not do, on purpose: no agent store (nothing is written to disk on the
// agent's side; a group is "recorded" when it is made), deliveries are acknowledged
// without being applied (no playbook is parsed), the link is taken for a fast one (no
// estimator: a group goes whole in one RECORDS message, DELIVER is answered at once), and
// HQ restores are not looked for beyond `held` and `highest`.
//
// A member's group of records is RecordsMessage (bench_common.h): status changes and
// findings on the member's own assigned task. While recording, an agent keeps
// |groups_in_flight| groups sent and not yet acknowledged, and makes the next one the
// moment HQ's ACK for one arrives: no timer between a commit at HQ and the next group.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "muster/bundle.h"
#include "muster/clock.h"

namespace muster::bench {

struct SimAgentSpec {
  Bundle bundle;
  std::string task;  // the task its member reports on (its own assignment); "" records nothing
};

struct SwarmOptions {
  int agents_per_thread = 500;
  // RECORDS messages sent and not yet acknowledged, per recording agent.
  int groups_in_flight = 1;
  // PING after this long without a message either way: the real agent's keep-alive on a
  // fast link (agent/sync_client.h, SyncClient::Options::keepalive_ms).
  Millis keepalive_ms = 30'000;
  // A batch HQ refused as a whole goes again after this (the real agent's resend delay).
  Millis resend_after_ms = 15'000;
};

// What the agents count, each since it was added.
enum Counter : int {
  kMade,               // records made
  kAcked,              // records HQ acknowledged
  kRefused,            // records HQ held but refused (ERROR with ref)
  kRateLimited,        // ERROR rate_limited
  kOtherErrors,        // other ERRORs without ref
  kHellos,
  kPings,
  kDeliveries,         // delivery entries received
  kDisconnections,
  kHandshakeFailures,
  kMalformed,          // frames from HQ that did not decode
  kWrongHq,            // WELCOMEs from another HQ than the bundle's
  kCounters
};
const char* CounterName(Counter counter);  // "records_made", "records_acked", ...

// Totals over a range of agents.
struct SwarmCounts {
  int agents = 0;
  int welcomed = 0;  // in session now
  std::array<std::uint64_t, kCounters> n{};
  std::uint64_t operator[](Counter counter) const { return n[counter]; }
  nlohmann::json ToJson() const;
};

class Swarm {
 public:
  explicit Swarm(SwarmOptions options = {});
  ~Swarm();  // stops the drivers and closes every socket
  Swarm(const Swarm&) = delete;
  Swarm& operator=(const Swarm&) = delete;

  // Adds agents with the next indexes; new driver threads connect them at once.
  void Add(std::vector<SimAgentSpec> specs);
  int size() const { return static_cast<int>(agents_.size()); }

  // Agents with an index below |count| keep groups in flight from now on (0: none).
  void Record(int count);
  // Every agent with an index below |count| makes one group now; it is sent when the
  // agent is in session and has room in flight.
  void QueueGroup(int count);
  // Latencies (ms, from making a group to HQ's ACK of it) of the groups made while on.
  void MeasureLatency(bool on) { measuring_ = on; }
  std::vector<double> TakeLatencies();

  SwarmCounts Counts() const { return Counts(0, size()); }
  SwarmCounts Counts(int from, int to) const;
  // The agent's delivery watermark: every delivery up to here acknowledged (DELIVERED).
  std::uint64_t Applied(int index) const;

 private:
  struct Agent;
  struct Driver;

  void WakeAll();

  SwarmOptions options_;
  std::vector<std::unique_ptr<Agent>> agents_;
  std::vector<std::unique_ptr<Driver>> drivers_;
  std::atomic<int> recording_below_{0};
  std::atomic<bool> measuring_{false};
  std::mutex latency_mutex_;
  std::vector<double> latencies_;
};

}  // namespace muster::bench
