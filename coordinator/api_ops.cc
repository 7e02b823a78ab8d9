// API routes for running a deployment (docs/api.md): cancel and reassign tasks, add a
// member, cancel or demobilise a deployment, alerts and their acknowledgement, the
// timeline, the event stream and the SITREP.
#include <chrono>
#include <thread>

#include "api_http.h"
#include "api_request.h"
#include "coordinator.h"

namespace muster::hq {
namespace {

using nlohmann::json;

constexpr int kEventBatch = 200;
constexpr std::int64_t kMaxWaitMs = 30'000;
constexpr auto kEventPoll = std::chrono::milliseconds(200);

}  // namespace

void Coordinator::AddOperationsRoutes(httplib::Server& server) {
  auto locked = [this](auto&& body) {
    std::lock_guard<std::mutex> lock(api_mutex_);
    return body(*api_store_);
  };
  // Runs a mutation that queues deliveries and pushes them to connected agents.
  auto mutate = [this, locked](httplib::Response& response, int ok_status, auto&& body) {
    std::vector<std::string> agents;
    Result<json> result = locked([&](HqStore& store) { return body(store, &agents); });
    if (result.ok()) Notify(agents);
    SendJson(response, result, ok_status);
  };

  server.Post(R"(/v1/tasks/([^/]+)/cancel)", [mutate](const httplib::Request& request,
                                                      httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    mutate(response, 200, [&](HqStore& store, std::vector<std::string>* agents) {
      return store.CancelTask(request.matches[1], body->value("reason", ""), RequestActor(request),
                              agents);
    });
  });
  server.Post(R"(/v1/tasks/([^/]+)/reassign)", [mutate](const httplib::Request& request,
                                                        httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    const std::string member = body->value("member", "");
    if (member.empty()) {
      return SendError(response, Status::Error("invalid_argument",
                                               "say who takes the task over: \"member\""));
    }
    mutate(response, 200, [&](HqStore& store, std::vector<std::string>* agents) {
      return store.ReassignTask(request.matches[1], member, RequestActor(request), agents);
    });
  });
  server.Post(R"(/v1/deployments/([0-9]+)/members)", [mutate](const httplib::Request& request,
                                                              httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    const std::string role = body->value("role", "");
    const std::string member = body->value("member", "");
    if (role.empty() || member.empty()) {
      return SendError(response, Status::Error("invalid_argument",
                                               "adding a member needs \"role\" and \"member\""));
    }
    mutate(response, 201, [&](HqStore& store, std::vector<std::string>* agents) {
      return store.AddDeploymentMember(std::stoll(request.matches[1]), role, member,
                                       RequestActor(request), agents);
    });
  });
  for (const char* outcome : {"cancel", "demobilise"}) {
    const std::string closed = std::string(outcome) == "cancel" ? "cancelled" : "demobilised";
    server.Post(std::string(R"(/v1/deployments/([0-9]+)/)") + outcome,
                [mutate, closed](const httplib::Request& request, httplib::Response& response) {
                  auto body = Body(request, response);
                  if (!body) return;
                  mutate(response, 200, [&](HqStore& store, std::vector<std::string>* agents) {
                    return store.CloseDeployment(std::stoll(request.matches[1]), closed,
                                                 RequestActor(request), agents);
                  });
                });
  }

  server.Get("/v1/alerts", [locked](const httplib::Request& request,
                                    httplib::Response& response) {
    const std::string open = request.get_param_value("open");
    SendJson(response, locked([&](HqStore& store) {
               return store.ListAlerts(request.get_param_value("incident"),
                                       open == "1" || open == "true");
             }));
  });
  server.Post(R"(/v1/alerts/([0-9]+)/ack)", [locked](const httplib::Request& request,
                                                    httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    SendJson(response, locked([&](HqStore& store) {
               return store.AckAlert(std::stoll(request.matches[1]), RequestActor(request));
             }));
  });
  server.Get(R"(/v1/incidents/([^/]+)/timeline)",
             [locked](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, locked([&](HqStore& store) {
                          return store.IncidentTimeline(request.matches[1]);
                        }));
             });
  server.Post(R"(/v1/incidents/([^/]+)/reports)", [locked](const httplib::Request& request,
                                                          httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    Status fields = OnlyFields(*body, {"conditions", "actions", "needs"});
    if (!fields.ok()) return SendError(response, fields);
    ReportInput input{body->value("conditions", ""), body->value("actions", ""),
                      body->value("needs", std::vector<std::string>{})};
    SendJson(response, locked([&](HqStore& store) {
               return store.CreateReport(request.matches[1], input, RequestActor(request));
             }),
             201);
  });
  server.Get(R"(/v1/incidents/([^/]+)/reports)",
             [locked](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, locked([&](HqStore& store) {
                          return store.ListReports(request.matches[1]);
                        }));
             });
  server.Get(R"(/v1/incidents/([^/]+)/sitrep)",
             [locked](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, locked([&](HqStore& store) {
                          return store.Sitrep(request.matches[1]);
                        }));
             });

  // Long poll: answers as soon as there are events after |after|, or after wait_ms.
  server.Get("/v1/events", [this, locked](const httplib::Request& request,
                                          httplib::Response& response) {
    Result<std::int64_t> after = IntegerParam(request, "after", -10);
    Result<std::int64_t> wait_ms = IntegerParam(request, "wait_ms", 0);
    if (!after.ok()) return SendError(response, after.status());
    if (!wait_ms.ok()) return SendError(response, wait_ms.status());
    const std::string incident = request.get_param_value("incident");
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(std::clamp<std::int64_t>(*wait_ms, 0, kMaxWaitMs));
    while (true) {
      Result<json> events = locked([&](HqStore& store) {
        return store.Events(*after, incident, kEventBatch);
      });
      if (!events.ok()) return SendError(response, events.status());
      if (!events->empty() || std::chrono::steady_clock::now() >= deadline || stopping_) {
        const std::int64_t last = events->empty() ? std::max<std::int64_t>(*after, 0)
                                                  : events->back()["id"].get<std::int64_t>();
        return SendJson(response, json{{"events", *events}, {"last", last}});
      }
      std::this_thread::sleep_for(kEventPoll);
    }
  });
}

}  // namespace muster::hq
