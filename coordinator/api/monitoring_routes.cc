// GET /healthz and GET /metrics (docs/api.md#monitoring): what a load balancer, systemd
// watchdog script or Prometheus reads. The server's guard lets /healthz through without a
// token and /metrics with the read-only metrics token as well as the API token.
#include <SQLiteCpp/Database.h>

#include <map>
#include <string>

#include "api/routes.h"
#include "monitoring/prometheus_text.h"
#include "monitoring/store_gauges.h"
#include "muster/log.h"
#include "muster/sqlite_store.h"

namespace muster::hq {
namespace {

// The severities a playbook or the sweep may give an alert: always written, 0 when none.
constexpr const char* kSeverities[] = {"info", "warning", "critical"};

// A family with one sample per entry of |counts|, labelled |label|.
void WriteByLabel(PrometheusText& out, const std::string& name, const std::string& type,
                  const std::string& help, const std::string& label,
                  const std::map<std::string, std::uint64_t>& counts) {
  out.Family(name, type, help);
  for (const auto& [value, count] : counts) {
    out.Sample(name, {{label, value}}, static_cast<double>(count));
  }
}

void WriteLive(PrometheusText& out, const SyncMetrics::Snapshot& live) {
  out.Family("muster_agents_connected", "gauge",
             "Agents that said HELLO and were heard from in the last 5 minutes.");
  out.Sample("muster_agents_connected", {}, static_cast<double>(live.agents_connected));
  WriteByLabel(out, "muster_records_ingested_total", "counter",
               "Records from agents applied since the coordinator started, by record kind.", "kind",
               live.records_applied);
  WriteByLabel(out, "muster_records_refused_total", "counter",
               "Records from agents refused for what they say (kept, not applied), by kind.",
               "kind", live.records_refused);
  WriteByLabel(out, "muster_messages_refused_total", "counter",
               "Messages from agents refused before they were handled, by error code.", "code",
               live.messages_refused);
  out.Family("muster_ingest_commit_seconds", "histogram",
             "Time to apply and commit one group of agents' record batches.");
  out.Histogram("muster_ingest_commit_seconds", SyncMetrics::kCommitBounds, live.commit_buckets,
                live.commit_seconds_sum);
}

void WriteStored(PrometheusText& out, const StoreGauges& stored) {
  std::map<std::string, std::uint64_t> alerts = stored.alerts_open;
  std::map<std::string, std::uint64_t> drills = stored.exercise_alerts_open;
  for (const char* severity : kSeverities) {
    alerts.try_emplace(severity, 0);
    drills.try_emplace(severity, 0);
  }
  WriteByLabel(out, "muster_alerts_open", "gauge",
               "Alerts of real incidents not acknowledged yet, by severity.", "severity", alerts);
  WriteByLabel(out, "muster_exercise_alerts_open", "gauge",
               "Alerts of exercises not acknowledged yet, by severity.", "severity", drills);
  out.Family("muster_deliveries_pending", "gauge",
             "Deliveries queued for active agents that they have not applied yet.");
  out.Sample("muster_deliveries_pending", {}, static_cast<double>(stored.deliveries_pending));
  std::map<std::string, std::uint64_t> agents = stored.agents;
  for (const char* status : {"active", "revoked"}) agents.try_emplace(status, 0);
  WriteByLabel(out, "muster_agents_enrolled", "gauge", "Enrolled agents by status.", "status",
               agents);
}

}  // namespace

void AddMonitoringRoutes(httplib::Server& server, ApiContext& context) {
  server.Get("/healthz", [&context](const httplib::Request&, httplib::Response& response) {
    // Healthy: not stopping, and the store answers a query. Nothing else is said: the
    // route needs no token, so it must not tell a stranger anything.
    Status store = context.With([](Headquarters& hq) {
      return Guarded([&]() -> Status {
        hq.database().db().execAndGet("SELECT 1");
        return Status::Ok();
      });
    });
    const bool healthy = store.ok() && !context.Stopping();
    if (!store.ok()) {
      Logger("api")->error("event=health_check_failed error=\"{}\"", store.ToString());
    }
    response.status = healthy ? 200 : 503;
    response.set_content(healthy ? "ok\n" : "unavailable\n", "text/plain; charset=utf-8");
  });
  server.Get("/metrics", [&context](const httplib::Request&, httplib::Response& response) {
    Result<StoreGauges> stored =
        context.With([](Headquarters& hq) { return StoreGaugeReader(hq.database()).Read(); });
    if (!stored.ok()) {
      SendError(response, stored.status());
      return;
    }
    PrometheusText out;
    out.Family("muster_build_info", "gauge", "The coordinator's version; always 1.");
    out.Sample("muster_build_info", {{"version", MUSTER_VERSION}}, 1);
    if (const SyncMetrics* live = context.metrics()) WriteLive(out, live->Take());
    WriteStored(out, *stored);
    response.set_content(out.text(), kPrometheusContentType);
  });
}

}  // namespace muster::hq
