#include "muster/link_estimator.h"

#include <algorithm>

namespace muster {
namespace {

// Nothing the field uses is slower than this; an estimate never falls below it, so a
// budget never shrinks to nothing after a run of timeouts.
constexpr double kSlowestBytesPerSecond = 30;  // 240 bit/s
// An exchange this small measures the round trip rather than the rate.
constexpr std::size_t kSmallExchangeBytes = 256;

}  // namespace

LinkEstimator::LinkEstimator(Options options)
    : options_(options),
      bytes_per_second_(options.initial_bytes_per_second),
      rtt_ms_(options.initial_rtt_ms) {}

void LinkEstimator::OnExchange(std::size_t bytes, Millis elapsed_ms) {
  elapsed_ms = std::max<Millis>(1, elapsed_ms);
  ++samples_;
  if (bytes <= kSmallExchangeBytes) {
    rtt_ms_ = rtt_samples_ == 0 ? elapsed_ms : (3 * rtt_ms_ + elapsed_ms) / 4;
    ++rtt_samples_;
    return;
  }
  // Only a message that filled a good part of its budget says what the link can carry:
  // a short one's time is mostly the round trip.
  if (bytes * 2 < Budget()) return;
  ++rate_samples_;
  // The rate as this exchange saw it, round trip included: an underestimate where the
  // round trip is long, which keeps messages a little shorter than the target.
  const double sample = static_cast<double>(bytes) * 1000 / static_cast<double>(elapsed_ms);
  if (elapsed_ms * 2 < options_.target_ms) {
    // Answered well within the target: the link has room; grow fast.
    bytes_per_second_ = std::max(2 * bytes_per_second_, sample);
  } else {
    bytes_per_second_ = (bytes_per_second_ + sample) / 2;
  }
  bytes_per_second_ = std::clamp(bytes_per_second_, kSlowestBytesPerSecond,
                                 static_cast<double>(options_.max_budget_bytes) * 1000 /
                                     static_cast<double>(options_.target_ms) * 4);
}

bool LinkEstimator::thin() const {
  if (rate_samples_ > 0) return bytes_per_second_ < 8'000;
  if (rtt_samples_ > 0) return rtt_ms_ >= 400;
  return true;
}

void LinkEstimator::OnTimeout() {
  bytes_per_second_ = std::max(kSlowestBytesPerSecond, bytes_per_second_ / 2);
}

std::size_t LinkEstimator::Budget() const {
  const auto bytes = static_cast<std::size_t>(bytes_per_second_ *
                                              static_cast<double>(options_.target_ms) / 1000);
  return std::clamp(bytes, options_.min_budget_bytes, options_.max_budget_bytes);
}

Millis LinkEstimator::Expected(std::size_t bytes) const {
  return rtt_ms_ + static_cast<Millis>(static_cast<double>(bytes) * 1000 / bytes_per_second_);
}

}  // namespace muster
