// The HTTP/JSON API the console uses (docs/api.md): an httplib server with the guard of
// api/api_auth.h in front of every route (who is calling, and whether their role allows
// it), JSON errors for malformed requests, and the routes of routes.h; HTTPS (TLS 1.2 or
// newer) when given a certificate and key (api/tls_identity.h).
//
// Threads: Listen starts the server's own thread; Stop ends it. |context| must outlive
// the server.
#pragma once

#include <httplib.h>

#include <memory>
#include <string>
#include <thread>

#include "api/api_auth.h"
#include "api/api_context.h"
#include "muster/clock.h"
#include "muster/result.h"

namespace muster::hq {

// The certificate chain and private key files (PEM) the API serves HTTPS with; both empty:
// plain HTTP.
struct ApiTlsFiles {
  std::string cert_path;
  std::string key_path;
};

class ApiServer {
 public:
  // Operators' sessions last |session_lifetime| from their login.
  ApiServer(ApiTokens tokens, ApiContext& context, const Clock& clock, Millis session_lifetime,
            const ApiTlsFiles& tls = {});
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

  ApiContext& context_;
  ApiAuth auth_;
  std::string tls_error_;  // why the TLS files cannot serve; empty when they can
  std::unique_ptr<httplib::Server> owned_server_;  // an httplib::SSLServer with TLS
  httplib::Server& server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace muster::hq
