// Routes of the roster (docs/api.md): members, and their agents: enrolment (with the
// bundle the laptop installs), revocation and key rotation.
#include <httplib.h>

#include "api/api_context.h"
#include "api/api_http.h"
#include "api/api_request.h"
#include "api/routes.h"
#include "muster/bundle.h"
#include "muster/keys.h"
#include "muster/log.h"

namespace muster::hq {
namespace {

void AddMembers(httplib::Server& server, ApiContext& context) {
  server.Post("/v1/members",
              [&context](const httplib::Request& request, httplib::Response& response) {
                auto body = Body(request, response);
                if (!body) return;
                MemberInput input;
                input.id = body->value("id", "");
                input.name = body->value("name", "");
                input.roles = Strings(*body, "roles");
                input.qualifications = Strings(*body, "qualifications");
                input.contact = body->value("contact", "");
                input.checkin_interval_ms = body->value("checkin_interval_ms", Millis{3'600'000});
                SendJson(response, context.With([&](Headquarters& hq) {
                  return hq.roster().Add(input, RequestActor(request));
                }),
                         201);
              });
  server.Get("/v1/members", [&context](const httplib::Request&, httplib::Response& response) {
    SendJson(response, context.With([](Headquarters& hq) { return hq.roster().List(); }));
  });
  server.Patch(R"(/v1/members/([^/]+))", [&context](const httplib::Request& request,
                                                    httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    Status fields =
        OnlyFields(*body, {"name", "roles", "qualifications", "contact", "checkin_interval_ms"});
    if (!fields.ok()) return SendError(response, fields);
    MemberChange change{
        Optional<std::string>(*body, "name"), Optional<std::vector<std::string>>(*body, "roles"),
        Optional<std::vector<std::string>>(*body, "qualifications"),
        Optional<std::string>(*body, "contact"), Optional<Millis>(*body, "checkin_interval_ms")};
    SendJson(response, context.With([&](Headquarters& hq) {
      return hq.roster().Update(request.matches[1], change, RequestActor(request));
    }));
  });
}

// The key a request names for an agent ("public_key", made by the caller, who keeps the
// secret), or a pair made here when it names none: the answer's bundle then carries the
// secret, for scripts on HQ's own machine.
Result<KeyPair> RequestedKey(const json& body) {
  std::optional<std::string> key = Optional<std::string>(body, "public_key");
  if (!key) return GenerateKeyPair();
  if (!IsValidZ85Key(*key)) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "public_key must be a CURVE public key: 40 characters of Z85");
  }
  return KeyPair{*key, ""};
}

Result<DeviceRule> RequestedDevices(const json& body) {
  const std::string devices = Optional<std::string>(body, "devices").value_or("only");
  if (devices == "only") return DeviceRule::kOnly;
  if (devices == "replace") return DeviceRule::kReplace;
  if (devices == "add") return DeviceRule::kAdd;
  return Status::Error(ErrorCode::kInvalidArgument,
                       "devices is '" + devices + "'; use only, replace or add");
}

void AddAgents(httplib::Server& server, ApiContext& context) {
  server.Post("/v1/agents",
              [&context](const httplib::Request& request, httplib::Response& response) {
                auto body = Body(request, response);
                if (!body) return;
                Status fields = OnlyFields(*body, {"member", "public_key", "devices"});
                if (!fields.ok()) return SendError(response, fields);
                const std::string member = body->value("member", "");
                Result<KeyPair> keys = RequestedKey(*body);
                if (!keys.ok()) return SendError(response, keys.status());
                Result<DeviceRule> devices = RequestedDevices(*body);
                if (!devices.ok()) return SendError(response, devices.status());
                Result<Enrolment> enrolled = context.With([&](Headquarters& hq) {
                  return hq.registry().Enroll(member, keys->public_key, *devices,
                                              RequestActor(request));
                });
                if (!enrolled.ok()) return SendError(response, enrolled.status());
                for (const std::string& old : enrolled->superseded) context.CutOff(old);
                context.Notify(enrolled->notify);
                Logger("api")->info("event=agent_enrolled agent={} member={} key={}",
                                    enrolled->agent_id, member, KeyFingerprint(keys->public_key));
                SendJson(response,
                         json{{"agent_id", enrolled->agent_id},
                              {"member", member},
                              {"superseded", enrolled->superseded},
                              {"bundle", context.BundleFor(enrolled->agent_id, member, *keys)}},
                         201);
              });
  server.Get("/v1/agents", [&context](const httplib::Request&, httplib::Response& response) {
    SendJson(response, context.With([](Headquarters& hq) { return hq.directory().List(); }));
  });
  server.Post(R"(/v1/agents/([^/]+)/revoke)",
              [&context](const httplib::Request& request, httplib::Response& response) {
                const std::string agent_id = request.matches[1];
                bool wipe = false;
                if (!request.body.empty()) {
                  auto body = Body(request, response);
                  if (!body) return;
                  if (Status fields = body->empty() ? Status::Ok() : OnlyFields(*body, {"wipe"});
                      !fields.ok()) {
                    return SendError(response, fields);
                  }
                  if (body->contains("wipe") && !(*body)["wipe"].is_boolean()) {
                    return SendError(response, Status::Error(ErrorCode::kInvalidArgument,
                                                             "'wipe' must be true or false"));
                  }
                  wipe = body->value("wipe", false);
                }
                std::vector<std::string> caught_up;
                Result<json> revoked = context.With([&](Headquarters& hq) {
                  return hq.registry().Revoke(agent_id, RequestActor(request), &caught_up, wipe);
                });
                if (!revoked.ok()) {
                  return SendError(response, revoked.status());
                }
                context.CutOff(agent_id);
                context.Notify(caught_up);
                Logger("api")->warn("event=agent_revoked agent={}", agent_id);
                response.set_content(revoked->dump(), "application/json");
              });
  server.Post(R"(/v1/agents/([^/]+)/rotate)",
              [&context](const httplib::Request& request, httplib::Response& response) {
                const std::string agent_id = request.matches[1];
                json body = json::object();
                if (!request.body.empty()) {
                  auto parsed = Body(request, response);
                  if (!parsed) return;
                  body = std::move(*parsed);
                }
                if (!body.empty()) {
                  Status fields = OnlyFields(body, {"public_key"});
                  if (!fields.ok()) return SendError(response, fields);
                }
                Result<KeyPair> keys = RequestedKey(body);
                if (!keys.ok()) return SendError(response, keys.status());
                Result<std::string> member = context.With([&](Headquarters& hq) {
                  return hq.registry().RotateKey(agent_id, keys->public_key, RequestActor(request));
                });
                if (!member.ok()) {
                  return SendError(response, member.status());
                }
                context.CutOff(agent_id);
                Logger("api")->info("event=agent_key_rotated agent={} key={}", agent_id,
                                    KeyFingerprint(keys->public_key));
                response.status = 201;
                response.set_content(json{{"agent_id", agent_id},
                                          {"member", *member},
                                          {"bundle", context.BundleFor(agent_id, *member, *keys)}}
                                         .dump(),
                                     "application/json");
              });
}

}  // namespace

void AddRosterRoutes(httplib::Server& server, ApiContext& context) {
  AddMembers(server, context);
  AddAgents(server, context);
}

}  // namespace muster::hq
