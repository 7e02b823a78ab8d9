// Who is calling the HTTP API. The server's guard (api/api_auth.h) authenticates every
// request before its route runs and records the caller here; the routes read it as the
// Actor of the changes they make (store/audit_chain.h).
//
// Thread: httplib runs a request's guard and its route on the same worker thread, so the
// caller is kept per thread and replaced at the start of every request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "access/roles.h"
#include "store/audit_chain.h"

namespace httplib {
struct Request;
}

namespace muster::hq {

// The actor name of the server-local token (DATA/api.token), the administrator's
// break-glass credential.
inline constexpr const char* kBreakGlassActor = "break-glass";

struct Caller {
  std::string name;  // the operator, or kBreakGlassActor
  Role role = Role::kViewer;
  bool break_glass = false;
  std::int64_t session_id = 0;  // 0 for the break-glass token
  std::string client;           // "cli", "web", or "token"
  std::string csrf;             // the session's CSRF secret (web sessions)
  Millis expires_at = 0;
};

void SetRequestCaller(std::optional<Caller> caller);
// The caller of the request this thread is serving; nullopt before the guard ran (the
// login route, /healthz, the metrics token).
const std::optional<Caller>& RequestCaller();

// The request's actor: the caller's name, and "api ADDRESS:PORT" as origin (followed by
// " via DATA/api.token" for the break-glass token).
Actor RequestActor(const httplib::Request& request);

}  // namespace muster::hq
