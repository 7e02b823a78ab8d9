// Routes of the programme's reports (docs/api.md#reports): the monthly intelligence report
// (views/monthly_report.h). Reading is anyone's; `releasable` keeps to what a partner
// cleared for that marking may see.
#include <httplib.h>

#include "api/api_context.h"
#include "api/api_http.h"
#include "api/routes.h"

namespace muster::hq {

void AddReportRoutes(httplib::Server& server, ApiContext& context) {
  server.Get("/v1/reports/monthly", [&context](const httplib::Request& request,
                                               httplib::Response& response) {
    if (!request.has_param("month")) {
      return SendError(response, Status::Error(ErrorCode::kInvalidArgument,
                                               "which month? add ?month=YYYY-MM, e.g. 2026-11"));
    }
    const auto releasable = ReleasableParam(request);
    if (!releasable.ok()) return SendError(response, releasable.status());
    SendJson(response, context.With([&](Headquarters& hq) -> Result<json> {
      Result<MonthlyFigures> figures =
          hq.monthly_report().Figures(request.get_param_value("month"), *releasable);
      if (!figures.ok()) return figures.status();
      return ToJson(*figures);
    }));
  });
}

}  // namespace muster::hq
