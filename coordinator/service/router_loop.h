// The router thread: reads agents' frames from the CURVE ROUTER socket, checks each
// against the agent directory by the key that authenticated its connection (so that a
// revocation or a new key takes effect on open connections too), rate-limits and decodes
// it, hands it to the SyncServer, and sends the replies. Frames read in one go are handled
// together, so that their RECORDS commit in one transaction (SyncServer::HandleAll).
//
// It also runs HQ's clockwork: once a second the contacts heard are written and the teams
// whose tasks changed are relayed; at its interval the alert sweep runs. Wake-up lines
// from other threads (WakeLines) push deliveries to agents or cut a session off.
//
// Thread: everything here runs on the router thread; only WakeLines is for others.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "muster/clock.h"
#include "muster/protocol.h"
#include "service/headquarters.h"
#include "sync/sync_server.h"

namespace muster::hq {

// The text another thread sends on the wake socket: push deliveries to these agents, or
// end this agent's session at once (it was revoked or re-keyed).
std::string WakeLines(const std::vector<std::string>& agent_ids);
std::string CutOffLine(const std::string& agent_id);

class RouterLoop {
 public:
  struct Options {
    SyncServer::Options sync;
    Millis alert_sweep_interval_ms = 60'000;
    protocol::Limits limits;
    SyncMetrics* metrics = nullptr;  // the agents connected and messages refused go here
    std::string hq_secret_key;       // Z85: seals wipe orders (muster/wipe_order.h)
  };
  // |router|, |wake|, |hq| and |clock| must outlive the loop.
  RouterLoop(zmq::socket_t& router, zmq::socket_t& wake, Headquarters& hq, const Clock& clock,
             Options options);

  // Serves until |stopping| is set, then writes what it heard.
  void Run(const std::atomic<bool>& stopping);

 private:
  // Reads the frames waiting (a bounded number) and handles them as one group.
  void DrainFrames();
  // The message of one frame from an active, admitted agent; or nullopt when the frame
  // was answered already (refused, rate-limited, malformed). |route| is its connection.
  std::optional<SyncServer::Incoming> Accept(zmq::message_t& payload, const std::string& route);
  void Reply(const std::string& route, const std::string& agent_id,
             const protocol::Message& message);
  // A revoked agent with a wipe order pending: whatever it sends is answered with the
  // order (WIPE), except its confirmation (WIPED), which is recorded; nothing else of
  // its is handled.
  void ServeWipe(const AgentRecord& agent, zmq::message_t& payload, const std::string& route);
  // The agent's pending order, sealed for it.
  std::optional<protocol::Message> WipeMessage(const AgentRecord& agent);
  void SendTo(const std::string& agent_id, const std::vector<protocol::Message>& messages);
  // Refuses a message from a revoked or replaced key: drops its session, audits once per
  // connection.
  void RefuseCutOff(const std::string& agent_id, const std::string& route, const std::string& peer,
                    bool known);
  void HandleWakes();
  void FlushContacts();
  void RelayTeams();
  // Counts a message refused before it reached the SyncServer, and publishes how many
  // agents are connected (metrics only).
  void CountRefused(ErrorCode code);
  void PublishConnected();
  void SweepAlerts();

  zmq::socket_t& router_;
  zmq::socket_t& wake_;
  Headquarters& hq_;
  const Clock& clock_;
  Options options_;
  SyncServer sync_;
  std::map<std::string, std::string> routes_;  // agent -> its newest connection
  std::map<std::string, Millis> heard_;        // agent -> its last admitted message
  std::set<std::string> refused_routes_;       // connections already audited as refused
};

}  // namespace muster::hq
