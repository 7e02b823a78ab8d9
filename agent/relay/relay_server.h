// The team's field relay, members' side (docs/agent.md, "The field relay"): a ROUTER
// socket on the local network with CURVE, this laptop's agent key as the server key, and
// a ZAP handler that admits the team's agents only (the keys HQ put in the team views:
// a stranger on the hotel Wi-Fi never completes the handshake).
//
// For each member's agent it
// - keeps the records it sends (RECORDS, each with its author's tag) in the relay's
//   queue (relay_queue.h) and acknowledges them (ACK): this laptop's link to HQ forwards
//   them unchanged (RELAYED) whenever HQ is in reach;
// - tells it the team's state on site (SITE): on its HELLO, after every RECORDS, and to
//   every member whenever that state changes, so the team view converges on site and a
//   dependency a teammate completed is released before HQ hears of it;
// - answers PING with PONG;
// - tells the author what HQ refused of its records (an ERROR with `ref`, as HQ would);
// and keeps the team's state on site for this laptop's own member too.
// The member's id in a message is never trusted: its records are kept under the agent
// whose key completed the handshake.
//
// Runs in a thread of its own (Run), on a store connection of its own.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <zmq.hpp>

#include "agent_store.h"
#include "muster/bundle.h"
#include "muster/protocol.h"
#include "relay/relay_queue.h"

namespace muster::agent {

struct RelayServerOptions {
  std::string bind = "tcp://0.0.0.0:7480";
  Millis poll_ms = 250;
  // The team's state is looked at again this often, and sent to members when it changed.
  Millis site_every_ms = 1'000;
  // A member not heard for this long is no longer sent the team's changes.
  Millis member_silent_ms = 120'000;
};

class RelayServer {
 public:
  RelayServer(AgentStore& store, Bundle bundle, const Clock& clock, RelayServerOptions options);
  ~RelayServer();

  // Binds the ZAP handler and the ROUTER; an error naming the address and the fix.
  Status Start();
  // The address bound (a port chosen by the system resolved).
  const std::string& endpoint() const { return endpoint_; }
  // Serves until |stop| becomes true (seen within poll_ms).
  void Run(const std::atomic<bool>& stop);

  struct Stats {
    std::uint64_t records = 0;       // records kept (duplicates included)
    std::uint64_t keys_refused = 0;  // handshakes refused: keys not of the team
    std::uint64_t site_sent = 0;     // SITE messages sent
  };
  Stats stats() const;

 private:
  struct Member {
    std::string agent;
    Millis heard_at = 0;
    std::string site_sent;  // the SITE body last sent, as text
  };
  void ServeZap();
  void ServeMessage();
  // What to answer |agent| for |message|.
  std::vector<protocol::Message> Handle(const std::string& route, const std::string& agent,
                                        const protocol::Message& message);
  std::vector<protocol::Message> OnRecords(const std::string& agent, const nlohmann::json& body);
  // Sends the team's state to every member heard lately whose view of it changed.
  void SendSite(bool force_route_only, const std::string& route);
  void Send(const std::string& route, const protocol::Message& message);

  AgentStore& store_;
  Bundle bundle_;
  const Clock& clock_;
  RelayServerOptions options_;
  RelayQueue queue_;
  zmq::context_t context_;
  std::unique_ptr<zmq::socket_t> zap_;
  std::unique_ptr<zmq::socket_t> router_;
  std::string endpoint_;
  std::map<std::string, Member> members_;  // routing id -> member
  std::string own_site_;                   // the team on site as this laptop last kept it
  std::atomic<std::uint64_t> records_{0};
  std::atomic<std::uint64_t> keys_refused_{0};
  std::atomic<std::uint64_t> site_sent_{0};
};

}  // namespace muster::agent
