// The HTTP/JSON API the console uses (docs/api.md): an httplib server with the bearer
// token check in front of every route, JSON errors for malformed requests, and the routes
// of routes.h; HTTPS (TLS 1.2 or newer) when given a certificate and key
// (api/tls_identity.h). Bound to loopback by default; every request needs
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

// The certificate chain and private key files (PEM) the API serves HTTPS with; both empty:
// plain HTTP.
struct ApiTlsFiles {
  std::string cert_path;
  std::string key_path;
};

class ApiServer {
 public:
  ApiServer(ApiTokens tokens, ApiContext& context, const ApiTlsFiles& tls = {});
  ~ApiServer();

  // Binds |bind|:|port| (0: any free port) and serves on a thread of its own; returns
  // once it listens. bind_failed when the address is taken or not ours; bad_key when the
  // TLS files given to the constructor cannot serve.
  Status Listen(const std::string& bind, int port);
  // Stops serving and joins the thread. Idempotent.
  void Stop();
  int port() const { return port_; }

 private:
  void Guard();

  ApiTokens tokens_;
  ApiContext& context_;
  std::string tls_error_;  // why the TLS files cannot serve; empty when they can
  std::unique_ptr<httplib::Server> owned_server_;  // an httplib::SSLServer with TLS
  httplib::Server& server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace muster::hq
