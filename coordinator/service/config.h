// The coordinator's configuration file (config/coordinator.yaml is the commented example).
#pragma once

#include <cstdint>
#include <string>

#include "muster/result.h"

namespace muster::hq {

struct Config {
  std::string data_dir = "/var/lib/muster";
  // Where the ROUTER binds for agents, and the endpoint written into enrolment bundles
  // (what agents dial). When public_endpoint is empty the bound endpoint is used.
  std::string agent_bind = "tcp://0.0.0.0:7470";
  std::string public_endpoint;
  // Each agent may send a burst of this many messages, then this many per second; more
  // is refused with rate_limited (docs/security.md#limits).
  double agent_messages_per_second = 50;
  double agent_message_burst = 200;
  std::string api_bind = "127.0.0.1";
  int api_port = 7471;  // 0: any free port (written to DATA/coordinator.json)
  // How long an operator's login lasts: a shift and some.
  std::int64_t session_lifetime_ms = 12 * 3'600'000;
  std::string log_level = "info";
  // How often the coordinator raises time-based alerts (overdue tasks, members not heard
  // from within their check-in interval).
  std::int64_t alert_sweep_interval_ms = 5'000;
};

// Reads |path|; unknown keys are errors (a typo must not silently change behaviour).
Result<Config> LoadConfig(const std::string& path);

}  // namespace muster::hq
