#include "api/api_server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <chrono>

#include "api/api_http.h"
#include "api/routes.h"
#include "muster/log.h"

namespace muster::hq {

namespace {

// Plain HTTP without |tls| files, else HTTPS with them, TLS 1.2 or newer; why the files
// cannot serve goes to |error|.
std::unique_ptr<httplib::Server> MakeServer(const ApiTlsFiles& tls, std::string& error) {
  if (tls.cert_path.empty()) return std::make_unique<httplib::Server>();
  return std::make_unique<httplib::SSLServer>([&tls, &error](SSL_CTX& ssl) {
    SSL_CTX_set_options(&ssl, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_set_min_proto_version(&ssl, TLS1_2_VERSION) == 1 &&
        SSL_CTX_use_certificate_chain_file(&ssl, tls.cert_path.c_str()) == 1 &&
        SSL_CTX_use_PrivateKey_file(&ssl, tls.key_path.c_str(), SSL_FILETYPE_PEM) == 1 &&
        SSL_CTX_check_private_key(&ssl) == 1) {
      return true;
    }
    char reason[256] = "unknown error";
    if (const unsigned long code = ERR_peek_last_error()) {
      ERR_error_string_n(code, reason, sizeof reason);
    }
    ERR_clear_error();
    error = "the API cannot serve HTTPS with " + tls.cert_path + " and " + tls.key_path + ": " +
            reason;
    return false;
  });
}

}  // namespace

ApiServer::ApiServer(ApiTokens tokens, ApiContext& context, const Clock& clock,
                     Millis session_lifetime, const ApiTlsFiles& tls)
    : context_(context),
      auth_(std::move(tokens), context, clock, session_lifetime),
      owned_server_(MakeServer(tls, tls_error_)),
      server_(*owned_server_) {
  server_.set_payload_max_length(8u << 20);
  Guard();
  server_.Get("/v1/health", [this](const httplib::Request&, httplib::Response& response) {
    SendJson(response,
             json{{"status", "ok"},
                  {"hq_id", context_.With([](Headquarters& hq) { return hq.database().hq_id(); })},
                  {"agent_endpoint", context_.public_endpoint()}});
  });
  auth_.AddRoutes(server_);
  AddIncidentRoutes(server_, context_);
  AddRosterRoutes(server_, context_);
  AddDeploymentRoutes(server_, context_);
  AddAuthorRoutes(server_, context_);
  AddWatchlistRoutes(server_, context_);
  AddExerciseRoutes(server_, context_);
  AddReportRoutes(server_, context_);
  AddArchiveRoutes(server_, context_);
  AddAlertRoutes(server_, context_);
  AddAuditRoutes(server_, context_);
  AddMonitoringRoutes(server_, context_);
  AddOperatorRoutes(server_, context_);
  AddWebRoutes(server_, context_);
  AddSecurityHeaders(server_, !tls.cert_path.empty());
}

ApiServer::~ApiServer() { Stop(); }

void ApiServer::Stop() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

void ApiServer::Guard() {
  // A body with a field of the wrong JSON type makes the JSON library throw: that is the
  // caller's mistake, answered as such, never a crash or a bare 500.
  server_.set_exception_handler(
      [](const httplib::Request& request, httplib::Response& response, std::exception_ptr error) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(error);
        } catch (const nlohmann::json::exception& json_error) {
          SendError(response,
                    Status::Error(ErrorCode::kMalformed, std::string("a field of the request has "
                                                                     "the wrong type: ") +
                                                             json_error.what()));
          return;
        } catch (const std::exception& other) {
          what = other.what();
        } catch (...) {
        }
        Logger("api")->error("event=handler_failed path={} error=\"{}\"", request.path, what);
        SendError(response, Status::Error(ErrorCode::kInternal, "the coordinator failed: " + what));
      });
  server_.set_pre_routing_handler(
      [this](const httplib::Request& request, httplib::Response& response) {
        return auth_.Admit(request, response);
      });
}

Status ApiServer::Listen(const std::string& bind, int port) {
  if (!server_.is_valid()) return Status::Error(ErrorCode::kBadKey, tls_error_);
  port_ =
      port == 0 ? server_.bind_to_any_port(bind) : (server_.bind_to_port(bind, port) ? port : -1);
  if (port_ <= 0) {
    return Status::Error(
        ErrorCode::kBindFailed,
        "cannot bind the API to " + bind + ":" + std::to_string(port) + "; is the port in use?");
  }
  if (bind != "127.0.0.1" && bind != "::1" && bind != "localhost") {
    Logger("api")->warn(
        "event=api_not_loopback bind={} hint=\"the API then answers other "
        "hosts; keep the token secret and prefer 127.0.0.1\"",
        bind);
  }
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  // httplib's stop() is ignored until the listening thread is running, so Start returns
  // only once it is: a Stop right after Start then always ends the thread.
  for (int i = 0; i < 500 && !server_.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!server_.is_running()) {
    return Status::Error(ErrorCode::kBindFailed, "the API did not start listening");
  }
  return Status::Ok();
}

}  // namespace muster::hq
