#include "service/config.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "muster/clock.h"
#include "muster/files.h"
#include "muster/log.h"

namespace muster::hq {
namespace {

Status Unknown(const std::string& path, const YAML::Node& key, const std::string& known) {
  return Status::Error(ErrorCode::kInvalidConfig, path + ":" + std::to_string(key.Mark().line + 1) +
                                                      ": unknown key '" + key.as<std::string>() +
                                                      "'; known keys: " + known);
}

// The duration |value| (such as |example|) in milliseconds; invalid_config naming |key|
// and its line otherwise.
Result<Millis> ReadDuration(const std::string& path, const YAML::Node& value, const char* key,
                            const char* example) {
  const Millis duration = ParseDuration(value.as<std::string>());
  if (duration > 0) return duration;
  return Status::Error(ErrorCode::kInvalidConfig, path + ":" + std::to_string(value.Mark().line + 1) +
                                                      ": " + key + " must be a duration such as " +
                                                      example);
}

}  // namespace

Result<Config> LoadConfig(const std::string& path) {
  Result<std::string> text = ReadFile(path, 1 << 20);
  if (!text.ok()) return text.status();
  Config config;
  try {
    YAML::Node root = YAML::Load(*text);
    if (root.IsNull()) return config;  // every key commented out: all defaults
    if (!root.IsMap()) {
      return Status::Error(ErrorCode::kInvalidConfig, path + ": expected a map of settings");
    }
    for (const auto& entry : root) {
      const std::string key = entry.first.as<std::string>();
      const YAML::Node& value = entry.second;
      if (key == "data_dir") {
        config.data_dir = value.as<std::string>();
      } else if (key == "log_level") {
        config.log_level = value.as<std::string>();
        if (!IsLogLevel(config.log_level)) {
          return Status::Error(ErrorCode::kInvalidConfig,
                               path + ":" + std::to_string(value.Mark().line + 1) +
                                   ": log_level '" + config.log_level + "' is not one of " +
                                   kLogLevels);
        }
      } else if (key == "playbook_signatures") {
        const std::string policy = value.as<std::string>();
        if (policy != "optional" && policy != "required") {
          return Status::Error(ErrorCode::kInvalidConfig,
                               path + ":" + std::to_string(value.Mark().line + 1) +
                                   ": playbook_signatures '" + policy +
                                   "' is not one of optional, required");
        }
        config.playbook_signatures_required = policy == "required";
      } else if (key == "agents") {
        for (const auto& item : value) {
          const std::string name = item.first.as<std::string>();
          if (name == "bind")
            config.agent_bind = item.second.as<std::string>();
          else if (name == "public_endpoint")
            config.public_endpoint = item.second.as<std::string>();
          else if (name == "messages_per_second")
            config.agent_messages_per_second = item.second.as<double>();
          else if (name == "message_burst")
            config.agent_message_burst = item.second.as<double>();
          else
            return Unknown(path, item.first,
                           "bind, public_endpoint, messages_per_second, message_burst");
        }
      } else if (key == "api") {
        for (const auto& item : value) {
          const std::string name = item.first.as<std::string>();
          if (name == "bind")
            config.api_bind = item.second.as<std::string>();
          else if (name == "port")
            config.api_port = item.second.as<int>();
          else if (name == "tls") {
            const std::string mode = item.second.as<std::string>();
            if (mode != "auto" && mode != "on" && mode != "off") {
              return Status::Error(ErrorCode::kInvalidConfig,
                                   path + ":" + std::to_string(item.second.Mark().line + 1) +
                                       ": api.tls '" + mode + "' is not one of auto, on, off");
            }
            config.api_tls = mode == "on" ? TlsMode::kOn
                             : mode == "off" ? TlsMode::kOff
                                             : TlsMode::kAuto;
          } else if (name == "tls_cert")
            config.api_tls_cert = item.second.as<std::string>();
          else if (name == "tls_key")
            config.api_tls_key = item.second.as<std::string>();
          else if (name == "session_lifetime") {
            Result<Millis> lifetime = ReadDuration(path, item.second, "api.session_lifetime", "12h");
            if (!lifetime.ok()) return lifetime.status();
            config.session_lifetime_ms = *lifetime;
          } else
            return Unknown(path, item.first, "bind, port, tls, tls_cert, tls_key, session_lifetime");
        }
      } else if (key == "alerts") {
        for (const auto& item : value) {
          const std::string name = item.first.as<std::string>();
          if (name == "sweep_interval") {
            Result<Millis> interval = ReadDuration(path, item.second, "alerts.sweep_interval", "5s");
            if (!interval.ok()) return interval.status();
            config.alert_sweep_interval_ms = *interval;
          } else if (name == "clock_skew") {
            Result<Millis> bound = ReadDuration(path, item.second, "alerts.clock_skew", "2m");
            if (!bound.ok()) return bound.status();
            config.clock_skew_alert_ms = *bound;
          } else {
            return Unknown(path, item.first, "sweep_interval, clock_skew");
          }
        }
      } else {
        return Unknown(path, entry.first,
                       "data_dir, log_level, playbook_signatures, agents, api, alerts");
      }
    }
  } catch (const YAML::Exception& error) {
    return Status::Error(ErrorCode::kInvalidConfig,
                         path + ":" + std::to_string(error.mark.line + 1) + ":" +
                             std::to_string(error.mark.column + 1) + ": " + error.msg);
  }
  if (!(config.agent_messages_per_second > 0) || !(config.agent_message_burst >= 1)) {
    return Status::Error(ErrorCode::kInvalidConfig,
                         path +
                             ": agents.messages_per_second must be above 0 "
                             "and agents.message_burst at least 1");
  }
  if (config.api_port < 0 || config.api_port > 65535) {
    return Status::Error(ErrorCode::kInvalidConfig, path + ": api.port must be 0..65535");
  }
  Result<bool> tls = ApiServesTls(config);
  if (!tls.ok()) {
    return Status::Error(ErrorCode::kInvalidConfig, path + ": " + tls.status().message());
  }
  return config;
}

bool IsLoopback(const std::string& bind) {
  return bind == "127.0.0.1" || bind == "::1" || bind == "localhost";
}

Result<bool> ApiServesTls(const Config& config) {
  const bool certificate = !config.api_tls_cert.empty() || !config.api_tls_key.empty();
  if (certificate && (config.api_tls_cert.empty() || config.api_tls_key.empty())) {
    return Status::Error(ErrorCode::kInvalidConfig,
                         "api.tls_cert and api.tls_key go together: give both (the "
                         "certificate and its private key), or neither for a self-signed pair "
                         "made in the data directory");
  }
  switch (config.api_tls) {
    case TlsMode::kOn:
      return true;
    case TlsMode::kAuto:
      return certificate || !IsLoopback(config.api_bind);
    case TlsMode::kOff:
      break;
  }
  if (certificate) {
    return Status::Error(ErrorCode::kInvalidConfig,
                         "api.tls is off but api.tls_cert and api.tls_key are set; set api.tls: "
                         "on (or auto) to use them, or remove them");
  }
  if (!IsLoopback(config.api_bind)) {
    return Status::Error(ErrorCode::kInvalidConfig,
                         "api.tls: off with api.bind " + config.api_bind +
                             " would send the API token in clear to other hosts; remove "
                             "api.tls (auto serves HTTPS there), set api.tls: on, or bind the "
                             "API to 127.0.0.1");
  }
  return false;
}

}  // namespace muster::hq
