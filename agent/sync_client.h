// The agent's half of the sync protocol (docs/protocol.md), without sockets: what to say
// on connecting, what to answer to each message from HQ, and which batch to send next.
// The link (link.h) owns the DEALER socket and calls it.
//
// Not thread-safe. |store| and |clock| must outlive it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent_store.h"
#include "muster/protocol.h"

namespace muster::agent {

class SyncClient {
 public:
  struct Options {
    std::size_t batch_records = 500;
    std::size_t batch_bytes = 256 * 1024;
    Millis resend_after_ms = 15'000;  // an unacknowledged batch is sent again after this
  };

  SyncClient(AgentStore& store, const Clock& clock, const std::string& expected_hq_id,
             Options options);

  // The first message of every session.
  Result<protocol::Message> Hello();
  // Handles one message from HQ; returns what to send back.
  std::vector<protocol::Message> OnMessage(const protocol::Message& message);
  // The next batch of records, if the session is welcomed and nothing is in flight.
  std::optional<protocol::Message> NextBatch();
  // The batch NextBatch returned was handed to the socket: record it as sent.
  void BatchSent();
  // The session ended (link lost): forget what was in flight; it is sent again.
  void Reset();

  bool welcomed() const { return welcomed_; }
  bool in_flight() const { return resend_at_.has_value(); }
  // Records still waiting for HQ's acknowledgement (in the store).
  std::uint64_t Pending();
  const std::string& last_error() const { return last_error_; }

 private:
  std::vector<protocol::Message> OnWelcome(const nlohmann::json& body);
  std::vector<protocol::Message> OnDeliver(const nlohmann::json& body);

  AgentStore& store_;
  const Clock& clock_;
  std::string expected_hq_id_;
  Options options_;
  bool welcomed_ = false;
  // A batch is unacknowledged: when it goes again (or the next one, if HQ acknowledged it
  // meanwhile).
  std::optional<Millis> resend_at_;
  std::string last_error_;
  std::vector<std::uint64_t> batch_seqs_;  // the batch NextBatch built last
};

}  // namespace muster::agent
