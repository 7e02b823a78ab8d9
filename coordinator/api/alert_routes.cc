// Routes of alerts (docs/api.md): the list (of an incident, open only), acknowledgement,
// and one alert as CAP 1.2 XML for a partner (views/cap_alert.h).
#include <httplib.h>

#include "api/api_context.h"
#include "api/api_http.h"
#include "api/api_request.h"
#include "api/routes.h"

namespace muster::hq {

void AddAlertRoutes(httplib::Server& server, ApiContext& context) {
  server.Get("/v1/alerts", [&context](const httplib::Request& request,
                                      httplib::Response& response) {
    const std::string open = request.get_param_value("open");
    SendJson(response, context.With([&](Headquarters& hq) {
      return hq.alerts().List(request.get_param_value("incident"), open == "1" || open == "true");
    }));
  });
  server.Post(R"(/v1/alerts/(\d{1,18})/ack)",
              [&context](const httplib::Request& request, httplib::Response& response) {
                auto body = Body(request, response);
                if (!body) return;
                SendJson(response, context.With([&](Headquarters& hq) {
                  return hq.alerts().Ack(std::stoll(request.matches[1]), RequestActor(request));
                }));
              });
  server.Post(R"(/v1/alerts/(\d{1,18})/cap)",
              [&context](const httplib::Request& request, httplib::Response& response) {
                auto body = Body(request, response);
                if (!body) return;
                const auto releasable = ReleasableBody(*body);
                if (!releasable.ok()) return SendError(response, releasable.status());
                auto document = context.With([&](Headquarters& hq) {
                  return hq.cap_alerts().Build(std::stoll(request.matches[1]), *releasable,
                                               RequestActor(request));
                });
                if (!document.ok()) return SendError(response, document.status());
                response.set_content(std::move(document).value(),
                                     "application/xml; charset=utf-8");
              });
}

}  // namespace muster::hq
