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
          else if (name == "session_lifetime") {
            Result<Millis> lifetime = ReadDuration(path, item.second, "api.session_lifetime", "12h");
            if (!lifetime.ok()) return lifetime.status();
            config.session_lifetime_ms = *lifetime;
          } else
            return Unknown(path, item.first, "bind, port, session_lifetime");
        }
      } else if (key == "alerts") {
        for (const auto& item : value) {
          const std::string name = item.first.as<std::string>();
          if (name == "sweep_interval") {
            Result<Millis> interval = ReadDuration(path, item.second, "alerts.sweep_interval", "5s");
            if (!interval.ok()) return interval.status();
            config.alert_sweep_interval_ms = *interval;
          } else {
            return Unknown(path, item.first, "sweep_interval");
          }
        }
      } else {
        return Unknown(path, entry.first, "data_dir, log_level, agents, api, alerts");
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
  return config;
}

}  // namespace muster::hq
