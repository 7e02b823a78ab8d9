// The coordinator's half of the sync protocol (docs/protocol.md), without sockets: it
// takes decoded messages from authenticated agents and says what to send back. The
// router loop in coordinator.cc owns the socket and calls it.
//
// Not thread-safe: owned by the router thread, over the router's Headquarters. |hq| and
// |clock| must outlive it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "monitoring/sync_metrics.h"
#include "muster/link_estimator.h"
#include "muster/protocol.h"
#include "service/headquarters.h"
#include "sync/rate_limiter.h"

namespace muster::hq {

class SyncServer {
 public:
  struct Options {
    std::size_t deliveries_per_message = 200;
    // Deliveries go in messages sized to the agent's link (a LinkEstimator per session,
    // fed by DELIVER → DELIVERED exchanges), with about that many bytes in flight.
    LinkEstimator::Options link;
    std::size_t delivery_window = 1000;  // deliveries sent but not yet applied, at most
    // No DELIVERED progress for the longer of this and 4 times what the link should need
    // for what is in flight: send again from the agent's cursor.
    Millis resend_after_ms = 60'000;
    // Messages per agent (docs/security.md#limits): a burst, then a steady rate.
    double messages_per_second = 50;
    double message_burst = 200;
    // Where ingest counts and commit times go (/metrics); none when null.
    SyncMetrics* metrics = nullptr;
    // HQ's CURVE secret key (Z85): checks the authors' tags on records a field relay
    // forwards (muster/record_auth.h). Empty: RELAYED records are all refused.
    std::string hq_secret_key;
  };

  SyncServer(Headquarters& hq, const Clock& clock, Options options);

  // Handles one message from |agent_id| (the identity CURVE authenticated, never one
  // named inside the message) and returns the replies, in order. |peer| is the network
  // address it came from, for the audit log; |frame_bytes| its size on the wire.
  std::vector<protocol::Message> Handle(const std::string& agent_id,
                                        const protocol::Message& message,
                                        const std::string& peer = "", std::size_t frame_bytes = 0);

  // A message as the router read it, from an authenticated agent.
  struct Incoming {
    std::string agent_id;
    protocol::Message message;
    std::string peer;
    std::size_t frame_bytes = 0;
  };
  // Replies to one agent, in order.
  struct Outgoing {
    std::string agent_id;
    std::vector<protocol::Message> messages;
  };
  // Handles messages that arrived together, in order, as Handle does, except that the
  // RECORDS among them commit in one transaction (group commit: one fsync for many
  // agents' batches) and are acknowledged only after it. Any other message first commits
  // the RECORDS before it, so that each agent's messages take effect in the order sent.
  std::vector<Outgoing> HandleAll(const std::vector<Incoming>& incoming);

  // Whether |agent_id| may send one more message now (rate limit). When not, the
  // rate_limited error to answer with, naming when to retry; the message is then not
  // to be decoded or handled.
  std::optional<protocol::Message> Admit(const std::string& agent_id);

  // Deliveries |agent_id| should be sent now, within its window.
  std::vector<protocol::Message> Deliveries(const std::string& agent_id);

  // How often |agent_id| may be sent its team's changes (TeamRelay::RelayPace): nullopt
  // without a session; on a thin link (or one not measured yet) every 15 s, changes
  // gathering 5 s first; on a fast one at every relay.
  std::optional<Millis> RelayPace(const std::string& agent_id) const;

  // Agents whose deliveries have stalled; the caller sends them Deliveries() again.
  std::vector<std::string> StalledAgents();

  // Agents that have new deliveries because of what another agent sent; cleared on read.
  std::vector<std::string> TakeAgentsToNotify();

  // Writes the last contacts heard and the applied watermarks the agents reported since
  // the previous flush, in one transaction. The router calls it about once a second and
  // before every alert sweep, so that the sweep judges silence on what was heard; a
  // failed write keeps them for the next flush.
  Status FlushContacts();

  // The agent's session is gone (socket refused the route): forget what was in flight.
  void EndSession(const std::string& agent_id);
  bool HasSession(const std::string& agent_id) const { return sessions_.count(agent_id) > 0; }

 private:
  // A DELIVER message on its way: its last delivery, its size on the wire, when it left,
  // and whether the agent was told more follows (then it answers at once, and the
  // exchange measures the link). A message of team updates alone, with nothing after
  // it, may be acknowledged with the agent's next message on a thin link: |lone|.
  struct Sent {
    std::uint64_t upto = 0;
    std::size_t bytes = 0;
    Millis at = 0;
    bool more = false;
    bool lone = false;
  };
  struct Session {
    std::uint64_t applied = 0;    // the agent has committed every delivery up to here
    std::uint64_t sent_upto = 0;  // sent in this session up to here
    Millis last_progress = 0;
    LinkEstimator link;
    std::vector<Sent> in_flight;
  };

  // RELAYED: members' records a field relay forwards. Each is taken for its author only
  // when its tag is the author's (record_auth.h) and the author is an active agent of a
  // member who shares an active deployment with the relay's; each batch of one author is
  // ingested as if that author had sent it. Answers RELAY_ACK.
  std::vector<protocol::Message> OnRelayed(const std::string& relay_id, const nlohmann::json& body,
                                           const std::string& peer);
  // Why |author| may not have records relayed by |relay_id|; empty when it may; an error
  // when the store cannot say.
  Result<std::string> RelayRefusal(const std::string& relay_id, const std::string& author);
  std::vector<protocol::Message> OnHello(const std::string& agent_id, const nlohmann::json& body,
                                         const std::string& peer);
  // A RECORDS message waiting for its group's commit, and where its replies go.
  // Keeps what a HELLO or PING says of the agent's clock (domain/agent_clocks.h).
  void KeepClockReport(const std::string& agent_id, const nlohmann::json& body,
                       const std::string& peer);
  struct Staged {
    std::size_t reply_index = 0;
    std::optional<std::uint64_t> applied;  // piggybacked DELIVERED
    IngestBatch batch;
  };
  // Checks a RECORDS message and stages its batch; or answers it at once (no session).
  std::optional<std::vector<protocol::Message>> StageRecords(const Incoming& incoming,
                                                             std::vector<Staged>& staged,
                                                             std::size_t reply_index);
  // Commits the staged batches in one group and fills their replies.
  void CommitStaged(std::vector<Staged>& staged, std::vector<Outgoing>& out);
  std::vector<protocol::Message> RecordsReplies(const Staged& staged,
                                                const Result<IngestOutcome>& outcome);
  std::vector<protocol::Message> OnDelivered(const std::string& agent_id,
                                             const nlohmann::json& body, std::size_t frame_bytes);
  // The agent says it applied deliveries up to |applied| (DELIVERED, or piggybacked on
  // RECORDS and PING). Returns whether that moved its cursor (and so opened the window).
  bool Applied(const std::string& agent_id, Session& session, std::uint64_t applied,
               std::size_t frame_bytes);

  Headquarters& hq_;
  const Clock& clock_;
  Options options_;
  std::map<std::string, Session> sessions_;
  RateLimiter limiter_;
  std::vector<std::string> notify_;
  std::map<std::string, Millis> heard_;           // agent -> last message, not yet written
  std::map<std::string, std::uint64_t> applied_;  // agent -> applied watermark, not yet written
};

}  // namespace muster::hq
