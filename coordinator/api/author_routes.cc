// Routes of the playbook authors HQ trusts (docs/api.md#playbook-authors): adding a
// public key, listing them, revoking an author's keys. The guard lets only
// administrators change them (access/roles.h).
#include <httplib.h>

#include "api/api_context.h"
#include "api/api_http.h"
#include "api/api_request.h"
#include "api/routes.h"

namespace muster::hq {

void AddAuthorRoutes(httplib::Server& server, ApiContext& context) {
  server.Get("/v1/authors", [&context](const httplib::Request&, httplib::Response& response) {
    SendJson(response, context.With([](Headquarters& hq) { return hq.authors().List(); }));
  });
  server.Post("/v1/authors",
              [&context](const httplib::Request& request, httplib::Response& response) {
                auto body = Body(request, response);
                if (!body) return;
                SendJson(response, context.With([&](Headquarters& hq) {
                  return hq.authors().Add(body->value("name", ""), body->value("public_key", ""),
                                          RequestActor(request));
                }),
                         201);
              });
  server.Post(R"(/v1/authors/([^/]+)/revoke)",
              [&context](const httplib::Request& request, httplib::Response& response) {
                SendJson(response, context.With([&](Headquarters& hq) {
                  return hq.authors().Revoke(request.matches[1], RequestActor(request));
                }));
              });
}

}  // namespace muster::hq
