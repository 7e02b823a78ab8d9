#include "muster/link_estimator.h"

#include <gtest/gtest.h>

namespace muster {
namespace {

// Feeds |estimator| exchanges of its own budget over a link of |rate| bytes/s and
// |rtt_ms| round trip, as a sender that always fills its budget would.
void Converse(LinkEstimator& estimator, double rate, Millis rtt_ms, int exchanges) {
  for (int i = 0; i < exchanges; ++i) {
    const std::size_t bytes = estimator.Budget();
    estimator.OnExchange(bytes, rtt_ms + static_cast<Millis>(static_cast<double>(bytes) * 1000 / rate));
  }
}

TEST(LinkEstimatorTest, StartsAsTheThinnestLinkSoTheFirstMessageCrossesInTime) {
  LinkEstimator estimator;
  EXPECT_TRUE(estimator.thin());
  // At 2.4 kbit/s (300 bytes/s) the first budget crosses in about the 4 s target.
  EXPECT_LE(estimator.Budget(), 1'300u);
  EXPECT_GE(estimator.Budget(), 512u);
}

TEST(LinkEstimatorTest, GrowsToAFastLinkWithinAFewExchanges) {
  LinkEstimator estimator;
  Converse(estimator, 1'250'000, 20, 6);  // 10 Mbit/s, 20 ms
  EXPECT_FALSE(estimator.thin());
  EXPECT_EQ(estimator.Budget(), 256u << 10);
}

TEST(LinkEstimatorTest, SettlesOnASlowLinkWithMessagesThatFitTheTarget) {
  LinkEstimator estimator;
  Converse(estimator, 300, 1'500, 20);  // 2.4 kbit/s, 1.5 s round trip
  const Millis on_link = static_cast<Millis>(static_cast<double>(estimator.Budget()) * 1000 / 300);
  EXPECT_LE(on_link + 1'500, 6'000) << estimator.Budget();
  EXPECT_GE(estimator.Budget(), 512u);
  EXPECT_TRUE(estimator.thin());
  // Timers built on it are never shorter than what a budget really takes.
  EXPECT_GE(estimator.Expected(estimator.Budget()), on_link + 1'500);
}

TEST(LinkEstimatorTest, FollowsTheLinkDownWhenItSlows) {
  LinkEstimator estimator;
  Converse(estimator, 32'000, 600, 10);  // 256 kbit/s BGAN
  const std::size_t fast = estimator.Budget();
  Converse(estimator, 300, 1'500, 10);  // the same laptop now on an Iridium circuit
  EXPECT_LT(estimator.Budget(), fast / 20);
  EXPECT_TRUE(estimator.thin());
}

TEST(LinkEstimatorTest, SmallExchangesMeasureTheRoundTrip) {
  LinkEstimator estimator;
  EXPECT_EQ(estimator.rtt_ms(), 2'000);
  estimator.OnExchange(100, 600);
  EXPECT_EQ(estimator.rtt_ms(), 600);
  estimator.OnExchange(100, 1'000);
  EXPECT_EQ(estimator.rtt_ms(), 700);
}

TEST(LinkEstimatorTest, AQuickGreetingSaysTheLinkIsNotThinBeforeTheRateIsKnown) {
  LinkEstimator wifi;
  wifi.OnExchange(200, 30);
  EXPECT_FALSE(wifi.thin());
  LinkEstimator satellite;
  satellite.OnExchange(200, 1'800);
  EXPECT_TRUE(satellite.thin());
}

TEST(LinkEstimatorTest, ATimeoutHalvesTheRateButNeverToNothing) {
  LinkEstimator estimator;
  const double before = estimator.bytes_per_second();
  estimator.OnTimeout();
  EXPECT_DOUBLE_EQ(estimator.bytes_per_second(), before / 2);
  for (int i = 0; i < 50; ++i) estimator.OnTimeout();
  EXPECT_GT(estimator.bytes_per_second(), 0);
  EXPECT_GE(estimator.Budget(), 512u);
}

}  // namespace
}  // namespace muster
