// What the API's routes need of the coordinator: the API thread's Headquarters, one
// request at a time, and the coordinator's reactions to a change (wake the agents with new
// deliveries, cut off a revoked or re-keyed agent's session, make an enrolment bundle).
//
// Threads: httplib serves requests on a pool of threads; With() serialises their use of
// the one Headquarters (its SQLite connection is not shared across threads). The hooks
// are thread-safe (Coordinator::Notify and CutOff post to the router thread).
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/api_http.h"
#include "monitoring/sync_metrics.h"
#include "muster/archive.h"
#include "muster/keys.h"
#include "service/headquarters.h"

namespace muster::hq {

class ApiContext {
 public:
  struct Hooks {
    std::function<void(const std::vector<std::string>& agent_ids)> notify;
    std::function<void(const std::string& agent_id)> cut_off;
    // The JSON bundle a newly enrolled or re-keyed agent installs.
    std::function<std::string(const std::string& agent_id, const std::string& member,
                              const KeyPair& keys)>
        bundle_for;
    std::string public_endpoint;  // where agents connect, for the health answer
    const SyncMetrics* metrics = nullptr;  // the router's counters, for /metrics
    std::string tiles_dir;  // offline map tiles, DATA/tiles/{z}/{x}/{y}.png (may be absent)
    // HQ's archive signing key (DATA/archive-signing.key; the coordinator does not start
    // without it). Left out (as some tests do), archives are refused with not_ready.
    std::optional<archive::SigningKey> archive_key;
  };

  ApiContext(Headquarters& hq, const std::atomic<bool>& stopping, Hooks hooks)
      : hq_(hq), stopping_(stopping), hooks_(std::move(hooks)) {}

  // Runs |body| with the Headquarters, alone.
  template <typename Body>
  auto With(Body&& body) {
    std::lock_guard<std::mutex> lock(mutex_);
    return body(hq_);
  }
  // Runs a change that queues deliveries (|body| fills the agents to wake), answers it,
  // and wakes those agents when it succeeded.
  template <typename Body>
  void Mutate(httplib::Response& response, int ok_status, Body&& body) {
    std::vector<std::string> agents;
    Result<nlohmann::json> result = With([&](Headquarters& hq) { return body(hq, &agents); });
    if (result.ok()) Notify(agents);
    SendJson(response, result, ok_status);
  }

  void Notify(const std::vector<std::string>& agent_ids) { hooks_.notify(agent_ids); }
  void CutOff(const std::string& agent_id) { hooks_.cut_off(agent_id); }
  std::string BundleFor(const std::string& agent_id, const std::string& member,
                        const KeyPair& keys) {
    return hooks_.bundle_for(agent_id, member, keys);
  }
  const std::string& public_endpoint() const { return hooks_.public_endpoint; }
  const SyncMetrics* metrics() const { return hooks_.metrics; }
  const std::string& tiles_dir() const { return hooks_.tiles_dir; }
  const std::optional<archive::SigningKey>& archive_key() const { return hooks_.archive_key; }
  // The coordinator is stopping: long polls answer now.
  bool Stopping() const { return stopping_; }

 private:
  Headquarters& hq_;
  std::mutex mutex_;
  const std::atomic<bool>& stopping_;
  Hooks hooks_;
};

}  // namespace muster::hq
