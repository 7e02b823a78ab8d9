// The API's front door (docs/security.md#operators-and-roles): who may call which route.
//
// A request is let in by one of
//   - "Authorization: Bearer mst_…", the token of an operator's session (the CLI);
//   - the cookie "muster_session" holding such a token (the web console); a change asked
//     for with the cookie must repeat the session's CSRF secret in "X-Muster-CSRF";
//   - "Authorization: Bearer" with DATA/api.token, the administrator's break-glass
//     credential on HQ's machine, audited as "break-glass";
//   - the read-only DATA/metrics.token, for GET /metrics only.
// /healthz, POST /v1/login and the web console's static files need nothing. Then the
// caller's role must allow what the route needs (access/roles.h); a refusal is answered
// 403 and audited as access.refused.
//
// Routes of its own: POST /v1/login, POST /v1/logout, GET /v1/session. Logins are slowed
// by an access/login_throttle.h.
//
// Thread-safe: the guard runs on httplib's worker threads.
#pragma once

#include <httplib.h>

#include <string>

#include "access/login_throttle.h"
#include "api/api_context.h"
#include "api/api_request.h"
#include "muster/clock.h"

namespace muster::hq {

// The bearer tokens the server accepts besides sessions: |api| for everything (break
// glass), |metrics| for GET /metrics only.
struct ApiTokens {
  std::string api;
  std::string metrics;
};

inline constexpr const char* kSessionCookie = "muster_session";
inline constexpr const char* kCsrfHeader = "X-Muster-CSRF";

class ApiAuth {
 public:
  ApiAuth(ApiTokens tokens, ApiContext& context, const Clock& clock, Millis session_lifetime);

  // The pre-routing handler: Unhandled lets the request through to its route (with
  // RequestCaller() set), Handled means |response| holds the refusal.
  httplib::Server::HandlerResponse Admit(const httplib::Request& request,
                                         httplib::Response& response);
  void AddRoutes(httplib::Server& server);

 private:
  // The session or break-glass caller the request's credentials name; an error status
  // for credentials that do not open one.
  Result<std::optional<Caller>> Identify(const httplib::Request& request);
  void Login(const httplib::Request& request, httplib::Response& response);
  void Logout(const httplib::Request& request, httplib::Response& response);
  // Audits and answers a caller whose role does not allow |needs|.
  void Refuse(const httplib::Request& request, httplib::Response& response, const Caller& caller,
              Permission needs);

  ApiTokens tokens_;
  ApiContext& context_;
  Millis session_lifetime_;
  LoginThrottle throttle_;
};

}  // namespace muster::hq
