#include "muster/clock_offset.h"

#include <gtest/gtest.h>

#include "fake_clock.h"

namespace muster {
namespace {

constexpr Millis kHour = 3'600'000;

TEST(ClockOffsetTest, AFastLaptopMeasuresANegativeOffsetWithinHalfTheRoundTrip) {
  // HELLO leaves at 10 000 by a laptop 3 h fast; HQ stamps its WELCOME 700 ms later in
  // true time; the answer arrives 1 600 ms after the HELLO left.
  const Millis true_sent = 1'800'000'000'000;
  const Millis laptop_sent = true_sent + 3 * kHour;
  const ClockOffset measured = MeasureOffset(laptop_sent, laptop_sent + 1600, true_sent + 700);
  EXPECT_EQ(measured.rtt_ms, 1600);
  EXPECT_EQ(measured.measured_at, laptop_sent + 1600);
  EXPECT_LE(std::llabs(measured.offset_ms - (-3 * kHour)), measured.rtt_ms / 2);
  EXPECT_EQ(DescribeSkew(measured.offset_ms), "3h 0m fast");
  EXPECT_EQ(DescribeSkew(2 * 24 * kHour + 5000), "2d 0h slow");
  EXPECT_EQ(DescribeSkew(-400), "in step");
}

TEST(ClockOffsetTest, AClockSetBackDuringTheExchangeCountsAsNoRoundTrip) {
  const ClockOffset measured = MeasureOffset(5000, 4000, 9000);
  EXPECT_EQ(measured.rtt_ms, 0);
  EXPECT_EQ(measured.offset_ms, 4000);
}

TEST(ClockOffsetTest, TheTighterSampleIsKeptUnlessTheClocksMovedOrItIsOld) {
  const ClockOffset kept{-10'800'000, 400, 1'000'000};
  // A looser sample that agrees within the uncertainties: the tighter one stays.
  EXPECT_EQ(KeepBetter(kept, {-10'800'900, 2000, 1'060'000}), kept);
  // A tighter one replaces it.
  const ClockOffset tighter{-10'800'050, 100, 1'070'000};
  EXPECT_EQ(KeepBetter(kept, tighter), tighter);
  // The laptop's clock was set right: far outside both uncertainties.
  const ClockOffset set_right{20, 3000, 1'080'000};
  EXPECT_EQ(KeepBetter(kept, set_right), set_right);
  // Kept too long: a looser but fresh sample replaces it.
  const ClockOffset fresh{-10'800'300, 900, 1'000'000 + kOffsetMaxAge + 1};
  EXPECT_EQ(KeepBetter(kept, fresh), fresh);
  // Nothing kept yet.
  EXPECT_EQ(KeepBetter(std::nullopt, fresh), fresh);
}

TEST(ClockOffsetTest, AnOffsetClockReadsTheBaseShifted) {
  FakeClock base(1000);
  OffsetClock hq(base, -300);
  EXPECT_EQ(hq.Now(), 700);
  base.Advance(50);
  EXPECT_EQ(hq.Now(), 750);
}

}  // namespace
}  // namespace muster
