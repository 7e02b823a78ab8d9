#include "sync/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace muster::hq {

RateLimiter::RateLimiter(const Clock& clock, double per_second, double burst)
    : clock_(clock), per_second_(per_second), burst_(burst) {}

Millis RateLimiter::Take(const std::string& agent_id) {
  const Millis now = clock_.Now();
  auto [it, fresh] = buckets_.try_emplace(agent_id, Bucket{burst_, now});
  Bucket& bucket = it->second;
  if (!fresh && now > bucket.refilled_at) {
    const double earned = static_cast<double>(now - bucket.refilled_at) * per_second_ / 1000.0;
    bucket.tokens = std::min(burst_, bucket.tokens + earned);
    bucket.refilled_at = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return 0;
  }
  return std::max<Millis>(
      1, static_cast<Millis>(std::ceil((1.0 - bucket.tokens) * 1000.0 / per_second_)));
}

}  // namespace muster::hq
