// A member's link to the team's field relay (docs/agent.md, "The field relay"): one
// DEALER socket to the relay's address, with CURVE, the relay's agent key taken from the
// team view HQ sent (a laptop posing as the relay without that key gets nothing), and
// this agent's own keys.
//
// It runs beside the link to HQ, whatever that link's state, and
// - sends every record that neither HQ nor the relay holds yet (RECORDS), each with its
//   author's tag (muster/record_auth.h) so HQ can take it from the relay, and marks those
//   the relay acknowledges (Outbox::MarkRelayHeld): they stay unacknowledged until HQ
//   says it holds them, by the relay or directly;
// - never offers the relay what the playbook keeps from the team: a finding, note or
//   attached file of a step marked TLP:RED (or whose marking cannot be read here), or a
//   finding the member raised to it (the relay is a teammate's laptop); those wait for
//   HQ's own link;
// - shows the member what HQ refused of the records the relay carried (an ERROR with
//   `ref` from the relay);
// - states what HQ acknowledged (`acked`), so the relay does not forward those;
// - keeps the team's state on site the relay sends (SITE, relay/site_view.h).
// An answer overdue closes the socket and dials again; nothing is lost, since the outbox
// keeps every record until HQ acknowledges it.
//
// Runs in a thread of its own (Run), on a store connection of its own.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "agent_store.h"
#include "muster/bundle.h"
#include "muster/protocol.h"
#include "muster/record_auth.h"

namespace muster::agent {

struct RelayLinkOptions {
  std::string endpoint;     // e.g. tcp://192.168.1.20:7480
  std::string relay_agent;  // the relay's agent id, as the team view names it
  Millis poll_ms = 250;
  Millis keepalive_ms = 10'000;  // PING after this long without a message either way
  Millis answer_ms = 15'000;     // an answer later than this: the relay is gone, dial again
  Millis key_retry_ms = 5'000;   // the relay's key is not known yet: look again this often
  std::size_t batch_records = 200;
  std::size_t batch_bytes = 256u << 10;
  // Pieces of attached files cut for the relay: about this many bytes in a batch. The
  // relay forwards each piece whole, so a piece is what its link to HQ carries in a
  // batch: 8 KiB is about 30 s at 2.4 kbit/s.
  std::size_t piece_bytes = 8u << 10;
};

class RelayLink {
 public:
  RelayLink(AgentStore& store, Bundle bundle, const Clock& clock, RelayLinkOptions options);
  ~RelayLink();

  void Run(const std::atomic<bool>& stop);

  struct Stats {
    std::uint64_t connections = 0;  // SITE answers to a HELLO
    std::uint64_t records = 0;      // records the relay acknowledged
    std::uint64_t sites = 0;        // SITE messages kept
  };
  Stats stats() const;
  // The relay answered lately.
  bool reachable() const { return reachable_; }

 private:
  bool Open();
  void Close(const std::string& why);
  void Step();
  void Receive();
  void Handle(const protocol::Message& message);
  bool Send(const protocol::Message& message);
  // The next batch for the relay, or nullopt when nothing waits.
  std::optional<protocol::Message> NextBatch();
  // Whether |record| carries work the playbook keeps from the team (TLP:RED).
  bool NotForTeam(const OutboxRecord& record, const std::vector<Task>& tasks);

  AgentStore& store_;
  Bundle bundle_;
  const Clock& clock_;
  RelayLinkOptions options_;
  std::optional<RecordAuthKey> auth_;
  zmq::context_t context_;
  std::unique_ptr<zmq::socket_t> socket_;
  bool welcomed_ = false;                 // the relay answered this connection's HELLO
  std::optional<Millis> awaited_since_;   // an answer is awaited since
  std::vector<std::uint64_t> in_flight_;  // the batch sent, not yet acknowledged
  Millis last_sent_ = 0;
  Millis last_heard_ = 0;
  Millis next_open_ = 0;
  Millis next_batch_ = 0;  // after an error from the relay, the next batch waits
  std::atomic<bool> reachable_{false};
  std::atomic<std::uint64_t> connections_{0};
  std::atomic<std::uint64_t> records_{0};
  std::atomic<std::uint64_t> sites_{0};
};

}  // namespace muster::agent
