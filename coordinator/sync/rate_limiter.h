// A token bucket per agent: |burst| messages at once, then |per_second| on average.
// What exceeds it is refused before it is decoded or touches the store, so that one
// flooding agent costs HQ little and the others keep their share.
//
// Not thread-safe: owned by the router thread's SyncServer. |clock| must outlive it.
#pragma once

#include <map>
#include <string>

#include "muster/clock.h"

namespace muster::hq {

class RateLimiter {
 public:
  RateLimiter(const Clock& clock, double per_second, double burst);

  // Takes one token for |agent_id|. Returns 0 when admitted, else the milliseconds until
  // the next token.
  // Buckets are kept for as long as the limiter lives (one per enrolled agent that
  // spoke), so reconnecting does not refill one.
  Millis Take(const std::string& agent_id);

 private:
  struct Bucket {
    double tokens = 0;
    Millis refilled_at = 0;
  };
  const Clock& clock_;
  double per_second_;
  double burst_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace muster::hq
