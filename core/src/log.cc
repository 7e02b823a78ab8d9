#include "muster/log.h"

#include <mutex>

#include <spdlog/sinks/stdout_sinks.h>

namespace muster {

bool IsLogLevel(std::string_view level) {
  for (std::string_view known : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (level == known) return true;
  }
  return false;
}

void InitLogging(const std::string& level) {
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %n %v", spdlog::pattern_time_type::utc);
  spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") parsed = spdlog::level::info;
  spdlog::set_level(parsed);
}

std::shared_ptr<spdlog::logger> Logger(const std::string& component) {
  if (auto existing = spdlog::get(component)) return existing;
  // Threads (the link, the field relay, the pruner) may ask for a new component at once:
  // one makes it, the others take it.
  static std::mutex making;
  std::lock_guard<std::mutex> lock(making);
  if (auto existing = spdlog::get(component)) return existing;
  return spdlog::stderr_logger_mt(component);
}

}  // namespace muster
