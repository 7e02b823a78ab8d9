#include "api/api_auth.h"

#include <sodium.h>

#include "access/password.h"
#include "api/api_http.h"
#include "api/api_request.h"
#include "muster/log.h"

namespace muster::hq {
namespace {

bool SameSecret(const std::string& given, const std::string& expected) {
  // Constant time: the comparison does not reveal how many leading characters match.
  return !expected.empty() && given.size() == expected.size() &&
         sodium_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

std::string BearerToken(const httplib::Request& request) {
  const std::string header = request.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  return header.rfind(prefix, 0) == 0 ? header.substr(prefix.size()) : std::string();
}

// The value of cookie |name| in the request's Cookie header ("a=1; b=2"), or "".
std::string CookieValue(const httplib::Request& request, const std::string& name) {
  const std::string header = request.get_header_value("Cookie");
  std::size_t at = 0;
  while (at < header.size()) {
    std::size_t end = header.find(';', at);
    if (end == std::string::npos) end = header.size();
    std::size_t start = header.find_first_not_of(' ', at);
    if (start < end && header.compare(start, name.size() + 1, name + "=") == 0) {
      return header.substr(start + name.size() + 1, end - start - name.size() - 1);
    }
    at = end + 1;
  }
  return "";
}

bool ChangesSomething(const httplib::Request& request) {
  return request.method != "GET" && request.method != "HEAD";
}

// Needs no credentials: the health check, the login, the web console's own files (not
// the map tiles, which show where the team works).
bool IsOpen(const httplib::Request& request) {
  if (request.path == "/healthz") return true;
  if (request.path == "/v1/login") return request.method == "POST";
  return request.method == "GET" && request.path.rfind("/v1/", 0) != 0 &&
         request.path.rfind("/tiles/", 0) != 0 && request.path != "/metrics";
}

std::string SessionCookie(const std::string& token, Millis max_age) {
  return std::string(kSessionCookie) + "=" + token +
         "; Path=/; Max-Age=" + std::to_string(max_age / 1000) +
         "; HttpOnly; Secure; SameSite=Strict";
}

json SessionJson(const Caller& caller) {
  json session = {{"operator", caller.name},
                  {"role", RoleName(caller.role)},
                  {"client", caller.client},
                  {"break_glass", caller.break_glass},
                  {"expires_at", caller.break_glass ? json() : json(caller.expires_at)}};
  if (caller.client == "web") session["csrf"] = caller.csrf;
  return session;
}

Caller FromSession(const Session& session) {
  return Caller{session.operator_name, session.role,      false, session.id, session.client,
                session.csrf,          session.expires_at};
}

}  // namespace

ApiAuth::ApiAuth(ApiTokens tokens, ApiContext& context, const Clock& clock, Millis session_lifetime)
    : tokens_(std::move(tokens)),
      context_(context),
      session_lifetime_(session_lifetime),
      throttle_(clock) {}

Result<std::optional<Caller>> ApiAuth::Identify(const httplib::Request& request) {
  const std::string bearer = BearerToken(request);
  if (SameSecret(bearer, tokens_.api)) {
    return std::optional<Caller>(
        Caller{kBreakGlassActor, Role::kAdministrator, true, 0, "token", "", 0});
  }
  const bool from_cookie = bearer.empty();
  const std::string token = from_cookie ? CookieValue(request, kSessionCookie) : bearer;
  if (token.empty()) return std::optional<Caller>();
  Result<std::optional<Session>> session =
      context_.With([&](Headquarters& hq) { return hq.sessions().Resolve(token); });
  if (!session.ok()) return session.status();
  if (!*session) {
    return Status::Error(ErrorCode::kUnauthorized,
                         "the session has expired or ended; log in again (muster login)");
  }
  Caller caller = FromSession(**session);
  if (from_cookie && ChangesSomething(request) &&
      !SameSecret(request.get_header_value(kCsrfHeader), caller.csrf)) {
    return Status::Error(ErrorCode::kForbidden,
                         std::string("a change made with the session cookie must carry the "
                                     "session's CSRF secret in ") +
                             kCsrfHeader + "; reload the page");
  }
  return std::optional<Caller>(std::move(caller));
}

httplib::Server::HandlerResponse ApiAuth::Admit(const httplib::Request& request,
                                                httplib::Response& response) {
  using Outcome = httplib::Server::HandlerResponse;
  SetRequestCaller(std::nullopt);
  if (IsOpen(request)) return Outcome::Unhandled;
  if (SameSecret(BearerToken(request), tokens_.metrics)) {
    if (request.path == "/metrics" && request.method == "GET") return Outcome::Unhandled;
    SendError(response, Status::Error(ErrorCode::kForbidden,
                                      "the metrics token reads GET /metrics only; log in "
                                      "as an operator (muster login)"));
    return Outcome::Handled;
  }
  Result<std::optional<Caller>> caller = Identify(request);
  if (caller.ok() && !*caller) {
    caller = Status::Error(ErrorCode::kUnauthorized,
                           "log in first: muster login --api URL (or, on HQ's machine, "
                           "--data DIR with DATA/api.token)");
  }
  if (!caller.ok()) {
    Logger("api")->warn("event=unauthorized method={} path={} remote={} reason=\"{}\"",
                        request.method, request.path, request.remote_addr,
                        caller.status().message());
    SendError(response, caller.status());
    return Outcome::Handled;
  }
  const Permission needs = NeededFor(request.method, request.path);
  if (!Allows((*caller)->role, needs)) {
    Refuse(request, response, **caller, needs);
    return Outcome::Handled;
  }
  SetRequestCaller(std::move(*caller));
  return Outcome::Unhandled;
}

void ApiAuth::Refuse(const httplib::Request& request, httplib::Response& response,
                     const Caller& caller, Permission needs) {
  SetRequestCaller(caller);
  const Actor actor = RequestActor(request);
  SetRequestCaller(std::nullopt);
  Status audited = context_.With([&](Headquarters& hq) {
    return hq.audit().Record({actor,
                              "access.refused",
                              request.method + " " + request.path,
                              {{"role", RoleName(caller.role)}, {"needs", PermissionName(needs)}}});
  });
  if (!audited.ok()) {
    Logger("api")->error("event=audit_failed action=access.refused error=\"{}\"",
                         audited.message());
  }
  SendError(response,
            Status::Error(ErrorCode::kForbidden,
                          "operator " + caller.name + " is a " + RoleName(caller.role) +
                              ", who may not " + PermissionName(needs) + " (" + request.method +
                              " " + request.path + "); ask an administrator"));
}

void ApiAuth::AddRoutes(httplib::Server& server) {
  server.Post("/v1/login", [this](const httplib::Request& request, httplib::Response& response) {
    Login(request, response);
  });
  server.Post("/v1/logout", [this](const httplib::Request& request, httplib::Response& response) {
    Logout(request, response);
  });
  server.Get("/v1/session", [](const httplib::Request&, httplib::Response& response) {
    SendJson(response, SessionJson(*RequestCaller()));
  });
}

void ApiAuth::Login(const httplib::Request& request, httplib::Response& response) {
  auto body = Body(request, response);
  if (!body) return;
  const std::string name = body->value("operator", "");
  const std::string password = body->value("password", "");
  const std::string client = body->value("client", "cli");
  if (client != "cli" && client != "web") {
    return SendError(response, Status::Error(ErrorCode::kInvalidArgument,
                                             "client is '" + client + "'; use cli or web"));
  }
  const Millis wait = throttle_.RetryAfter(name, request.remote_addr);
  if (wait > 0) {
    response.set_header("Retry-After", std::to_string((wait + 999) / 1000));
    return SendError(response, Status::Error(ErrorCode::kRateLimited,
                                             "too many failed logins for this operator or "
                                             "address; try again in " +
                                                 std::to_string((wait + 999) / 1000) + " s"));
  }
  Result<std::optional<OperatorAccount>> account =
      context_.With([&](Headquarters& hq) { return hq.operators().Find(name); });
  if (!account.ok()) return SendError(response, account.status());
  // The hash is checked outside the lock: it takes 0.1 s that other requests need not wait.
  bool matches = false;
  if (*account) {
    matches = VerifyPassword((*account)->password_hash, password);
  } else {
    VerifyNothing(password);
  }
  const Actor actor(name.empty() ? "anonymous" : name.substr(0, 64),
                    "api " + request.remote_addr + ":" + std::to_string(request.remote_port));
  if (!matches || (*account)->disabled) {
    throttle_.Failed(name, request.remote_addr);
    const char* reason = !*account ? "unknown operator" : !matches ? "wrong password" : "disabled";
    Status audited = context_.With([&](Headquarters& hq) {
      return hq.audit().Record({actor, "operator.login_refused", actor.name, {{"reason", reason}}});
    });
    if (!audited.ok()) return SendError(response, audited);
    return SendError(response, Status::Error(ErrorCode::kUnauthorized,
                                             "wrong operator name or password, or the account is "
                                             "disabled; an administrator can reset it"));
  }
  throttle_.Succeeded(name);
  Result<IssuedSession> issued = context_.With([&](Headquarters& hq) {
    return hq.sessions().Issue(name, (*account)->role, client, session_lifetime_, actor);
  });
  if (!issued.ok()) return SendError(response, issued.status());
  json answer = SessionJson(FromSession(issued->session));
  if (client == "web") {
    response.set_header("Set-Cookie", SessionCookie(issued->token, session_lifetime_));
  } else {
    answer["token"] = issued->token;
  }
  SendJson(response, answer);
}

void ApiAuth::Logout(const httplib::Request& request, httplib::Response& response) {
  const Caller& caller = *RequestCaller();
  if (caller.break_glass) {
    return SendError(response, Status::Error(ErrorCode::kInvalidArgument,
                                             "the break-glass token (DATA/api.token) has no "
                                             "session to end"));
  }
  Status ended = context_.With([&](Headquarters& hq) {
    return hq.sessions().End(caller.session_id, RequestActor(request));
  });
  if (!ended.ok()) return SendError(response, ended);
  if (caller.client == "web") response.set_header("Set-Cookie", SessionCookie("", 0));
  SendJson(response, json{{"ended", true}});
}

}  // namespace muster::hq
