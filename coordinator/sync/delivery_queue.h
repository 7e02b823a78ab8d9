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
  // The same with the body already serialized (one body queued to many agents).
  // not_found when there is no such agent.
  Status QueueText(const std::string& agent_id, const std::string& kind, const std::string& body);

  // A delivery as queued, with the length of its body's JSON text (what a message's
  // budget counts).
  struct QueuedDelivery {
    Delivery entry;
    std::size_t text_bytes = 0;
  };
  // Deliveries for |agent_id| with seq > |after|, oldest first, at most |max|. A large
  // body queued to many agents (a playbook) is parsed once and copied after that.
  Result<std::vector<QueuedDelivery>> Pending(const std::string& agent_id, std::uint64_t after,
                                              std::size_t max);

  // The agent that receives |member_id|'s deliveries: their newest active one.
  std::optional<std::string> ActiveAgentOf(const std::string& member_id);

 private:
  // Large delivery bodies by their text, parsed (Pending); a handful at most.
  std::map<std::string, json> parsed_bodies_;
};

}  // namespace muster::hq
