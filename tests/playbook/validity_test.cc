// `valid_from` / `valid_until` (muster/playbook/validity.h): read by the loader, checked
// by lint, and the window HQ deploys in.
#include "muster/playbook/validity.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace muster::playbook {
namespace {

using testing::Edit;
using testing::kMinimal;
using testing::Load;

std::string WithWindow(const std::string& window) {
  return Edit(kMinimal, "title: Demo\n", "title: Demo\n" + window);
}

constexpr std::int64_t kDay = 86'400'000;
const std::int64_t kDecember7 = ParseValidityTime("2026-12-07", false).value();

TEST(ValidityTest, DatesAndUtcTimesAreRead) {
  EXPECT_EQ(ParseValidityTime("1970-01-02", false), kDay);
  EXPECT_EQ(ParseValidityTime("1970-01-02", true), 2 * kDay - 1);
  EXPECT_EQ(ParseValidityTime("1970-01-01T01:00:30Z", true), 3'630'000);
  EXPECT_EQ(ParseValidityTime("1970-01-01T01:00Z", false), 3'600'000);
  EXPECT_FALSE(ParseValidityTime("2026-02-30", false));
  EXPECT_FALSE(ParseValidityTime("2026-12-07T25:00:00Z", false));
  EXPECT_FALSE(ParseValidityTime("07.12.2026", false));
  EXPECT_FALSE(ParseValidityTime("2026-12-07T10:00:00+01:00", false)) << "UTC only";
}

TEST(ValidityTest, TheLoaderKeepsTheWindowAsWritten) {
  const LoadResult result =
      Load(WithWindow("valid_from: 2026-12-01\nvalid_until: \"2026-12-31T18:00:00Z\"\n"));
  ASSERT_TRUE(result.ok()) << testing::AllDiagnostics(result);
  EXPECT_EQ(result.playbook->valid_from, "2026-12-01");
  EXPECT_EQ(result.playbook->valid_until, "2026-12-31T18:00:00Z");
}

TEST(ValidityTest, LintRefusesAWindowThatHoldsNoTimeOrAnUnreadableDate) {
  LoadResult result = Load(WithWindow("valid_from: 2026-12-08\nvalid_until: 2026-12-07\n"));
  EXPECT_FALSE(result.ok());
  EXPECT_NE(testing::AllDiagnostics(result).find(
                ":5:14: error: valid_until '2026-12-07' is before valid_from '2026-12-08'"),
            std::string::npos)
      << testing::AllDiagnostics(result);
  result = Load(WithWindow("valid_until: next week\n"));
  EXPECT_FALSE(result.ok());
  EXPECT_NE(testing::AllDiagnostics(result).find("'next week' is not a date or a UTC time"),
            std::string::npos)
      << testing::AllDiagnostics(result);
  // One day is a window: from its first millisecond to its last.
  EXPECT_TRUE(Load(WithWindow("valid_from: 2026-12-07\nvalid_until: 2026-12-07\n")).ok());
}

TEST(ValidityTest, HqDeploysOnlyInsideTheWindow) {
  const LoadResult result = Load(WithWindow("valid_from: 2026-12-07\nvalid_until: 2026-12-08\n"));
  ASSERT_TRUE(result.ok()) << testing::AllDiagnostics(result);
  const Playbook& book = *result.playbook;
  EXPECT_TRUE(CheckValidity(book, kDecember7).ok());
  EXPECT_TRUE(CheckValidity(book, kDecember7 + 2 * kDay - 1).ok()) << "all of the last day";
  Status early = CheckValidity(book, kDecember7 - 1);
  EXPECT_EQ(early.code(), ErrorCode::kInvalidPlaybook);
  EXPECT_NE(early.message().find("valid only from 2026-12-07"), std::string::npos);
  Status late = CheckValidity(book, kDecember7 + 2 * kDay);
  EXPECT_EQ(late.code(), ErrorCode::kInvalidPlaybook);
  EXPECT_NE(late.message().find("expired"), std::string::npos);
  EXPECT_TRUE(CheckValidity(*Load(kMinimal).playbook, 0).ok()) << "no window: always";
}

}  // namespace
}  // namespace muster::playbook
