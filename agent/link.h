// The agent's connection to headquarters: one DEALER socket with CURVE, heartbeats both
// ways, and reconnection with exponential backoff and jitter. Runs the SyncClient over it.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "agent_store.h"
#include "muster/bundle.h"
#include "store_watch.h"
#include "sync_client.h"

namespace muster::agent {

// The daemon refreshes its link state at least this often; `status` takes a daemon that
// has been silent for longer than kDaemonSilentMs for stopped (it was killed, say).
inline constexpr Millis kDaemonHeartbeatMs = 60'000;
inline constexpr Millis kDaemonSilentMs = 150'000;

struct LinkOptions {
  Millis heartbeat_ms = 5'000;     // PING when nothing was sent for this long
  Millis dead_after_ms = 15'000;   // no word from HQ for this long: the link is down
  Millis backoff_min_ms = 500;     // first reconnection delay
  Millis backoff_max_ms = 30'000;  // cap of the exponential backoff: a link that returns
                                   // is used within 30 s (plus jitter), herds stay spread
  // The daemon writes its link state for `status` when it changes, and at least this often.
  Millis status_every_ms = kDaemonHeartbeatMs;
  // The data directory to watch for new local records (store_watch.h); empty: no watch.
  std::string watch_dir;
  // Without a watch, the outbox is checked this often; with one, only on changes.
  Millis unwatched_check_ms = 1'000;
};

struct SyncReport {
  bool connected = false;
  std::uint64_t sent_acked = 0;  // records acknowledged during this run
  std::uint64_t pending = 0;     // records still waiting
  std::uint64_t applied = 0;     // delivery watermark at the end
  std::string error;
};

class Link {
 public:
  Link(AgentStore& store, Bundle bundle, const Clock& clock, LinkOptions options);
  ~Link();

  // The daemon: keeps the link up and syncs until |stop| becomes true and Interrupt() is
  // called. Idle, it sleeps until HQ speaks, a heartbeat is due, or the store changes.
  void Run(const std::atomic<bool>& stop);
  // Wakes Run() (from another thread) so that it sees |stop|.
  void Interrupt() { watch_.Interrupt(); }

  // `muster-agent sync`: connects, sends every pending record, takes every delivery, and
  // returns once nothing is left or |timeout_ms| passed. |progress| is called with the
  // number of records still pending whenever it changes.
  SyncReport SyncNow(Millis timeout_ms, const std::function<void(std::uint64_t)>& progress);

 private:
  void Connect();
  void Disconnect(const std::string& why);
  void SendHello();
  bool Send(const protocol::Message& message);
  // Receives and handles whatever arrived within |wait_ms|; false when the link died.
  bool Pump(Millis wait_ms);
  // Waits up to |wait_ms| for the socket (when open), a store change or an interrupt.
  void Wait(Millis wait_ms, zmq::pollitem_t* socket_item);
  // How long the connected daemon may sleep before a heartbeat or a deadline is due.
  Millis IdleWait() const;
  void WriteStatus(bool force);
  Millis SteadyNow() const;

  AgentStore& store_;
  Bundle bundle_;
  const Clock& clock_;
  LinkOptions options_;
  SyncClient client_;
  zmq::context_t context_;
  std::unique_ptr<zmq::socket_t> socket_;
  StoreWatch watch_;
  Millis last_sent_ = 0;
  Millis last_heard_ = 0;
  Millis last_hello_ = 0;
  Millis last_status_ = 0;
  Millis backoff_ms_ = 0;
  LinkState written_;  // the link state last written for `status`
  Millis next_attempt_ = 0;
  std::uint64_t acked_this_run_ = 0;
};

}  // namespace muster::agent
