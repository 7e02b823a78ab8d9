// The HTTP/JSON API the console uses (docs/api.md): an httplib server with the bearer
// token check in front of every route, JSON errors for malformed requests, and the routes
// of routes.h. Bound to loopback by default; every request needs
// "Authorization: Bearer TOKEN" with the token from DATA/api.token, except /healthz (no
// token) and /metrics (that token or the read-only one from DATA/metrics.token).
//
// Threads: Listen starts the server's own thread; Stop ends it. |context| must outlive
// the server.
#pragma once

#include <httplib.h>

#include <memory>
#include <string>
#include <thread>

#include "api/api_context.h"
#include "muster/result.h"

namespace muster::hq {

// The bearer tokens the server accepts: |api| for everything, |metrics| for GET /metrics
// only.
struct ApiTokens {
  std::string api;
  std::string metrics;
};

class ApiServer {
 public:
  ApiServer(ApiTokens tokens, ApiContext& context);
  ~ApiServer();

  // Binds |bind|:|port| (0: any free port) and serves on a thread of its own; returns
  // once it listens. bind_failed when the address is taken or not ours.
  Status Listen(const std::string& bind, int port);
  // Stops serving and joins the thread. Idempotent.
  void Stop();
  int port() const { return port_; }

 private:
  void Guard();

  ApiTokens tokens_;
  ApiContext& context_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace muster::hq
