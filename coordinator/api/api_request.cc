#include "api/api_request.h"

#include <httplib.h>

namespace muster::hq {
namespace {

thread_local std::optional<Caller> current_caller;

}  // namespace

void SetRequestCaller(std::optional<Caller> caller) { current_caller = std::move(caller); }

const std::optional<Caller>& RequestCaller() { return current_caller; }

Actor RequestActor(const httplib::Request& request) {
  std::string origin = "api " + request.remote_addr + ":" + std::to_string(request.remote_port);
  if (!current_caller) return Actor("anonymous", origin);
  if (current_caller->break_glass) origin += " via DATA/api.token";
  return Actor(current_caller->name, origin);
}

}  // namespace muster::hq
