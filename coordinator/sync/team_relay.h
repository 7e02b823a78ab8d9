// Relaying a deployment's progress to its team: every member's agent keeps the team's
// view, so a member sees how teammates stand while offline (docs/protocol.md §4).
//
// The view has a version per deployment. A member's agent gets the whole view once (with
// its tasks, or with a backlog), then only changes: each "team" delivery after that says
// which places in the view now hold which state (a one-byte code) and which tasks were
// added. A change goes to an offline agent only once it has applied the previous one, and
// to one on a thin link not more often than its pace allows, so changes coalesce while a
// satellite link is busy and a relay never costs more than the records it answers.
//
// Thread: the one of its HqDatabase (the router relays; the API queues whole views).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "muster/clock.h"
#include "muster/result.h"
#include "muster/wire/deliveries.h"
#include "store/hq_database.h"
#include "sync/delivery_queue.h"

namespace muster::hq {

class TeamRelay : OverDatabase {
 public:
  TeamRelay(HqDatabase& database, DeliveryQueue& deliveries)
      : OverDatabase(database), deliveries_(deliveries) {}

  // How often an agent may be sent its team's changes: nullopt while it is offline (then
  // only once it has applied the previous change, so that changes coalesce while it is
  // away); otherwise every |pace| ms, the first change waiting a third of that for
  // others to join it (0: at every relay).
  using RelayPace = std::function<std::optional<Millis>(const std::string& agent_id)>;
  // Relays the changes of every active deployment whose tasks changed (ingest marks them)
  // to its team's agents as |pace| allows (an empty function: every agent offline), in
  // one transaction; a change that must wait joins the next. The router calls it about
  // once a second. Returns the agents with new deliveries.
  Result<std::vector<std::string>> Relay(const RelayPace& pace = {});
  // The team views of |deployments| have news for the next relay. Call inside the
  // transaction that made the news.
  void MarkDirty(const std::set<std::int64_t>& deployments);
  // An agent is back (a HELLO): its active deployments are looked at again at the next
  // relay, for the change that waited while it was offline. In memory: after a restart
  // every agent greets again.
  void Revisit(const std::string& agent_id);
  // Queues the whole team view to every member's agent (or only |only_agent|), except
  // |except_agent|. Inside a transaction.
  Status QueueSnapshot(std::int64_t deployment_id, const std::optional<std::string>& only_agent,
                       std::vector<std::string>* agents_to_notify,
                       const std::string& except_agent = {});

 private:
  // kWaiting: the agent's change waits for its pace (the deployment stays marked);
  // kOffline: for an offline agent to apply the previous one (Revisit brings it back).
  enum class RelayOutcome { kNothing, kQueued, kWaiting, kOffline };
  // Brings the deployment's team view up to date (new tasks get a place, changed states
  // the next version) and returns its version. Inside a transaction.
  Result<std::int64_t> AdvanceView(std::int64_t deployment_id);
  // The deployment's whole team view (every task with its member and state, in the view's
  // order), stamped with HQ's time and the view's version. Inside a transaction: it
  // advances the view first.
  std::optional<wire::TeamView> Snapshot(std::int64_t deployment_id);
  // The agent will hold |version| of the team's view once it applied its last delivery.
  Status NoteView(const std::string& agent_id, std::int64_t deployment_id, std::int64_t version);
  std::vector<std::string> TeamAgents(std::int64_t deployment_id);
  // Queues the team's changes since what |agent_id| holds, when it may have them now.
  Result<RelayOutcome> RelayTo(const std::string& agent_id, std::int64_t deployment_id,
                               std::int64_t version, Millis now, const RelayPace& pace);

  DeliveryQueue& deliveries_;
  // "agent#deployment" -> when that agent may be sent the team's changes again, and when
  // the changes it has not been sent yet began to gather.
  std::map<std::string, Millis> next_relay_at_;
  std::map<std::string, Millis> gathering_since_;
  std::set<std::int64_t> revisit_;  // deployments of agents that came back
};

}  // namespace muster::hq
