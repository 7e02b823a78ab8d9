// Routes of the audit log (docs/api.md): the entries (filtered) and the chain's verdict.
#include <httplib.h>

#include "api/api_context.h"
#include "api/api_http.h"
#include "api/api_request.h"
#include "api/routes.h"

namespace muster::hq {

void AddAuditRoutes(httplib::Server& server, ApiContext& context) {
  server.Get("/v1/audit", [&context](const httplib::Request& request, httplib::Response& response) {
    AuditFilter filter;
    filter.actor = request.get_param_value("actor");
    filter.action = request.get_param_value("action");
    filter.subject = request.get_param_value("subject");
    const auto since = IntegerParam(request, "since", 0);
    const auto limit = IntegerParam(request, "limit", 100);
    if (!since.ok() || !limit.ok() || *limit < 1 || *limit > 100'000) {
      return SendError(response, Status::Error(ErrorCode::kInvalidArgument,
                                               "since must be epoch milliseconds and limit a "
                                               "number from 1 to 100000"));
    }
    filter.since = *since;
    filter.limit = static_cast<int>(*limit);
    Result<json> entries = context.With([&](Headquarters& hq) { return hq.audit().Query(filter); });
    if (!entries.ok()) return SendError(response, entries.status());
    response.set_content(entries->dump(), "application/json");
  });
  server.Get("/v1/audit/verify", [&context](const httplib::Request&, httplib::Response& response) {
    Result<AuditVerdict> verdict =
        context.With([&](Headquarters& hq) { return hq.audit().Verify(); });
    if (!verdict.ok()) return SendError(response, verdict.status());
    response.set_content(AuditVerdictJson(*verdict).dump(), "application/json");
  });
}

}  // namespace muster::hq
