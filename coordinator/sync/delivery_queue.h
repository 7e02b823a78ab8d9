// The outbound log: deliveries queued for each agent (playbooks, task snapshots, team
// views and changes), numbered per agent, read back in order by the sync server. A
// delivery stays in the log; an agent's applied watermark (sync/agent_progress.h) says
// which it holds.
//
// Queue inside the transaction of the change it carries, so that a change and its
// deliveries commit together. Thread: the one of its HqDatabase.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "muster/result.h"
#include "muster/wire/deliveries.h"
#include "store/hq_database.h"

namespace muster::hq {

// One delivery queued for an agent.
using Delivery = wire::Entry;

class DeliveryQueue : OverDatabase {
 public:
  explicit DeliveryQueue(HqDatabase& database) : OverDatabase(database) {}

  // Queues one delivery (a wire::*Delivery, TeamView or TeamChange) for an agent.
  template <typename T>
  Status Queue(const std::string& agent_id, const T& delivery) {
    return QueueText(agent_id, wire::DeliveryKindName(T::kKind), delivery.Encode().dump());
  }
  // The same with the body already serialized. not_found when there is no such agent.
  Status QueueText(const std::string& agent_id, const std::string& kind, const std::string& body);
  // One body to many agents (a deployment's playbook, a team's view): stored once, each
  // agent's delivery refers to it.
  Status QueueShared(const std::vector<std::string>& agent_ids, const std::string& kind,
                     const std::string& body);

  // A delivery as queued, its body packed (MessagePack, wire/packing.h) ready to be
  // spliced into a DELIVER, with the length of its body's JSON text (what a message's
  // budget counts).
  struct QueuedDelivery {
    std::uint64_t seq = 0;
    std::string kind;
    Millis at = 0;
    std::shared_ptr<const std::string> packed_body;  // a shared body's is shared
    std::size_t text_bytes = 0;
    // The delivery as the agent decodes it.
    Delivery Unpacked() const;
  };
  // Deliveries for |agent_id| with seq > |after|, oldest first, at most |max|. A shared
  // body is read and packed once. Call it outside a transaction that may roll back: it
  // keeps the shared bodies it read.
  Result<std::vector<QueuedDelivery>> Pending(const std::string& agent_id, std::uint64_t after,
                                              std::size_t max);

  // The agents that receive |member_id|'s deliveries: every active one, oldest first
  // (one, unless an officer added a second device). Each has its own numbering.
  std::vector<std::string> ActiveAgentsOf(const std::string& member_id);

 private:
  // Appends one delivery: its body inline, or a shared body's id.
  Status Append(const std::string& agent_id, const std::string& kind, const std::string& body,
                std::optional<std::int64_t> body_id);
  struct PackedBody {
    std::shared_ptr<const std::string> packed;
    std::size_t text_bytes = 0;
  };
  // store_corrupt when the stored text is not JSON.
  static Result<PackedBody> Pack(const char* text, std::size_t bytes);
  Result<PackedBody> Shared(std::int64_t body_id);

  // Shared bodies read by Pending, by id (ids of committed bodies are never reused); the
  // last few deployments' at most.
  std::map<std::int64_t, PackedBody> shared_bodies_;
};

}  // namespace muster::hq
