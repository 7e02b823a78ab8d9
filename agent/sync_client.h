// The agent's half of the sync protocol (docs/protocol.md), without sockets: what to
// send when a connection comes up, what to answer to each message from HQ, which batch
// goes next and how large, and when an answer is overdue. The link (link.h) owns the
// DEALER socket and calls it.
//
// Thin links shape it (docs/protocol.md §5): a batch holds one lane only and is sized by
// a LinkEstimator to cross in a few seconds; one batch is in flight at a time and is
// never sent twice within a connection (TCP does not lose it); an answer is overdue only
// after a floor or several times what the link should need, whichever is longer.
//
// Not thread-safe. |store| and |clock| must outlive it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "muster/link_estimator.h"
#include "muster/protocol.h"
#include "relay/relay_queue.h"
#include "sync_store.h"

namespace muster::agent {

// What the sync engine did, for `status`, the benchmarks and the tests.
struct SyncStats {
  std::uint64_t sessions = 0;         // WELCOMEs acted on
  std::uint64_t hellos = 0;
  std::uint64_t batches = 0;
  std::uint64_t records_sent = 0;     // every record put in a batch, resends included
  std::uint64_t records_resent = 0;   // records that had been sent before
  std::uint64_t bytes_sent = 0;       // every frame, on the wire (CURVE included)
  std::uint64_t bytes_resent = 0;     // the share of batch frames that were resends
  std::uint64_t bytes_received = 0;
  std::uint64_t pings = 0;
  std::uint64_t overdue = 0;          // answers that never came: the link was declared dead
  std::uint64_t relayed = 0;          // members' records forwarded for the field relay
};

class SyncClient {
 public:
  struct Options {
    std::size_t batch_records = 500;
    Millis resend_after_ms = 15'000;  // a batch HQ refused as a whole goes again after this
    // An awaited answer (WELCOME, ACK, PONG) is overdue after the longer of this floor and
    // |answer_factor| times what the estimator expects the exchange to take.
    Millis answer_floor_ms = 60'000;
    double answer_factor = 3;
    Millis hello_retry_ms = 5'000;  // after a WELCOME this store could not act on
    // Idle keep-alive: PING after this long without a message either way; 0 chooses by the
    // link (30 s on a fast one, 120 s below 64 kbit/s).
    Millis keepalive_ms = 0;
    // On a thin link, attachment chunks wait this long after a WELCOME, so that the
    // team's status (other members sharing the terminal, reconnecting a little later)
    // crosses before any attachment byte.
    Millis attachment_grace_ms = 30'000;

    // On a thin link a DELIVER of team updates alone is acknowledged with the agent's
    // next message, or as its keep-alive, and never later than this after the first one
    // (HQ sends them again after 5 minutes without an answer).
    Millis delivered_at_most_ms = 120'000;
    LinkEstimator::Options link;
  };

  SyncClient(SyncStore& store, const Clock& clock, std::string expected_hq_id,
             Options options);

  // This laptop is the team's field relay: once its own records are all in flight or
  // acknowledged, it forwards the members' records |queue| holds (RELAYED), and marks
  // those HQ holds or refuses (RELAY_ACK). |queue| must outlive the client.
  void Forward(RelayQueue* queue) { relay_ = queue; }
  // A connection to HQ came up: a new session starts with a HELLO.
  void OnConnected();
  // The connection is gone: forget the session; what was in flight goes again next time.
  void Reset();

  // Handles one message from HQ (|frame_bytes| as it came off the wire); returns what to
  // send back at once.
  std::vector<protocol::Message> OnMessage(const protocol::Message& message,
                                           std::size_t frame_bytes);
  // What is due now besides answers: a HELLO, a DELIVERED owed, the next batch, a PING.
  // Call Sent() for each one handed to the socket.
  std::vector<protocol::Message> Outgoing();
  void Sent(const protocol::Message& message, std::size_t frame_bytes);

  // When Outgoing() may next have something, or an answer becomes overdue.
  Millis NextDue() const;
  // An answer is overdue: the link is dead (the caller drops the connection).
  bool Overdue() const;

  bool welcomed() const { return welcomed_; }
  bool in_flight() const { return in_flight_.has_value(); }
  const std::string& last_error() const { return last_error_; }
  // HQ refused a whole message as forbidden (this agent is revoked, or its key was
  // replaced) since the last Reset(): the link should stop asking often.
  bool cut_off() const { return cut_off_; }
  const SyncStats& stats() const { return stats_; }
  const LinkEstimator& estimator() const { return estimator_; }
  // Records refused by HQ during this client's life.
  std::uint64_t refused() const { return refused_; }
  // Records still waiting for HQ's acknowledgement (in the store).
  std::uint64_t Pending();

  // Whether the kept offset says more than the one told: it moved by a quarter of its
  // round trip (at least 250 ms), or its round trip is half or less.
  static bool Retell(const ClockOffset& told, const ClockOffset& kept);

 private:
  struct Awaited {
    Millis sent_at = 0;
    std::size_t bytes = 0;
  };
  struct InFlight {
    std::vector<std::uint64_t> seqs;
    int lane = 0;
    std::size_t raw_bytes = 0;
    Awaited wire;
  };

  Result<protocol::Message> Hello();
  std::vector<protocol::Message> OnWelcome(const nlohmann::json& body, std::size_t frame_bytes);
  Status ApplyWelcome(const nlohmann::json& body);
  std::vector<protocol::Message> OnAck(const nlohmann::json& body, std::size_t frame_bytes);
  std::vector<protocol::Message> OnDeliver(const nlohmann::json& body);
  std::vector<protocol::Message> OnError(const nlohmann::json& body);
  std::optional<protocol::Message> NextBatch();
  // The next RELAYED batch from the relay's queue, sized like a batch of its own.
  std::optional<protocol::Message> NextRelayed();
  void OnRelayAck(const nlohmann::json& body);
  Millis Keepalive() const;
  Millis AnswerDue(const Awaited& awaited) const;
  // Hands the owed applied cursor to an outgoing RECORDS or PING, and the clock offset.
  void Piggyback(protocol::Message& message);
  // Whether to measure the clock offset again with a PING on the quiet link: the kept
  // sample is looser than kClockSampleLooseMs (taken while the link was busy, a WELCOME
  // queued behind the team's deliveries). At most kClockSamplesPerSession such PINGs per
  // session, each once nothing was heard for kClockSampleQuietMs; a PONG's sample is kept
  // only when tighter (KeepBetter).
  static constexpr Millis kClockSampleLooseMs = 2'000;
  static constexpr int kClockSamplesPerSession = 3;
  static constexpr Millis kClockSampleQuietMs = 1'000;
  bool ClockSampleWanted() const;
  // Adds the kept clock offset to an outgoing HELLO, RECORDS or PING (`clock_offset`,
  // `clock_rtt`) until HQ has answered a message that carried it (OffsetAnswered), and
  // again when HQ should hear a better one (Retell). A HELLO states only one measured
  // within kOffsetMaxAge.
  void StateClockOffset(protocol::Message& message);
  // HQ answered (WELCOME, ACK, PONG) a message: what it carried of the offset was taken.
  // An ERROR means it may not have been: stated again.
  void OffsetAnswered();
  // An answer carrying HQ's `time` to a request sent at |sent_at|: measures the clock
  // offset and keeps the better of it and the kept one (clock_offset.h).
  void MeasureClock(const nlohmann::json& body, Millis sent_at);

  SyncStore& store_;
  SyncOutbox& outbox_;  // store_'s
  const Clock& clock_;
  std::string expected_hq_id_;
  Options options_;
  LinkEstimator estimator_;
  bool connected_ = false;
  bool welcomed_ = false;
  Millis welcomed_at_ = 0;
  std::optional<Millis> hello_due_;   // a HELLO should go at this time
  std::optional<Awaited> hello_;      // a HELLO waits for its WELCOME
  std::optional<Awaited> ping_;       // a PING waits for its PONG
  std::optional<ClockOffset> offset_;  // HQ's clock minus this laptop's, as kept in the store
  bool offset_loaded_ = false;
  std::optional<ClockOffset> told_offset_;      // what HQ took in this session
  std::optional<ClockOffset> offset_in_flight_;  // stated in a message not answered yet
  int clock_samples_ = 0;     // PINGs sent this session to measure the clock
  std::optional<InFlight> in_flight_;
  RelayQueue* relay_ = nullptr;
  std::optional<Awaited> relayed_in_flight_;  // a RELAYED waits for its RELAY_ACK
  std::size_t relayed_batch_ = 0;             // records in the RELAYED Outgoing() built last
  std::optional<Millis> resend_at_;   // HQ asked for a pause before the next batch
  std::optional<std::uint64_t> owed_applied_;  // DELIVERED not sent yet
  Millis delivered_due_ = 0;
  bool acked_above_complete_ = true;  // what the last HELLO listed
  std::uint64_t acked_above_last_ = 0;
  Millis last_sent_ = 0;
  Millis last_heard_ = 0;
  std::vector<std::uint64_t> batch_seqs_;  // the batch Outgoing() built last
  std::size_t batch_raw_bytes_ = 0;
  int batch_lane_ = 0;
  std::uint64_t batch_resent_ = 0;
  double ratio_[4] = {1, 1, 1, 1};  // frame bytes / body bytes, per lane
  std::string last_error_;
  bool cut_off_ = false;
  std::uint64_t refused_ = 0;
  SyncStats stats_;
};

}  // namespace muster::agent
