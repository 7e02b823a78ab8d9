// The security routes (docs/api.md): the audit log (GET /v1/audit, /v1/audit/verify) and
// an agent's revocation and key rotation.
#include <httplib.h>

#include "api_http.h"
#include "api_request.h"
#include "coordinator.h"
#include "muster/bundle.h"
#include "muster/log.h"

namespace muster::hq {
namespace {

using nlohmann::json;

}  // namespace

std::string Coordinator::BundleFor(const std::string& agent_id, const std::string& member,
                                   const KeyPair& keys) const {
  return BundleToJson(Bundle{agent_id, member, public_endpoint_, keys_.public_key,
                             keys.public_key, keys.secret_key, api_store_->hq_id()});
}

void Coordinator::AddSecurityRoutes(httplib::Server& server) {
  server.Get("/v1/audit", [this](const httplib::Request& request, httplib::Response& response) {
    AuditFilter filter;
    filter.actor = request.get_param_value("actor");
    filter.action = request.get_param_value("action");
    filter.subject = request.get_param_value("subject");
    const auto since = IntegerParam(request, "since", 0);
    const auto limit = IntegerParam(request, "limit", 100);
    if (!since.ok() || !limit.ok() || *limit < 1 || *limit > 100'000) {
      return SendError(response, Status::Error("invalid_argument",
                                               "since must be epoch milliseconds and limit a "
                                               "number from 1 to 100000"));
    }
    filter.since = *since;
    filter.limit = static_cast<int>(*limit);
    Result<json> entries = [&] {
      std::lock_guard<std::mutex> lock(api_mutex_);
      return api_store_->AuditLog(filter);
    }();
    if (!entries.ok()) return SendError(response, entries.status());
    response.set_content(entries->dump(), "application/json");
  });
  server.Get("/v1/audit/verify", [this](const httplib::Request&, httplib::Response& response) {
    Result<AuditVerdict> verdict = [&] {
      std::lock_guard<std::mutex> lock(api_mutex_);
      return api_store_->VerifyAudit();
    }();
    if (!verdict.ok()) return SendError(response, verdict.status());
    response.set_content(AuditVerdictJson(*verdict).dump(), "application/json");
  });

  server.Post(R"(/v1/agents/([^/]+)/revoke)",
              [this](const httplib::Request& request, httplib::Response& response) {
                const std::string agent_id = request.matches[1];
                Result<json> revoked = [&] {
                  std::lock_guard<std::mutex> lock(api_mutex_);
                  return api_store_->RevokeAgent(agent_id, RequestActor(request));
                }();
                if (!revoked.ok()) {
                  return SendError(response, revoked.status());
                }
                CutOff(agent_id);
                Logger("api")->warn("event=agent_revoked agent={}", agent_id);
                response.set_content(revoked->dump(), "application/json");
              });

  server.Post(R"(/v1/agents/([^/]+)/rotate)",
              [this](const httplib::Request& request, httplib::Response& response) {
                const std::string agent_id = request.matches[1];
                Result<KeyPair> keys = GenerateKeyPair();
                if (!keys.ok()) return SendError(response, keys.status());
                Result<std::string> member = [&] {
                  std::lock_guard<std::mutex> lock(api_mutex_);
                  return api_store_->RotateAgentKey(agent_id, keys->public_key,
                                                    RequestActor(request));
                }();
                if (!member.ok()) {
                  return SendError(response, member.status());
                }
                CutOff(agent_id);
                Logger("api")->info("event=agent_key_rotated agent={} key={}", agent_id,
                                    KeyFingerprint(keys->public_key));
                response.status = 201;
                response.set_content(json{{"agent_id", agent_id},
                                          {"member", *member},
                                          {"bundle", BundleFor(agent_id, *member, *keys)}}
                                         .dump(),
                                     "application/json");
              });
}

}  // namespace muster::hq
