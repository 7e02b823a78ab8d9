// Time as milliseconds since the Unix epoch (UTC). Everything that needs "now" takes a
// Clock so that tests can move time forward without sleeping.
#pragma once

#include <cstdint>
#include <string>

namespace muster {

using Millis = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Millis Now() const = 0;
};

// The wall clock.
class SystemClock final : public Clock {
 public:
  Millis Now() const override;
};

// "2026-11-24T15:20:00Z" (second precision, UTC).
std::string FormatTimestamp(Millis at);
// "3m", "2h 5m", "1d 4h": how long ago, for people reading a status board.
std::string FormatAge(Millis age);
// Parses a duration such as "90s", "30m", "2h", "1d", "1h30m" into milliseconds.
// Returns -1 when the text is not a duration.
Millis ParseDuration(const std::string& text);

}  // namespace muster
