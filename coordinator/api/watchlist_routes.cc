// Routes of the persons-of-interest watchlist (docs/api.md#the-watchlist): its entries,
// and which incidents' teams carry them. Entries are personal data: the guard lets only
// officers and administrators read or change them (access/roles.cc). Each change wakes
// the agents it sent deliveries to.
#include <httplib.h>

#include "api/api_context.h"
#include "api/api_http.h"
#include "api/api_request.h"
#include "api/routes.h"
#include "muster/wire/deliveries.h"

namespace muster::hq {
namespace {

// The entries of a request body: {"entries": [entry, ...]}, each as docs/api.md says.
Result<std::vector<watchlist::Entry>> EntriesOf(const nlohmann::json& body) {
  MUSTER_RETURN_IF_ERROR(OnlyFields(body, {"entries"}));
  const auto list = body.find("entries");
  if (list == body.end() || !list->is_array()) {
    return Status::Error(ErrorCode::kInvalidArgument, "entries must be a list of entries");
  }
  std::vector<watchlist::Entry> entries;
  for (std::size_t i = 0; i < list->size(); ++i) {
    Result<watchlist::Entry> entry = wire::DecodeWatchlistEntry((*list)[i]);
    if (!entry.ok()) {
      return Status::Error(ErrorCode::kInvalidArgument,
                           "entries[" + std::to_string(i) + "]: " + entry.status().message());
    }
    entries.push_back(std::move(*entry));
  }
  return entries;
}

}  // namespace

void AddWatchlistRoutes(httplib::Server& server, ApiContext& context) {
  server.Get("/v1/watchlist", [&context](const httplib::Request&, httplib::Response& response) {
    SendJson(response, context.With([](Headquarters& hq) { return hq.watchlist().List(); }));
  });
  server.Post("/v1/watchlist",
              [&context](const httplib::Request& request, httplib::Response& response) {
                auto body = Body(request, response);
                if (!body) return;
                Result<std::vector<watchlist::Entry>> entries = EntriesOf(*body);
                if (!entries.ok()) return SendError(response, entries.status());
                context.Mutate(response, 200, [&](Headquarters& hq, auto* agents) {
                  return hq.watchlist().Set(*entries, RequestActor(request), agents);
                });
              });
  server.Post(R"(/v1/watchlist/([^/]+)/remove)",
              [&context](const httplib::Request& request, httplib::Response& response) {
                context.Mutate(response, 200, [&](Headquarters& hq, auto* agents) {
                  return hq.watchlist().Remove(request.matches[1], RequestActor(request), agents);
                });
              });
  server.Get(R"(/v1/incidents/([^/]+)/watchlist/hits)",
             [&context](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, context.With([&](Headquarters& hq) {
                 return hq.watchlist().Hits(request.matches[1]);
               }));
             });
  server.Get(R"(/v1/incidents/([^/]+)/watchlist)",
             [&context](const httplib::Request& request, httplib::Response& response) {
               SendJson(response, context.With([&](Headquarters& hq) -> Result<nlohmann::json> {
                 if (!hq.incidents().Get(request.matches[1]).ok()) {
                   return Status::Error(ErrorCode::kNotFound,
                                        "no incident '" + request.matches[1].str() + "'");
                 }
                 nlohmann::json list = nlohmann::json::array();
                 for (const watchlist::Entry& entry : hq.watchlist().EntriesOf(request.matches[1])) {
                   list.push_back(wire::EncodeWatchlistEntry(entry));
                 }
                 return list;
               }));
             });
  server.Post(R"(/v1/incidents/([^/]+)/watchlist)",
              [&context](const httplib::Request& request, httplib::Response& response) {
                auto body = Body(request, response);
                if (!body) return;
                Status fields = OnlyFields(*body, {"notices", "region"});
                if (!fields.ok()) return SendError(response, fields);
                context.Mutate(response, 200, [&](Headquarters& hq, auto* agents) {
                  return hq.watchlist().Assign(request.matches[1], Strings(*body, "notices"),
                                               body->value("region", ""), RequestActor(request),
                                               agents);
                });
              });
  server.Post(R"(/v1/incidents/([^/]+)/watchlist/remove)",
              [&context](const httplib::Request& request, httplib::Response& response) {
                auto body = Body(request, response);
                if (!body) return;
                Status fields = OnlyFields(*body, {"notices"});
                if (!fields.ok()) return SendError(response, fields);
                context.Mutate(response, 200, [&](Headquarters& hq, auto* agents) {
                  return hq.watchlist().Unassign(request.matches[1], Strings(*body, "notices"),
                                                 RequestActor(request), agents);
                });
              });
}

}  // namespace muster::hq
