// What an agent is sent about its member's work: the pinned playbooks, each task's
// snapshot (state, due time, what it waits on), and the whole backlog for an agent that
// is new or whose deliveries were lost; and where an agent's deliveries continue after a
// HELLO (docs/protocol.md §6).
//
// Everything here queues inside the caller's transaction, except Reconcile, which makes
// its own. Thread: the one of its HqDatabase.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/playbook_library.h"
#include "domain/watchlist.h"
#include "muster/playbook/model.h"
#include "muster/result.h"
#include "muster/wire/deliveries.h"
#include "store/hq_database.h"
#include "sync/delivery_queue.h"
#include "sync/team_relay.h"

namespace muster::hq {

class Dispatch : OverDatabase {
 public:
  Dispatch(HqDatabase& database, PlaybookLibrary& playbooks, DeliveryQueue& deliveries,
           TeamRelay& team, Watchlist& watchlist)
      : OverDatabase(database),
        playbooks_(playbooks),
        deliveries_(deliveries),
        team_(team),
        watchlist_(watchlist) {}

  // Sends each task's current snapshot to the agent of its member (none yet: enrolment
  // sends the backlog), adding each agent once to |agents_to_notify| when given.
  Status QueueTaskSnapshots(const std::vector<std::string>& task_ids,
                            std::vector<std::string>* agents_to_notify);
  // The pinned playbook with its signature, and its revocation after it when revoked.
  Status QueuePlaybook(const std::string& agent_id, const playbook::Playbook& book);
  // The whole watchlist of |deployment_id|'s incident to |agent_id|, whose member joined
  // it; with |carry| false an empty one (the member has no active deployment there now).
  Status QueueWatchlist(const std::string& agent_id, std::int64_t deployment_id, bool carry = true);
  // Queues every playbook, task snapshot, team view and watchlist of |member_id|'s active
  // deployments to |agent_id|.
  Status QueueBacklog(const std::string& agent_id, const std::string& member_id);

  // Where an agent's deliveries continue after a HELLO.
  struct DeliveryCursor {
    std::uint64_t head = 0;  // the last delivery queued for the agent
    // Set when the agent's cursor cannot be continued: deliveries restart here with a
    // full view of the agent's tasks, playbooks and teams.
    std::optional<std::uint64_t> restart_from;
    bool hq_restored = false;  // this store numbered fewer than the agent applied
  };
  // Brings this store's delivery numbering and the agent's cursor |agent_applied|
  // together. When the agent is ahead (this store was restored from an older backup),
  // numbering continues after the agent's cursor with a full view queued there. When the
  // deliveries after the agent's cursor are not all here (both sides were restored), the
  // agent restarts at the first full view after the last gap, queued now if none is.
  Result<DeliveryCursor> Reconcile(const std::string& agent_id, std::uint64_t agent_applied);

 private:
  // Who holds each dependency step of a deployment, by (deployment, step): the same for
  // every task of a step, so snapshots queued together look each up once.
  using Holders = std::map<std::pair<std::int64_t, std::string>, std::vector<wire::WaitsOn>>;
  // The task as its member's agent is sent it; nullopt when there is no such task.
  // |holders| is valid for one transaction.
  std::optional<wire::TaskDelivery> TaskSnapshot(const std::string& task_id, Holders& holders);
  const std::vector<wire::WaitsOn>& HoldersOf(std::int64_t deployment_id, const std::string& step,
                                             Holders& holders);
  // Whether the deployment has any task of |step|, cancelled and reassigned ones included.
  bool HasTasks(std::int64_t deployment_id, const std::string& step);

  PlaybookLibrary& playbooks_;
  DeliveryQueue& deliveries_;
  TeamRelay& team_;
  Watchlist& watchlist_;
};

}  // namespace muster::hq
