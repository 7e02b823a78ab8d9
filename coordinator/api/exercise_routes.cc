// Routes of exercises (docs/api.md#exercises): start playing a script of injects on an
// exercise incident, follow its injects, and read the after-action report. Starting is an
// officer's (access/roles.cc: a change under /v1/incidents); reading is anyone's.
#include <httplib.h>

#include "api/api_context.h"
#include "api/api_http.h"
#include "api/api_request.h"
#include "api/routes.h"

namespace muster::hq {

void AddExerciseRoutes(httplib::Server& server, ApiContext& context) {
  server.Post(R"(/v1/incidents/([^/]+)/exercise)",
              [&context](const httplib::Request& request, httplib::Response& response) {
                auto body = Body(request, response);
                if (!body) return;
                Status fields = OnlyFields(*body, {"script", "file"});
                if (!fields.ok()) return SendError(response, fields);
                const auto script = body->find("script");
                if (script == body->end() || !script->is_string()) {
                  return SendError(response,
                                   Status::Error(ErrorCode::kInvalidArgument,
                                                 "script must be the exercise script's YAML text "
                                                 "(docs/programme.md)"));
                }
                const auto file = body->find("file");
                const std::string name =
                    file != body->end() && file->is_string() ? file->get<std::string>() : "script";
                SendJson(response, context.With([&](Headquarters& hq) {
                  return hq.exercises().Start(request.matches[1], script->get<std::string>(),
                                              name, RequestActor(request));
                }),
                         201);
              });
  server.Get(R"(/v1/incidents/([^/]+)/exercise)",
             [&context](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, context.With([&](Headquarters& hq) {
                 return hq.exercises().Run(request.matches[1]);
               }));
             });
  server.Get(R"(/v1/incidents/([^/]+)/exercise/report)",
             [&context](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, context.With([&](Headquarters& hq) {
                 return hq.after_action().Report(request.matches[1]);
               }));
             });
}

}  // namespace muster::hq
