// Logging: one spdlog logger per component, one line per event, written as
// "event=NAME key=value ..." so that lines can be grepped and parsed. Never log secrets
// (secret keys, tokens, finding values are fine to omit; ids and counts are not secret).
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

namespace muster {

// The levels a configuration may name, for its error messages.
inline constexpr const char* kLogLevels = "trace, debug, info, warn, error, critical, off";
// Whether |level| is one of kLogLevels.
bool IsLogLevel(std::string_view level);

// Sets the pattern and level for all loggers ("trace".."off"; "info" when unknown:
// configurations refuse an unknown level before this, with IsLogLevel).
// Logs go to stderr so that a command's stdout stays for its answer.
void InitLogging(const std::string& level);

// The named component logger, created on first use.
std::shared_ptr<spdlog::logger> Logger(const std::string& component);

}  // namespace muster
