// Routes of operator accounts (docs/api.md#operators), for administrators: list, add,
// disable and enable, reset a password, end an operator's sessions.
#include <httplib.h>

#include "api/api_context.h"
#include "api/api_http.h"
#include "api/api_request.h"
#include "api/routes.h"

namespace muster::hq {

void AddOperatorRoutes(httplib::Server& server, ApiContext& context) {
  server.Get("/v1/operators", [&context](const httplib::Request&, httplib::Response& response) {
    SendJson(response, context.With([](Headquarters& hq) { return hq.operators().List(); }));
  });
  server.Post("/v1/operators",
              [&context](const httplib::Request& request, httplib::Response& response) {
                auto body = Body(request, response);
                if (!body) return;
                Status fields = OnlyFields(*body, {"name", "display_name", "role", "password"});
                if (!fields.ok()) return SendError(response, fields);
                OperatorInput input{body->value("name", ""), body->value("display_name", ""),
                                    body->value("role", ""), body->value("password", "")};
                SendJson(response, context.With([&](Headquarters& hq) {
                  return hq.operators().Add(input, RequestActor(request));
                }),
                         201);
              });
  server.Post(R"(/v1/operators/([^/]+)/(disable|enable))",
              [&context](const httplib::Request& request, httplib::Response& response) {
                SendJson(response, context.With([&](Headquarters& hq) {
                  return hq.operators().SetDisabled(
                      request.matches[1], request.matches[2] == "disable", RequestActor(request));
                }));
              });
  server.Post(R"(/v1/operators/([^/]+)/reset)",
              [&context](const httplib::Request& request, httplib::Response& response) {
                auto body = Body(request, response);
                if (!body) return;
                Status fields = OnlyFields(*body, {"password"});
                if (!fields.ok()) return SendError(response, fields);
                SendJson(response, context.With([&](Headquarters& hq) {
                  return hq.operators().ResetPassword(
                      request.matches[1], body->value("password", ""), RequestActor(request));
                }));
              });
  server.Post(R"(/v1/operators/([^/]+)/end-sessions)",
              [&context](const httplib::Request& request, httplib::Response& response) {
                SendJson(response, context.With([&](Headquarters& hq) {
                  return hq.operators().EndSessions(request.matches[1], RequestActor(request));
                }));
              });
}

}  // namespace muster::hq
