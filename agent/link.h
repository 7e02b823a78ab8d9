// The agent's connection to headquarters: one DEALER socket with CURVE, and the rules
// that make it work over a satellite circuit (docs/protocol.md §5):
//
// - ZMQ_IMMEDIATE: nothing is queued on a connection that is not up, so no greeting
//   piles up while the link is down and crosses the link several times when it returns;
// - a socket monitor says when a connection's handshake succeeded (the session starts
//   with one HELLO) and when it closed (the session ends, the socket is dropped and
//   dialled again after an exponential backoff with full jitter);
// - the SyncClient says what to send, how large, and when an answer is overdue; the link
//   is declared dead only then, never while a slow link still owes a batch in time.
//
// Not thread-safe, except Interrupt() and stats(), which any thread may call.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
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
  Millis backoff_min_ms = 500;     // first reconnection delay
  Millis backoff_max_ms = 15'000;  // cap of the exponential backoff: a link that returns
                                   // is used within 15 s (plus jitter), herds stay spread
  // After HQ refused this agent (revoked, or its key replaced) it asks again only this
  // often: nothing it sends would be taken, and a new bundle needs the member anyway.
  Millis refused_retry_ms = 600'000;
  // A CURVE handshake is about 800 bytes: several seconds on a 2.4 kbit/s link that a
  // team shares, so the limit is generous.
  Millis handshake_ms = 60'000;
  // The daemon writes its link state for `status` when it changes, and at least this often.
  Millis status_every_ms = kDaemonHeartbeatMs;
  // The data directory to watch for new local records (store_watch.h); empty: no watch.
  std::string watch_dir;
  // Without a watch, the outbox is checked this often; with one, only on changes.
  Millis unwatched_check_ms = 1'000;
  // Batches, answer timers, keep-alive, attachment grace (sync_client.h).
  SyncClient::Options sync;
  // Files outside the data directory that HQ's wipe order destroys too: the installed
  // bundle, which holds the agent's secret key (vault/wipe.h).
  std::vector<std::string> wipe_also;
  // This laptop is the team's field relay (relay/relay_server.h): the link forwards the
  // members' records the relay holds to HQ.
  bool forward_relayed = false;
};

struct LinkStats {
  std::uint64_t connections = 0;     // handshakes that succeeded
  std::uint64_t disconnections = 0;  // connections lost or dropped
  SyncStats sync;
};

struct SyncReport {
  bool connected = false;
  std::uint64_t sent_acked = 0;  // records acknowledged during this run
  std::uint64_t pending = 0;     // records still waiting
  std::uint64_t refused = 0;     // records HQ refused during this run
  std::uint64_t applied = 0;     // delivery watermark at the end
  std::uint64_t hq_head = 0;     // what HQ said it had queued for this agent
  std::string error;
};

class Link {
 public:
  Link(AgentStore& store, Bundle bundle, const Clock& clock, LinkOptions options);
  ~Link();

  // The daemon: keeps the link up and syncs until |stop| becomes true and Interrupt() is
  // called. Idle, it sleeps until HQ speaks, something is due, or the store changes.
  void Run(const std::atomic<bool>& stop);
  // Wakes Run() (from another thread) so that it sees |stop|.
  void Interrupt() { watch_.Interrupt(); }

  // `muster-agent sync`: connects, sends every pending record, takes every delivery, and
  // returns once nothing is left or |timeout_ms| passed. |progress| is called with the
  // number of records still pending whenever it changes.
  SyncReport SyncNow(Millis timeout_ms, const std::function<void(std::uint64_t)>& progress);

  LinkStats stats() const;

  // Whether HQ's wipe order was carried out (Run and SyncNow have returned for good).
  bool wiped() const { return wiped_; }

 private:
  // HQ's WIPE: checks that HQ sealed it for this agent (muster/wipe_order.h); destroys the
  // laptop's data (vault/wipe.h), confirms with WIPED and closes the link, giving the
  // confirmation 10 s to leave. A forged order is refused and logged, and changes nothing.
  void CarryOutWipe(const std::string& sealed);
  void Connect();
  void Disconnect(const std::string& why);
  // HQ refuses this agent: closes the link, logs it once, and waits refused_retry_ms.
  void Refused(const std::string& why);
  void CloseSocket();
  bool Send(const protocol::Message& message);
  // Handles the socket monitor's events; false when the connection is gone.
  bool HandleEvents();
  // Receives and handles whatever arrived within |wait_ms|; false when the link died.
  bool Pump(Millis wait_ms);
  // Waits up to |wait_ms| for the socket and its monitor (when open), a store change or
  // an interrupt.
  void Wait(Millis wait_ms);
  // How long the connected daemon may sleep before something is due.
  Millis IdleWait() const;
  void WriteStatus(bool force);
  Millis SteadyNow() const;

  AgentStore& store_;
  Bundle bundle_;
  const Clock& clock_;
  LinkOptions options_;
  std::unique_ptr<RelayQueue> relay_queue_;  // when forward_relayed
  SyncClient client_;
  zmq::context_t context_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::unique_ptr<zmq::socket_t> monitor_;
  StoreWatch watch_;
  bool socket_ready_ = false;   // the socket has data to read (from the last Wait)
  bool monitor_ready_ = false;  // the monitor has events
  Millis last_status_ = 0;
  Millis backoff_ms_ = 0;
  LinkState written_;  // the link state last written for `status`
  Millis next_attempt_ = 0;
  bool refused_ = false;  // HQ refused this agent, and has not welcomed it since
  bool wiped_ = false;    // HQ's wipe order was carried out: the link is done
  std::uint64_t acked_this_run_ = 0;
  mutable std::mutex stats_mutex_;
  LinkStats stats_;
};

}  // namespace muster::agent
