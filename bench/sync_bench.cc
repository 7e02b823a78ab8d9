// Wire cost and drain time of the sync protocol, measured end to end: a real coordinator
// (CURVE, SQLite with synchronous=FULL) and a real agent link over tcp://127.0.0.1,
// through a relay that counts the TCP payload bytes in each direction. The bytes include
// ZMTP framing and CURVE encryption; they exclude TCP/IP headers. Also the daemon's wake:
// how long a record committed by another connection to the agent's store (as by a CLI
// verb) takes to be acknowledged by HQ.
//
// Usage: sync_bench [OUTPUT_JSON]
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>
#include <vector>

#include "agent_store.h"
#include "api_client.h"
#include "service/coordinator.h"
#include "link_emulator.h"
#include "link.h"
#include "muster/log.h"
#include "muster/playbook/load.h"

namespace muster {
namespace {

using nlohmann::json;

struct Rig {
  SystemClock clock;
  std::string root;
  std::unique_ptr<hq::Coordinator> hq;
  std::unique_ptr<testing::LinkEmulator> proxy;
  Bundle bundle;
  std::unique_ptr<agent::AgentStore> store;
  std::unique_ptr<agent::AgentStore> verb;  // another connection, as a CLI verb has
  std::string task;
  std::atomic<bool> stop{false};
  std::thread link_thread;

  Rig() {
    root = (std::filesystem::temp_directory_path() / ("muster-bench-" + std::to_string(getpid())))
               .string();
    std::filesystem::remove_all(root);
    hq::Config config;
    config.data_dir = root + "/hq";
    config.agent_bind = "tcp://127.0.0.1:*";
    config.api_port = 0;
    config.log_level = "warn";
    hq = std::make_unique<hq::Coordinator>(config, clock);
    Check(hq->Start(), "start the coordinator");
    const std::string endpoint = hq->agent_endpoint();
    proxy = std::make_unique<testing::LinkEmulator>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
    console::ApiClient api(hq->api_url(), hq->api_token());
    Check(api.Post("/v1/members", {{"id", "jonas"}}).status(), "add a member");
    auto enrolled = api.Post("/v1/agents", {{"member", "jonas"}});
    Check(enrolled.status(), "enrol");
    bundle = *ParseBundle((*enrolled)["bundle"].get<std::string>());
    bundle.endpoint = "tcp://127.0.0.1:" + std::to_string(proxy->port());
    Check(api.Post("/v1/incidents", {{"id", "INC-1"}, {"title", "bench"}}).status(), "incident");
    auto book = playbook::LoadFile(std::string(MUSTER_SOURCE_DIR) +
                                   "/playbooks/radioactive-material-border-seizure.yaml");
    json assign = json::object();
    for (const auto& role : book.playbook->roles) assign[role.id] = {"jonas"};
    Check(api.Post("/v1/deployments", {{"incident", "INC-1"},
                                       {"playbook_source", book.playbook->source},
                                       {"assign", assign}})
              .status(),
          "deploy");
    std::filesystem::create_directories(root + "/agent");
    store = std::move(agent::AgentStore::Open(root + "/agent", bundle, clock).value());
    verb = std::move(agent::AgentStore::Open(root + "/agent", bundle, clock).value());
    task = "d1.secondary_inspection.jonas";
    link_thread = std::thread([this] {
      agent::LinkOptions options;
      options.watch_dir = root + "/agent";  // as `muster-agent run` does
      agent::Link link(*store, bundle, clock, options);
      link.Run(stop);
    });
    WaitFor([&] { return Connected() && store->Tasks()->size() == 13; });
  }
  ~Rig() {
    stop = true;
    link_thread.join();
    verb.reset();
    store.reset();
    hq.reset();
    proxy.reset();
    std::filesystem::remove_all(root);
  }
  static void Check(const Status& status, const char* what) {
    if (!status.ok()) {
      std::cerr << "sync_bench: cannot " << what << ": " << status.ToString() << "\n";
      std::exit(1);
    }
  }
  bool Connected() { return store->Link()->connected; }
  std::uint64_t Pending() { return store->outbox().Stats()->pending; }
  void WaitFor(const std::function<bool()>& condition) {
    for (int i = 0; i < 6000 && !condition(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  void AppendStatus(int i) {
    (void)store->outbox().Append("status", task,
                        {{"task", task}, {"state", i % 2 ? "in_progress" : "acknowledged"}},
                        agent::kLaneStatus);
  }
  void AppendFinding(int i) {
    (void)store->outbox().Append("finding", task,
                        {{"task", task},
                         {"values", {{"dose_rate_1m", 12.5 + i % 100}, {"neutrons_detected", false}}}},
                        agent::kLaneFinding);
  }
};

struct Cost {
  double up_per_record;
  double down_per_record;
};

// Bytes per record for |count| records sent in one go over a live link.
Cost Measure(Rig& rig, int count, void (Rig::*append)(int)) {
  rig.WaitFor([&] { return rig.Pending() == 0; });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  if (count > 1) rig.proxy->Cut();  // let the backlog build, then send it as batches
  rig.WaitFor([&] { return !rig.Connected() || count == 1; });
  rig.proxy->ResetCounters();
  for (int i = 0; i < count; ++i) (rig.*append)(i);
  if (count > 1) {
    rig.proxy->ResetCounters();
    rig.proxy->Restore();
  }
  rig.WaitFor([&] { return rig.Pending() == 0; });
  return {static_cast<double>(rig.proxy->bytes_up()) / count,
          static_cast<double>(rig.proxy->bytes_down()) / count};
}

// From the commit of a lone record by another connection (the daemon asleep) until HQ
// acknowledged it, |count| times; in ms, sorted. It includes the wake, the batch's
// MarkSent commit, the relay both ways and HQ's commit.
std::vector<double> WakeLatencies(Rig& rig, int count) {
  using namespace std::chrono;
  rig.WaitFor([&] { return rig.Pending() == 0; });
  std::vector<double> latencies;
  for (int i = 0; i < count; ++i) {
    std::this_thread::sleep_for(milliseconds(20));  // the daemon is asleep again
    auto seq = rig.verb->outbox().Append("note", rig.task, {{"task", rig.task}, {"text", "wake"}},
                                agent::kLaneStatus);
    Rig::Check(seq.status(), "append a note");
    const auto committed = steady_clock::now();
    while (steady_clock::now() - committed < seconds(60)) {
      auto acked = rig.verb->outbox().AckedWatermark();
      if (acked.ok() && *acked >= *seq) break;
      std::this_thread::sleep_for(microseconds(100));
    }
    latencies.push_back(duration<double, std::milli>(steady_clock::now() - committed).count());
  }
  std::sort(latencies.begin(), latencies.end());
  return latencies;
}

}  // namespace
}  // namespace muster

int main(int argc, char** argv) {
  muster::InitLogging("warn");
  muster::Rig rig;
  const auto wake = muster::WakeLatencies(rig, 200);
  const double wake_median = wake[wake.size() / 2];
  const double wake_p99 = wake[wake.size() * 99 / 100 - 1];
  const auto status_alone = muster::Measure(rig, 1, &muster::Rig::AppendStatus);
  const auto finding_alone = muster::Measure(rig, 1, &muster::Rig::AppendFinding);
  const auto status_batched = muster::Measure(rig, 1000, &muster::Rig::AppendStatus);
  const auto finding_batched = muster::Measure(rig, 1000, &muster::Rig::AppendFinding);

  // 10,000 findings recorded offline, then the link returns: time until all acknowledged.
  rig.proxy->Cut();
  rig.WaitFor([&] { return !rig.Connected(); });
  for (int i = 0; i < 10000; ++i) rig.AppendFinding(i);
  const auto start = std::chrono::steady_clock::now();
  rig.proxy->Restore();
  rig.WaitFor([&] { return rig.Pending() == 0; });
  const double drain_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Reconnection itself is part of the figure: the agent's backoff after the cut decides
  // when it dials again.

  std::cout << std::fixed << std::setprecision(1)
            << "| measure | agent → HQ bytes/record | HQ → agent bytes/record |\n"
            << "| --- | --- | --- |\n"
            << "| status update alone | " << status_alone.up_per_record << " | "
            << status_alone.down_per_record << " |\n"
            << "| finding alone | " << finding_alone.up_per_record << " | "
            << finding_alone.down_per_record << " |\n"
            << "| status update, batch of 1000 | " << status_batched.up_per_record << " | "
            << status_batched.down_per_record << " |\n"
            << "| finding, batch of 1000 | " << finding_batched.up_per_record << " | "
            << finding_batched.down_per_record << " |\n"
            << std::setprecision(2) << "\n10,000-finding backlog drained in " << drain_s
            << " s after the link returned (including reconnection)\n"
            << std::setprecision(1) << "\nWake on commit, " << wake.size()
            << " lone records committed by another connection, commit to acknowledged by HQ: "
            << "median " << wake_median << " ms, p99 " << wake_p99 << " ms, max " << wake.back()
            << " ms\n";
  if (argc > 1) {
    nlohmann::json out = {
        {"status_alone_up", status_alone.up_per_record},
        {"status_alone_down", status_alone.down_per_record},
        {"finding_alone_up", finding_alone.up_per_record},
        {"status_batched_up", status_batched.up_per_record},
        {"status_batched_down", status_batched.down_per_record},
        {"finding_batched_up", finding_batched.up_per_record},
        {"backlog_10000_drain_s", drain_s},
        {"wake_median_ms", wake_median},
        {"wake_p99_ms", wake_p99},
        {"wake_max_ms", wake.back()}};
    std::ofstream(argv[1]) << out.dump(2) << "\n";
  }
  return 0;
}
