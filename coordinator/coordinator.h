// The coordinator service: wires the store, the ZeroMQ ROUTER with its ZAP handler, and
// the HTTP API together. main.cc only parses arguments and calls Start/Wait/Stop; tests
// run a Coordinator in-process.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "config.h"
#include "hq_store.h"
#include "muster/clock.h"
#include "muster/keys.h"
#include "muster/protocol.h"
#include "sync_server.h"

namespace httplib {
class Server;
}

namespace muster::hq {

class Coordinator {
 public:
  Coordinator(Config config, const Clock& clock);
  ~Coordinator();

  // Creates the data directory, store, keys and API token on first start, binds the
  // ROUTER and the API, and starts their threads. Returns once both are listening.
  Status Start();
  // Stops both threads and closes every socket. Idempotent.
  void Stop();

  const std::string& agent_endpoint() const { return agent_endpoint_; }  // as bound
  const std::string& public_endpoint() const { return public_endpoint_; }
  std::string api_url() const;
  const std::string& api_token() const { return api_token_; }
  const KeyPair& keys() const { return keys_; }

  // Asks the router thread to push pending deliveries to these agents. Thread-safe.
  void Notify(const std::vector<std::string>& agent_ids);
  // Asks the router thread to forget the agent's session and route at once (it was
  // revoked or its key replaced). Thread-safe.
  void CutOff(const std::string& agent_id);

 private:
  Status PrepareDataDir();
  void RunRouter();
  // Raises the time-based alerts that are due (router thread, every alerts.sweep_interval).
  void SweepAlerts();
  void RunZap();
  void HandleFrame(zmq::socket_t& router, zmq::message_t& identity, zmq::message_t& payload);
  void SendTo(zmq::socket_t& router, const std::string& agent_id,
              const std::vector<protocol::Message>& messages);
  // Refuses a message from a revoked or replaced key: drops its session, audits once
  // per connection. Router thread only.
  void RefuseCutOff(const std::string& agent_id, const std::string& route,
                    const std::string& peer, bool known);
  void Wake(const std::string& text);
  Status StartApi();
  // Audit, revoke and rotate routes (api_security.cc).
  void AddSecurityRoutes(httplib::Server& server);
  std::string BundleFor(const std::string& agent_id, const std::string& member,
                        const KeyPair& keys) const;
  // The routes for running deployments, alerts, the timeline and the SITREP (api_ops.cc).
  void AddOperationsRoutes(httplib::Server& server);

  Config config_;
  const Clock& clock_;
  KeyPair keys_;
  std::string api_token_;
  std::string agent_endpoint_;
  std::string public_endpoint_;
  int api_port_ = 0;

  zmq::context_t context_;
  std::unique_ptr<zmq::socket_t> router_;  // used only by the router thread after Start
  std::unique_ptr<zmq::socket_t> zap_;     // used only by the ZAP thread after Start
  std::unique_ptr<zmq::socket_t> wake_pull_;
  std::mutex wake_mutex_;
  std::unique_ptr<zmq::socket_t> wake_push_;  // guarded by wake_mutex_

  std::unique_ptr<HqStore> router_store_;  // router thread only
  std::unique_ptr<HqStore> zap_store_;     // ZAP thread only
  std::mutex api_mutex_;
  std::unique_ptr<HqStore> api_store_;  // guarded by api_mutex_
  std::unique_ptr<httplib::Server> api_;

  std::atomic<bool> stopping_{false};
  std::thread router_thread_;
  std::thread zap_thread_;
  std::thread api_thread_;
  bool started_ = false;

  // Routing ids of connected agents; router thread only.
  std::map<std::string, std::string> routes_;
  std::set<std::string> refused_routes_;  // connections already audited as refused
  std::unique_ptr<SyncServer> sync_;  // router thread only
  protocol::Limits limits_;

  friend class ApiRoutes;
};

}  // namespace muster::hq
