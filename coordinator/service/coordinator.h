// The coordinator service: wires HQ's core (service/headquarters.h), the ZeroMQ ROUTER
// with its ZAP handler, the router thread (service/router_loop.h) and the HTTP API
// (api/api_server.h) together, and does nothing else. service/main.cc only parses
// arguments and calls Start/Wait/Stop; tests run a Coordinator in-process.
//
// Threads: Start and Stop from one thread; Notify and CutOff from any.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "api/api_context.h"
#include "api/api_server.h"
#include "monitoring/sync_metrics.h"
#include "muster/clock.h"
#include "muster/daemon.h"
#include "muster/archive.h"
#include "muster/keys.h"
#include "muster/protocol.h"
#include "service/config.h"
#include "service/headquarters.h"

namespace muster::hq {

class Coordinator {
 public:
  Coordinator(Config config, const Clock& clock);
  ~Coordinator();

  // Creates the data directory, store, keys and API token on first start (and the API's
  // self-signed certificate when it serves HTTPS without a configured one), binds the
  // ROUTER and the API, and starts their threads. Returns once both are listening.
  // invalid_config when api.tls contradicts api.bind (service/config.h ApiServesTls).
  Status Start();
  // Stops both threads and closes every socket. Idempotent.
  void Stop();

  const std::string& agent_endpoint() const { return agent_endpoint_; }  // as bound
  const std::string& public_endpoint() const { return public_endpoint_; }
  std::string api_url() const;  // https:// when the API serves TLS
  // The API certificate's fingerprint (muster/digest.h TlsFingerprint); empty without TLS.
  const std::string& tls_fingerprint() const { return tls_fingerprint_; }
  const std::string& api_token() const { return api_token_; }
  const std::string& metrics_token() const { return metrics_token_; }
  const KeyPair& keys() const { return keys_; }

  // Asks the router thread to push pending deliveries to these agents. Thread-safe.
  void Notify(const std::vector<std::string>& agent_ids);
  // Asks the router thread to forget the agent's session and route at once (it was
  // revoked or its key replaced). Thread-safe.
  void CutOff(const std::string& agent_id);

 private:
  Status PrepareDataDir();
  // Binds the ZAP handler, the ROUTER (CURVE server) and the wake-up pair.
  Status BindSockets();
  // The router thread's body (service/router_loop.h).
  void RunRouter();
  void RunZap();
  void Wake(const std::string& text);
  // Starts the HTTP API (api/api_server.h) over the API thread's Headquarters.
  Status StartApi();
  std::string BundleFor(const std::string& agent_id, const std::string& member,
                        const KeyPair& keys) const;

  Config config_;
  const Clock& clock_;
  KeyPair keys_;
  archive::SigningKey archive_key_;  // signs incident archives (muster/archive.h)
  std::string api_token_;
  std::string metrics_token_;
  ApiTlsFiles api_tls_;  // both empty: plain HTTP
  std::string tls_fingerprint_;
  SyncMetrics metrics_;  // the router counts, the API reads
  std::string agent_endpoint_;
  std::string public_endpoint_;

  zmq::context_t context_;
  std::unique_ptr<zmq::socket_t> router_;  // used only by the router thread after Start
  std::unique_ptr<zmq::socket_t> zap_;     // used only by the ZAP thread after Start
  std::unique_ptr<zmq::socket_t> wake_pull_;
  std::mutex wake_mutex_;
  std::unique_ptr<zmq::socket_t> wake_push_;  // guarded by wake_mutex_

  std::optional<DirectoryLock> data_lock_;  // held from Start until Stop
  std::unique_ptr<Headquarters> router_hq_;  // router thread only
  std::unique_ptr<HqDatabase> zap_db_;       // ZAP thread only, with its directory
  std::unique_ptr<AgentDirectory> zap_directory_;
  std::unique_ptr<Headquarters> api_hq_;  // the API's, used only through api_context_
  std::unique_ptr<ApiContext> api_context_;
  std::unique_ptr<ApiServer> api_;

  std::atomic<bool> stopping_{false};
  std::thread router_thread_;
  std::thread zap_thread_;
  bool started_ = false;

  protocol::Limits limits_;
};

}  // namespace muster::hq
