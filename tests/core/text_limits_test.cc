// Free-text limits (issue 15): lengths count characters, not bytes; the error names the
// field, its length and the limit; a safety alert's message is cut, never refused.
#include "muster/text_limits.h"

#include <gtest/gtest.h>

namespace muster {
namespace {

TEST(TextLimitsTest, LengthsCountCharactersAndTheErrorNamesTheFieldAndTheLimit) {
  std::string cyrillic;
  for (int i = 0; i < 200; ++i) cyrillic += "Ж";  // 400 bytes, 200 characters
  EXPECT_EQ(limits::Characters(cyrillic), 200u);
  EXPECT_TRUE(limits::CheckLength("the title", cyrillic, limits::kShort).ok());
  Status over = limits::CheckLength("the title", cyrillic + "x", limits::kShort);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(over.message(), "the title is 201 characters long; the limit is 200: shorten it");
  Status value =
      limits::CheckLength("v", std::string(8001, 'a'), limits::kText, ErrorCode::kInvalidValue);
  EXPECT_EQ(value.code(), ErrorCode::kInvalidValue);
  EXPECT_NE(value.message().find("or attach a file"), std::string::npos);
}

TEST(TextLimitsTest, CutKeepsWholeCharactersAndSaysHowLongTheTextWas) {
  EXPECT_EQ(limits::Cut("short", 10), "short");
  std::string long_text;
  for (int i = 0; i < 3000; ++i) long_text += "é";
  const std::string cut = limits::Cut(long_text, limits::kLine);
  EXPECT_EQ(limits::Characters(cut), limits::kLine);
  EXPECT_NE(cut.find(" [cut from 3000 characters]"), std::string::npos)
      << cut.substr(cut.size() - 40);
  EXPECT_EQ(cut.rfind("é", cut.find(" [cut")), cut.find(" [cut") - 2) << "no half character";
}

}  // namespace
}  // namespace muster
