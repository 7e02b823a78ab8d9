#include "muster/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <limits>

namespace muster {

Millis SystemClock::Now() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string FormatTimestamp(Millis at) {
  std::time_t seconds = static_cast<std::time_t>(at / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::string FormatAge(Millis age) {
  if (age < 0) age = 0;
  const Millis s = age / 1000;
  if (s < 60) return std::to_string(s) + "s";
  const Millis m = s / 60;
  if (m < 60) return std::to_string(m) + "m";
  const Millis h = m / 60;
  if (h < 24) return std::to_string(h) + "h " + std::to_string(m % 60) + "m";
  return std::to_string(h / 24) + "d " + std::to_string(h % 24) + "h";
}

Millis ParseDuration(const std::string& text) {
  if (text.empty()) return -1;
  Millis total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    Millis number = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i] - '0');
      if (number > 1'000'000'000) return -1;
      ++i;
    }
    if (i == start || i == text.size()) return -1;
    Millis unit = 0;
    switch (text[i]) {
      case 's': unit = 1000; break;
      case 'm': unit = 60'000; break;
      case 'h': unit = 3'600'000; break;
      case 'd': unit = 86'400'000; break;
      default: return -1;
    }
    // number <= 1e9 keeps number * unit in range; the sum of many parts must be checked.
    if (number * unit > std::numeric_limits<Millis>::max() - total) return -1;
    total += number * unit;
    ++i;
  }
  return total;
}

}  // namespace muster
