// The HTTP/JSON API the console uses (docs/api.md). Bound to loopback by default; every
// request needs "Authorization: Bearer TOKEN" with the token from DATA/api.token.
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "api_request.h"
#include "api_http.h"
#include "coordinator.h"
#include "muster/log.h"

namespace muster::hq {
namespace {

using nlohmann::json;

std::vector<std::string> Strings(const json& body, const char* name) {
  std::vector<std::string> out;
  auto it = body.find(name);
  if (it == body.end() || !it->is_array()) return out;
  for (const auto& item : *it) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

template <typename T>
std::optional<T> Optional(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end()) return std::nullopt;
  return it->get<T>();  // the wrong type throws: answered 400 malformed
}

bool TokenMatches(const std::string& header, const std::string& token) {
  const std::string prefix = "Bearer ";
  if (header.size() != prefix.size() + token.size() || header.compare(0, prefix.size(), prefix)) {
    return false;
  }
  // Constant time: the comparison does not reveal how many leading characters match.
  return sodium_memcmp(header.data() + prefix.size(), token.data(), token.size()) == 0;
}

}  // namespace

Status Coordinator::StartApi() {
  api_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *api_;
  server.set_payload_max_length(8u << 20);
  // A body with a field of the wrong JSON type makes the JSON library throw: that is the
  // caller's mistake, answered as such, never a crash or a bare 500.
  server.set_exception_handler([](const httplib::Request& request, httplib::Response& response,
                                  std::exception_ptr error) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(error);
    } catch (const nlohmann::json::exception& json_error) {
      SendError(response, Status::Error("malformed", std::string("a field of the request has "
                                                                 "the wrong type: ") +
                                                         json_error.what()));
      return;
    } catch (const std::exception& other) {
      what = other.what();
    } catch (...) {
    }
    Logger("api")->error("event=handler_failed path={} error=\"{}\"", request.path, what);
    SendError(response, Status::Error("internal", "the coordinator failed: " + what));
  });
  server.set_pre_routing_handler([this](const httplib::Request& request,
                                        httplib::Response& response) {
    if (TokenMatches(request.get_header_value("Authorization"), api_token_)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    Logger("api")->warn("event=unauthorized method={} path={} remote={}", request.method,
                        request.path, request.remote_addr);
    SendError(response, Status::Error("unauthorized",
                                      "a valid bearer token is required (see DATA/api.token)"));
    return httplib::Server::HandlerResponse::Handled;
  });
  AddOperationsRoutes(server);

  auto locked = [this](auto&& body) {
    std::lock_guard<std::mutex> lock(api_mutex_);
    return body(*api_store_);
  };

  server.Get("/v1/health", [this](const httplib::Request&, httplib::Response& response) {
    SendJson(response, json{{"status", "ok"},
                            {"hq_id", api_store_->hq_id()},
                            {"agent_endpoint", public_endpoint_}});
  });

  server.Post("/v1/incidents", [locked](const httplib::Request& request,
                                        httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    IncidentInput input{body->value("id", ""), body->value("title", ""), Strings(*body, "hazards"),
                        body->value("location", ""), body->value("severity", "medium")};
    SendJson(response, locked([&](HqStore& store) {
               return store.CreateIncident(input, RequestActor(request));
             }),
             201);
  });
  server.Get("/v1/incidents", [locked](const httplib::Request&, httplib::Response& response) {
    SendJson(response, locked([](HqStore& store) { return store.ListIncidents(); }));
  });
  server.Get(R"(/v1/incidents/([^/]+))",
             [locked](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, locked([&](HqStore& store) {
                          return store.Incident(request.matches[1]);
                        }));
             });
  server.Patch(R"(/v1/incidents/([^/]+))", [locked](const httplib::Request& request,
                                                    httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    Status fields = OnlyFields(*body, {"title", "hazards", "location", "severity", "status"});
    if (!fields.ok()) return SendError(response, fields);
    IncidentChange change{Optional<std::string>(*body, "title"),
                          Optional<std::vector<std::string>>(*body, "hazards"),
                          Optional<std::string>(*body, "location"),
                          Optional<std::string>(*body, "severity"),
                          Optional<std::string>(*body, "status")};
    SendJson(response, locked([&](HqStore& store) {
               return store.UpdateIncident(request.matches[1], change, RequestActor(request));
             }));
  });
  server.Get(R"(/v1/incidents/([^/]+)/status)",
             [locked](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, locked([&](HqStore& store) {
                          return store.IncidentStatus(request.matches[1]);
                        }));
             });
  server.Get(R"(/v1/incidents/([^/]+)/findings)",
             [locked](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, locked([&](HqStore& store) {
                          return store.IncidentFindings(request.matches[1]);
                        }));
             });

  server.Get(R"(/v1/attachments/(\d{1,18}))",
             [locked](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, locked([&](HqStore& store) {
                          return store.Attachment(std::stoll(request.matches[1]));
                        }));
             });
  server.Get(R"(/v1/attachments/(\d{1,18})/content)",
             [locked](const httplib::Request& request, httplib::Response& response) {
               auto content = locked([&](HqStore& store) {
                 return store.AttachmentContent(std::stoll(request.matches[1]));
               });
               if (!content.ok()) return SendError(response, content.status());
               response.set_content(std::move(content).value(), "application/octet-stream");
             });

  server.Post("/v1/members", [locked](const httplib::Request& request,
                                      httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    MemberInput input;
    input.id = body->value("id", "");
    input.name = body->value("name", "");
    input.roles = Strings(*body, "roles");
    input.qualifications = Strings(*body, "qualifications");
    input.contact = body->value("contact", "");
    input.checkin_interval_ms = body->value("checkin_interval_ms", Millis{3'600'000});
    SendJson(response, locked([&](HqStore& store) {
               return store.CreateMember(input, RequestActor(request));
             }),
             201);
  });
  server.Get("/v1/members", [locked](const httplib::Request&, httplib::Response& response) {
    SendJson(response, locked([](HqStore& store) { return store.ListMembers(); }));
  });
  server.Patch(R"(/v1/members/([^/]+))", [locked](const httplib::Request& request,
                                                  httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    Status fields = OnlyFields(
        *body, {"name", "roles", "qualifications", "contact", "checkin_interval_ms"});
    if (!fields.ok()) return SendError(response, fields);
    MemberChange change{Optional<std::string>(*body, "name"),
                        Optional<std::vector<std::string>>(*body, "roles"),
                        Optional<std::vector<std::string>>(*body, "qualifications"),
                        Optional<std::string>(*body, "contact"),
                        Optional<Millis>(*body, "checkin_interval_ms")};
    SendJson(response, locked([&](HqStore& store) {
               return store.UpdateMember(request.matches[1], change, RequestActor(request));
             }));
  });

  server.Post("/v1/agents", [this, locked](const httplib::Request& request,
                                           httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    const std::string member = body->value("member", "");
    Result<KeyPair> keys = GenerateKeyPair();
    if (!keys.ok()) return SendError(response, keys.status());
    Result<std::string> agent_id = locked([&](HqStore& store) {
      return store.EnrollAgent(member, keys->public_key, RequestActor(request));
    });
    if (!agent_id.ok()) return SendError(response, agent_id.status());
    Logger("api")->info("event=agent_enrolled agent={} member={} key={}", *agent_id, member,
                        KeyFingerprint(keys->public_key));
    SendJson(response,
             json{{"agent_id", *agent_id},
                  {"member", member},
                  {"bundle", BundleFor(*agent_id, member, *keys)}},
             201);
  });
  server.Get("/v1/agents", [locked](const httplib::Request&, httplib::Response& response) {
    SendJson(response, locked([](HqStore& store) { return store.ListAgents(); }));
  });

  server.Post("/v1/playbooks", [locked](const httplib::Request& request,
                                        httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    SendJson(response, locked([&](HqStore& store) {
               return store.PublishPlaybook(body->value("source", ""), body->value("file", ""),
                                            RequestActor(request));
             }),
             201);
  });

  server.Post("/v1/deployments", [this, locked](const httplib::Request& request,
                                                httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    DeployInput input;
    input.incident_id = body->value("incident", "");
    input.playbook_source = body->value("playbook_source", "");
    input.playbook_file = body->value("playbook_file", "");
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
        locked([&](HqStore& store) { return store.Deploy(input, &agents); });
    if (deployment.ok()) Notify(agents);
    SendJson(response, deployment, 201);
  });

  AddSecurityRoutes(server);

  api_port_ = config_.api_port == 0 ? server.bind_to_any_port(config_.api_bind)
                                    : (server.bind_to_port(config_.api_bind, config_.api_port)
                                           ? config_.api_port
                                           : -1);
  if (api_port_ <= 0) {
    return Status::Error("bind_failed", "cannot bind the API to " + config_.api_bind + ":" +
                                            std::to_string(config_.api_port) +
                                            "; is the port in use?");
  }
  if (config_.api_bind != "127.0.0.1" && config_.api_bind != "::1" &&
      config_.api_bind != "localhost") {
    Logger("api")->warn("event=api_not_loopback bind={} hint=\"the API then answers other "
                        "hosts; keep the token secret and prefer 127.0.0.1\"",
                        config_.api_bind);
  }
  api_thread_ = std::thread([&server] { server.listen_after_bind(); });
  // httplib's stop() is ignored until the listening thread is running, so Start returns
  // only once it is: a Stop right after Start then always ends the thread.
  for (int i = 0; i < 500 && !server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!server.is_running()) {
    return Status::Error("bind_failed", "the API did not start listening");
  }
  return Status::Ok();
}

}  // namespace muster::hq
