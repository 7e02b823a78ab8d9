// Routes of signed incident archives for partner agencies (docs/api.md#archives,
// views/incident_archive.h): making one is an officer's decision and is audited; HQ's
// archive public key is anyone's to read, for partners to check archives against.
#include <httplib.h>

#include "api/api_context.h"
#include "api/api_http.h"
#include "api/api_request.h"
#include "api/routes.h"

namespace muster::hq {

void AddArchiveRoutes(httplib::Server& server, ApiContext& context) {
  server.Post(R"(/v1/incidents/([^/]+)/archive)", [&context](const httplib::Request& request,
                                                            httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    const auto releasable = ReleasableBody(*body);
    if (!releasable.ok()) return SendError(response, releasable.status());
    const auto& key = context.archive_key();
    if (!key) {
      return SendError(response, Status::Error(ErrorCode::kNotReady,
                                               "this coordinator has no archive signing key"));
    }
    SendJson(response, context.With([&](Headquarters& hq) -> Result<json> {
      Result<ArchiveBundle> bundle = hq.incident_archive().Build(request.matches[1], *releasable,
                                                                 *key, RequestActor(request));
      if (!bundle.ok()) return bundle.status();
      return ToJson(*bundle);
    }),
             201);
  });
  server.Get("/v1/archive/key", [&context](const httplib::Request&, httplib::Response& response) {
    const auto& key = context.archive_key();
    if (!key) {
      return SendError(response, Status::Error(ErrorCode::kNotReady,
                                               "this coordinator has no archive signing key"));
    }
    SendJson(response, Result<json>(json{{"key_id", key->key_id},
                                         {"public_key", key->pair.public_key}}));
  });
}

}  // namespace muster::hq
