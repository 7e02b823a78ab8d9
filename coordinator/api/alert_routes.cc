// Routes of alerts (docs/api.md): the list (of an incident, open only) and acknowledgement.
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
  server.Post(R"(/v1/alerts/([0-9]+)/ack)",
              [&context](const httplib::Request& request, httplib::Response& response) {
                auto body = Body(request, response);
                if (!body) return;
                SendJson(response, context.With([&](Headquarters& hq) {
                  return hq.alerts().Ack(std::stoll(request.matches[1]), RequestActor(request));
                }));
              });
}

}  // namespace muster::hq
