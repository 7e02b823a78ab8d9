// The audit log's read-only routes (docs/api.md): GET /v1/audit and /v1/audit/verify.
#include <httplib.h>

#include <charconv>

#include "coordinator.h"

namespace muster::hq {
namespace {

using nlohmann::json;

// A query parameter as a number, or |fallback| when absent; nullopt when not a number.
std::optional<std::int64_t> NumberParam(const httplib::Request& request, const char* name,
                                        std::int64_t fallback) {
  if (!request.has_param(name)) return fallback;
  const std::string text = request.get_param_value(name);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

void SendAuditError(httplib::Response& response, int http_status, const Status& status) {
  response.status = http_status;
  response.set_content(
      json{{"error", {{"code", status.code()}, {"message", status.message()}}}}.dump(),
      "application/json");
}

}  // namespace

void Coordinator::AddAuditRoutes(httplib::Server& server) {
  server.Get("/v1/audit", [this](const httplib::Request& request, httplib::Response& response) {
    AuditFilter filter;
    filter.actor = request.get_param_value("actor");
    filter.action = request.get_param_value("action");
    filter.subject = request.get_param_value("subject");
    const auto since = NumberParam(request, "since", 0);
    const auto limit = NumberParam(request, "limit", 100);
    if (!since || !limit || *limit < 1 || *limit > 100'000) {
      return SendAuditError(response, 400,
                            Status::Error("invalid_argument",
                                          "since must be epoch milliseconds and limit a "
                                          "number from 1 to 100000"));
    }
    filter.since = *since;
    filter.limit = static_cast<int>(*limit);
    Result<json> entries = [&] {
      std::lock_guard<std::mutex> lock(api_mutex_);
      return api_store_->AuditLog(filter);
    }();
    if (!entries.ok()) return SendAuditError(response, 503, entries.status());
    response.set_content(entries->dump(), "application/json");
  });
  server.Get("/v1/audit/verify", [this](const httplib::Request&, httplib::Response& response) {
    Result<AuditVerdict> verdict = [&] {
      std::lock_guard<std::mutex> lock(api_mutex_);
      return api_store_->VerifyAudit();
    }();
    if (!verdict.ok()) return SendAuditError(response, 503, verdict.status());
    response.set_content(AuditVerdictJson(*verdict).dump(), "application/json");
  });
}

}  // namespace muster::hq
