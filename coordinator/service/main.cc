// muster-coordinator: headquarters' service. Wires the real parts together; all logic
// lives in the library the tests link.
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "muster/cli.h"
#include "muster/daemon.h"
#include "muster/log.h"
#include "service/config.h"
#include "service/coordinator.h"

int main(int argc, char** argv) {
  CLI::App app{
      "muster-coordinator: keeps incidents, roster, playbooks, deployments, tasks and "
      "findings, and syncs them with field agents over ZeroMQ (CURVE)."};
  std::string config_path;
  std::string data_dir;
  std::string log_level;
  app.add_option("--config", config_path, "configuration file (see config/coordinator.yaml)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--data", data_dir, "data directory; overrides data_dir in the configuration");
  app.add_option("--log-level", log_level, muster::kLogLevels)
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  muster::AddVersionFlag(app, "muster-coordinator");
  if (auto done = muster::ParseCommandLine(app, argc, argv)) return *done;

  auto config = muster::hq::LoadConfig(config_path);
  if (!config.ok()) {
    std::cerr << "muster-coordinator: " << config.status().message() << "\n";
    return 2;
  }
  if (!data_dir.empty()) config->data_dir = data_dir;
  if (!log_level.empty()) config->log_level = log_level;
  muster::InitLogging(config->log_level);

  // Signals are taken synchronously by this thread only; every thread started below
  // inherits the blocked mask.
  const sigset_t signals = muster::BlockStopSignals();

  muster::SystemClock clock;
  muster::hq::Coordinator coordinator(*config, clock);
  muster::Status started = coordinator.Start();
  if (!started.ok()) {
    muster::Logger("coordinator")
        ->critical("event=start_failed code={} error=\"{}\"", started.wire_code(),
                   started.message());
    std::cerr << "muster-coordinator: " << started.message() << "\n";
    return 1;
  }
  const int signal = muster::WaitForStop(signals, "coordinator");
  muster::Logger("coordinator")->info("event=shutdown signal={}", signal);
  coordinator.Stop();
  return 0;
}
