// Routes of playbooks and deployments (docs/api.md): publishing, deploying, and the
// operations on a running deployment (cancel and reassign tasks, add a member, cancel or
// demobilise). Each change wakes the agents it queued deliveries for.
#include <httplib.h>

#include "api/api_context.h"
#include "api/api_http.h"
#include "api/api_request.h"
#include "api/routes.h"

namespace muster::hq {
namespace {

// The author's signature a request carries: "signature" (the record of a FILE.sig) or
// nothing. malformed when it is there but not a signature.
Result<std::optional<playbook::Signature>> SignatureIn(const json& body) {
  auto field = body.find("signature");
  if (field == body.end() || field->is_null()) return std::optional<playbook::Signature>();
  auto signature = playbook::Signature::Decode(*field);
  if (!signature.ok()) return signature.status();
  return std::optional<playbook::Signature>(std::move(signature).value());
}

void AddDeploy(httplib::Server& server, ApiContext& context) {
  server.Get("/v1/playbooks", [&context](const httplib::Request&, httplib::Response& response) {
    SendJson(response, context.With([](Headquarters& hq) { return hq.playbooks().List(); }));
  });
  server.Post("/v1/playbooks",
              [&context](const httplib::Request& request, httplib::Response& response) {
                auto body = Body(request, response);
                if (!body) return;
                auto signature = SignatureIn(*body);
                if (!signature.ok()) return SendError(response, signature.status());
                SendJson(response, context.With([&](Headquarters& hq) {
                  return hq.playbooks().Publish(body->value("source", ""), body->value("file", ""),
                                                *signature, RequestActor(request));
                }),
                         201);
              });
  server.Post("/v1/playbook-revocations",
              [&context](const httplib::Request& request, httplib::Response& response) {
                auto body = Body(request, response);
                if (!body) return;
                const std::string id = body->value("id", "");
                const std::string version = body->value("version", "");
                if (id.empty() || version.empty()) {
                  return SendError(response,
                                   Status::Error(ErrorCode::kInvalidArgument,
                                                 "name the version: \"id\" and \"version\""));
                }
                context.Mutate(response, 200,
                               [&](Headquarters& hq, std::vector<std::string>* agents) {
                                 return hq.operations().RevokePlaybook(
                                     id, version, body->value("reason", ""), RequestActor(request),
                                     agents);
                               });
              });
  server.Post(
      "/v1/deployments", [&context](const httplib::Request& request, httplib::Response& response) {
        auto body = Body(request, response);
        if (!body) return;
        DeployInput input;
        input.incident_id = body->value("incident", "");
        input.playbook_source = body->value("playbook_source", "");
        input.playbook_file = body->value("playbook_file", "");
        auto signature = SignatureIn(*body);
        if (!signature.ok()) return SendError(response, signature.status());
        input.signature = *signature;
        // A version from the library instead of a source: "playbook": HASH.
        if (const std::string hash = body->value("playbook", ""); !hash.empty()) {
          Result<std::string> source =
              context.With([&](Headquarters& hq) { return hq.playbooks().Source(hash); });
          if (!source.ok()) return SendError(response, source.status());
          input.playbook_source = *source;
          input.playbook_file = "library " + hash.substr(0, 12);
        }
        input.actor = RequestActor(request);
        if (auto assign = body->find("assign"); assign != body->end() && assign->is_object()) {
          for (auto& [role, members] : assign->items()) {
            if (members.is_string()) input.assign[role].push_back(members.get<std::string>());
            for (const auto& member : members.is_array() ? members : json::array()) {
              if (member.is_string()) input.assign[role].push_back(member.get<std::string>());
            }
          }
        }
        std::vector<std::string> agents;
        Result<json> deployment =
            context.With([&](Headquarters& hq) { return hq.deployments().Deploy(input, &agents); });
        if (deployment.ok()) context.Notify(agents);
        SendJson(response, deployment, 201);
      });
}

void AddOperations(httplib::Server& server, ApiContext& context) {
  server.Post(R"(/v1/tasks/([^/]+)/cancel)", [&context](const httplib::Request& request,
                                                        httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    context.Mutate(response, 200, [&](Headquarters& hq, std::vector<std::string>* agents) {
      return hq.operations().CancelTask(request.matches[1], body->value("reason", ""),
                                        RequestActor(request), agents);
    });
  });
  server.Post(R"(/v1/tasks/([^/]+)/reassign)", [&context](const httplib::Request& request,
                                                          httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    const std::string member = body->value("member", "");
    if (member.empty()) {
      return SendError(response, Status::Error(ErrorCode::kInvalidArgument,
                                               "say who takes the task over: \"member\""));
    }
    context.Mutate(response, 200, [&](Headquarters& hq, std::vector<std::string>* agents) {
      return hq.operations().ReassignTask(request.matches[1], member, RequestActor(request),
                                          agents);
    });
  });
  server.Post(R"(/v1/deployments/([0-9]+)/members)", [&context](const httplib::Request& request,
                                                                httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    const std::string role = body->value("role", "");
    const std::string member = body->value("member", "");
    if (role.empty() || member.empty()) {
      return SendError(response, Status::Error(ErrorCode::kInvalidArgument,
                                               "adding a member needs \"role\" and \"member\""));
    }
    context.Mutate(response, 201, [&](Headquarters& hq, std::vector<std::string>* agents) {
      return hq.operations().AddMember(std::stoll(request.matches[1]), role, member,
                                       RequestActor(request), agents);
    });
  });
  for (const char* outcome : {"cancel", "demobilise"}) {
    const std::string closed = std::string(outcome) == "cancel" ? "cancelled" : "demobilised";
    server.Post(std::string(R"(/v1/deployments/([0-9]+)/)") + outcome,
                [&context, closed](const httplib::Request& request, httplib::Response& response) {
                  auto body = Body(request, response);
                  if (!body) return;
                  context.Mutate(
                      response, 200, [&](Headquarters& hq, std::vector<std::string>* agents) {
                        return hq.operations().Close(std::stoll(request.matches[1]), closed,
                                                     RequestActor(request), agents);
                      });
                });
  }
}

}  // namespace

void AddDeploymentRoutes(httplib::Server& server, ApiContext& context) {
  AddDeploy(server, context);
  AddOperations(server, context);
}

}  // namespace muster::hq
