// Routes of incidents (docs/api.md): the incidents, their status board and findings,
// their tactical reports, timeline and SITREP, the attachments of findings, and the
// timeline as a long-polled stream of events.
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "api/api_context.h"
#include "api/api_http.h"
#include "api/api_request.h"
#include "api/routes.h"

namespace muster::hq {
namespace {

constexpr int kEventBatch = 200;
constexpr std::int64_t kMaxWaitMs = 30'000;
constexpr auto kEventPoll = std::chrono::milliseconds(200);

void AddIncidentCrud(httplib::Server& server, ApiContext& context) {
  server.Post("/v1/incidents", [&context](const httplib::Request& request,
                                          httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    IncidentInput input{
        body->value("id", ""),       body->value("title", ""),          Strings(*body, "hazards"),
        body->value("location", ""), body->value("severity", "medium"), body->value("country", "")};
    if (body->contains("exercise")) {
      if (!(*body)["exercise"].is_boolean()) {
        return SendError(
            response, Status::Error(ErrorCode::kInvalidArgument, "exercise must be true or false"));
      }
      input.exercise = (*body)["exercise"].get<bool>();
    }
    SendJson(response, context.With([&](Headquarters& hq) {
      return hq.incidents().Create(input, RequestActor(request));
    }),
             201);
  });
  server.Get("/v1/incidents", [&context](const httplib::Request&, httplib::Response& response) {
    SendJson(response, context.With([](Headquarters& hq) { return hq.incidents().List(); }));
  });
  server.Get(R"(/v1/incidents/([^/]+))",
             [&context](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, context.With([&](Headquarters& hq) {
                 return hq.incidents().Get(request.matches[1]);
               }));
             });
  server.Patch(R"(/v1/incidents/([^/]+))",
               [&context](const httplib::Request& request, httplib::Response& response) {
                 auto body = Body(request, response);
                 if (!body) return;
                 Status fields = OnlyFields(
                     *body, {"title", "hazards", "location", "severity", "status", "country"});
                 if (!fields.ok()) return SendError(response, fields);
                 IncidentChange change{Optional<std::string>(*body, "title"),
                                       Optional<std::vector<std::string>>(*body, "hazards"),
                                       Optional<std::string>(*body, "location"),
                                       Optional<std::string>(*body, "severity"),
                                       Optional<std::string>(*body, "status"),
                                       Optional<std::string>(*body, "country")};
                 SendJson(response, context.With([&](Headquarters& hq) {
                   return hq.incidents().Update(request.matches[1], change, RequestActor(request));
                 }));
               });
}

void AddIncidentViews(httplib::Server& server, ApiContext& context) {
  server.Get(R"(/v1/incidents/([^/]+)/status)",
             [&context](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, context.With([&](Headquarters& hq) {
                 return hq.views().IncidentStatus(request.matches[1]);
               }));
             });
  server.Get(R"(/v1/incidents/([^/]+)/findings)",
             [&context](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, context.With([&](Headquarters& hq) {
                 return hq.views().IncidentFindings(request.matches[1]);
               }));
             });
  server.Get(R"(/v1/incidents/([^/]+)/timeline)",
             [&context](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, context.With([&](Headquarters& hq) {
                 return hq.timeline().OfIncident(request.matches[1]);
               }));
             });
  server.Post(R"(/v1/incidents/([^/]+)/reports)", [&context](const httplib::Request& request,
                                                             httplib::Response& response) {
    auto body = Body(request, response);
    if (!body) return;
    Status fields = OnlyFields(*body, {"conditions", "actions", "needs"});
    if (!fields.ok()) return SendError(response, fields);
    ReportInput input{body->value("conditions", ""), body->value("actions", ""),
                      body->value("needs", std::vector<std::string>{})};
    SendJson(response, context.With([&](Headquarters& hq) {
      return hq.incidents().FileReport(request.matches[1], input, RequestActor(request));
    }),
             201);
  });
  server.Get(R"(/v1/incidents/([^/]+)/reports)",
             [&context](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, context.With([&](Headquarters& hq) {
                 return hq.incidents().Reports(request.matches[1]);
               }));
             });
  server.Get(R"(/v1/incidents/([^/]+)/geojson)",
             [&context](const httplib::Request& request, httplib::Response& response) {
               const auto releasable = ReleasableParam(request);
               if (!releasable.ok()) return SendError(response, releasable.status());
               SendJson(response, context.With([&](Headquarters& hq) {
                 return hq.views().GeoJson(request.matches[1], *releasable);
               }));
             });
  server.Get(R"(/v1/incidents/([^/]+)/sitrep)", [&context](const httplib::Request& request,
                                                           httplib::Response& response) {
    SendJson(response,
             context.With([&](Headquarters& hq) { return hq.views().Sitrep(request.matches[1]); }));
  });
}

void AddAttachments(httplib::Server& server, ApiContext& context) {
  server.Get(R"(/v1/attachments/(\d{1,18}))",
             [&context](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, context.With([&](Headquarters& hq) {
                 return hq.attachments().Describe(std::stoll(request.matches[1]));
               }));
             });
  server.Get(R"(/v1/attachments/(\d{1,18})/content)",
             [&context](const httplib::Request& request, httplib::Response& response) {
               auto content = context.With([&](Headquarters& hq) {
                 return hq.attachments().Content(std::stoll(request.matches[1]));
               });
               if (!content.ok()) return SendError(response, content.status());
               response.set_content(std::move(content).value(), "application/octet-stream");
             });
}

void AddEvents(httplib::Server& server, ApiContext& context) {
  // Long poll: answers as soon as there are events after |after|, or after wait_ms.
  server.Get("/v1/events", [&context](const httplib::Request& request,
                                      httplib::Response& response) {
    Result<std::int64_t> after = IntegerParam(request, "after", -10);
    Result<std::int64_t> wait_ms = IntegerParam(request, "wait_ms", 0);
    if (!after.ok()) return SendError(response, after.status());
    if (!wait_ms.ok()) return SendError(response, wait_ms.status());
    const std::string incident = request.get_param_value("incident");
    const auto deadline =
        std::chrono::steady_clock::now() +
        std::chrono::milliseconds(std::clamp<std::int64_t>(*wait_ms, 0, kMaxWaitMs));
    while (true) {
      Result<json> events = context.With(
          [&](Headquarters& hq) { return hq.timeline().Events(*after, incident, kEventBatch); });
      if (!events.ok()) return SendError(response, events.status());
      if (!events->empty() || std::chrono::steady_clock::now() >= deadline || context.Stopping()) {
        const std::int64_t last = events->empty() ? std::max<std::int64_t>(*after, 0)
                                                  : events->back()["id"].get<std::int64_t>();
        return SendJson(response, json{{"events", *events}, {"last", last}});
      }
      std::this_thread::sleep_for(kEventPoll);
    }
  });
}

}  // namespace

void AddIncidentRoutes(httplib::Server& server, ApiContext& context) {
  AddIncidentCrud(server, context);
  AddIncidentViews(server, context);
  AddAttachments(server, context);
  AddEvents(server, context);
}

}  // namespace muster::hq
