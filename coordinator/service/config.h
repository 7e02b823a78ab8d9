// The coordinator's configuration file (config/coordinator.yaml is the commented example).
#pragma once

#include <cstdint>
#include <string>

#include "muster/result.h"

namespace muster::hq {

// Whether the API serves HTTPS (api.tls): auto is on unless the API is bound to loopback
// (or a certificate is configured, which asks for TLS).
enum class TlsMode { kAuto, kOn, kOff };

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
  TlsMode api_tls = TlsMode::kAuto;
  // The API's certificate (PEM, the chain after it) and private key (PEM, mode 0600).
  // Both empty: a self-signed pair made in the data directory (api/tls_identity.h).
  std::string api_tls_cert;
  std::string api_tls_key;
  // How long an operator's login lasts: a shift and some.
  std::int64_t session_lifetime_ms = 12 * 3'600'000;
  std::string log_level = "info";
  // How often the coordinator raises time-based alerts (overdue tasks, members not heard
  // from within their check-in interval).
  std::int64_t alert_sweep_interval_ms = 5'000;
  // An agent whose clock is further than this from HQ's raises a clock_skew alert
  // (docs/protocol.md, Time).
  std::int64_t clock_skew_alert_ms = 2 * 60'000;
  // `playbook_signatures: required`: only playbooks signed by a trusted author are
  // published and deployed (docs/security.md#playbook-signatures); `optional` (the
  // default) also takes unsigned ones, and still checks every signature given.
  bool playbook_signatures_required = false;
};

// Reads |path|; unknown keys are errors (a typo must not silently change behaviour).
// Settings that contradict each other are refused as ApiServesTls refuses them.
Result<Config> LoadConfig(const std::string& path);

// Whether |bind| is a loopback address: 127.0.0.1, ::1 or localhost.
bool IsLoopback(const std::string& bind);
// Whether the API serves HTTPS under |config|. invalid_config when api.tls is off on an
// address other hosts reach (the token would cross the network in clear), when only one of
// api.tls_cert and api.tls_key is given, or when they are given with api.tls off.
Result<bool> ApiServesTls(const Config& config);

}  // namespace muster::hq
