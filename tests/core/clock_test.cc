#include "fake_clock.h"
#include "muster/clock.h"

#include <gtest/gtest.h>

#include <string>

namespace muster {
namespace {

TEST(FakeClockTest, MovesOnlyWhenTold) {
  FakeClock clock(1'000);
  EXPECT_EQ(clock.Now(), 1'000);
  EXPECT_EQ(clock.Now(), 1'000);
  clock.Advance(30 * 60'000);
  EXPECT_EQ(clock.Now(), 1'000 + 30 * 60'000);
  clock.Set(5);
  EXPECT_EQ(clock.Now(), 5);
}

TEST(FakeClockTest, DefaultStartIsFixed) {
  EXPECT_EQ(FakeClock().Now(), 1'700'000'000'000);
}

TEST(FormatTimestampTest, SecondPrecisionUtc) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(1'700'000'000'000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatTimestamp(1'700'000'000'999), "2023-11-14T22:13:20Z");  // truncated
  EXPECT_EQ(FormatTimestamp(1'795'533'600'000), "2026-11-24T15:20:00Z");
}

TEST(FormatAgeTest, PicksTheLargestUsefulUnits) {
  EXPECT_EQ(FormatAge(0), "0s");
  EXPECT_EQ(FormatAge(999), "0s");
  EXPECT_EQ(FormatAge(59'999), "59s");
  EXPECT_EQ(FormatAge(60'000), "1m");
  EXPECT_EQ(FormatAge(3'599'999), "59m");
  EXPECT_EQ(FormatAge(3'600'000), "1h 0m");
  EXPECT_EQ(FormatAge((2 * 60 + 5) * 60'000), "2h 5m");
  EXPECT_EQ(FormatAge(24 * 3'600'000 - 1), "23h 59m");
  EXPECT_EQ(FormatAge((24 + 4) * 3'600'000), "1d 4h");
  EXPECT_EQ(FormatAge(10LL * 24 * 3'600'000), "10d 0h");
}

TEST(FormatAgeTest, NegativeAgesShowAsZero) {
  EXPECT_EQ(FormatAge(-1), "0s");
  EXPECT_EQ(FormatAge(-3'600'000), "0s");
}

TEST(ParseDurationTest, SingleUnits) {
  EXPECT_EQ(ParseDuration("0s"), 0);
  EXPECT_EQ(ParseDuration("90s"), 90'000);
  EXPECT_EQ(ParseDuration("30m"), 30 * 60'000);
  EXPECT_EQ(ParseDuration("2h"), 2 * 3'600'000);
  EXPECT_EQ(ParseDuration("1d"), 86'400'000);
}

TEST(ParseDurationTest, CompoundDurationsAdd) {
  EXPECT_EQ(ParseDuration("1h30m"), 90 * 60'000);
  EXPECT_EQ(ParseDuration("1d2h3m4s"), 86'400'000 + 2 * 3'600'000 + 3 * 60'000 + 4'000);
  EXPECT_EQ(ParseDuration("30m30m"), 60 * 60'000);
}

TEST(ParseDurationTest, RejectsWhatIsNotADuration) {
  for (const std::string text :
       {"", "30", "m", "h1", "30x", "-5m", " 30m", "30m ", "1.5h", "30mm", "30M", "1h 30m",
        "abc", "5ms"}) {
    EXPECT_EQ(ParseDuration(text), -1) << "'" << text << "'";
  }
}

TEST(ParseDurationTest, RejectsHugeNumbers) {
  EXPECT_EQ(ParseDuration("99999999999s"), -1);
  EXPECT_EQ(ParseDuration("1000000000d"), 1'000'000'000LL * 86'400'000);  // the largest part
}

TEST(ParseDurationTest, RejectsASumTooLargeToRepresent) {
  // Each part is allowed, but 200 of them overflow a 64-bit count of milliseconds.
  std::string text;
  for (int i = 0; i < 200; ++i) text += "1000000000d";
  EXPECT_EQ(ParseDuration(text), -1);
}

}  // namespace
}  // namespace muster
