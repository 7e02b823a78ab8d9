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
    for (const auto& [name, value] : body->items()) {
      if (name != "releasable") {
        return SendError(response, Status::Error(ErrorCode::kInvalidArgument,
                                                 "unknown field '" + name +
                                                     "'; the only field is releasable"));
      }
    }
    std::optional<playbook::Marking> releasable;
    if (body->contains("releasable")) {
      const json& given = (*body)["releasable"];
      std::string error = "it must be a marking such as TLP:AMBER";
      if (given.is_string()) releasable = playbook::ParseMarking(given.get<std::string>(), &error);
      if (!releasable) {
        return SendError(response,
                         Status::Error(ErrorCode::kInvalidArgument, "releasable: " + error));
      }
    }
    const auto& key = context.archive_key();
    if (!key) {
      return SendError(response, Status::Error(ErrorCode::kNotReady,
                                               "this coordinator has no archive signing key"));
    }
    SendJson(response, context.With([&](Headquarters& hq) -> Result<json> {
      Result<ArchiveBundle> bundle = hq.incident_archive().Build(request.matches[1], releasable,
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
