// The per-agent token bucket with a fake clock.
#include <gtest/gtest.h>

#include "sync/rate_limiter.h"
#include "fake_clock.h"

namespace muster::hq {
namespace {

TEST(RateLimiterTest, ABurstIsAdmittedThenTheRateAndEachAgentHasItsOwnBucket) {
  FakeClock clock;
  RateLimiter limiter(clock, /*per_second=*/10, /*burst=*/3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Take("amira-1"), 0);
  EXPECT_EQ(limiter.Take("amira-1"), 100);  // one token every 100 ms
  EXPECT_EQ(limiter.Take("jonas-1"), 0);    // another agent is not affected
  clock.Advance(50);
  EXPECT_EQ(limiter.Take("amira-1"), 50);
  clock.Advance(50);
  EXPECT_EQ(limiter.Take("amira-1"), 0);
  EXPECT_EQ(limiter.Take("amira-1"), 100);
  // A long pause refills up to the burst, not beyond.
  clock.Advance(60'000);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Take("amira-1"), 0);
  EXPECT_GT(limiter.Take("amira-1"), 0);
}

}  // namespace
}  // namespace muster::hq
