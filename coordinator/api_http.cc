#include "api_http.h"

namespace muster::hq {

using nlohmann::json;

int HttpStatusFor(const std::string& code) {
  if (code == "not_found") return 404;
  if (code == "conflict" || code == "not_ready") return 409;
  if (code == "unauthorized") return 401;
  if (code == "invalid_argument" || code == "invalid_playbook" || code == "unassigned_role" ||
      code == "no_agent" || code == "malformed") {
    return 400;
  }
  if (code == "disk_full" || code == "store_busy") return 503;
  return 500;
}

void SendError(httplib::Response& response, const Status& status) {
  response.status = HttpStatusFor(status.code());
  response.set_content(
      json{{"error", {{"code", status.code()}, {"message", status.message()}}}}.dump(),
      "application/json");
}

void SendJson(httplib::Response& response, const Result<json>& result, int ok_status) {
  if (!result.ok()) return SendError(response, result.status());
  response.status = ok_status;
  response.set_content(result->dump(), "application/json");
}

std::optional<json> Body(const httplib::Request& request, httplib::Response& response) {
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    SendError(response, Status::Error("malformed", "the request body must be a JSON object"));
    return std::nullopt;
  }
  return body;
}

}  // namespace muster::hq
