// Field text made safe for a terminal and for Markdown (issue 15): escape sequences, line
// breaks, NUL, C1 controls, bidirectional overrides and broken UTF-8 become visible
// escapes; printable text in any script passes unchanged.
#include "muster/display.h"

#include <gtest/gtest.h>

#include <sstream>

namespace muster {
namespace {

TEST(DisplayTest, EscapeSequencesAndLineBreaksBecomeVisible) {
  const std::string hostile = "\x1b[2J\x1b[32mALL CLEAR - stand down\r\nforged line";
  const std::string shown = ForTerminal(hostile);
  EXPECT_EQ(shown, "\\x1b[2J\\x1b[32mALL CLEAR - stand down\\r\\nforged line");
  EXPECT_EQ(shown.find('\x1b'), std::string::npos);
  EXPECT_EQ(shown.find('\n'), std::string::npos);
  EXPECT_EQ(ForTerminal(std::string("a\0b\tc\x7f", 6)), "a\\x00b\\tc\\x7f");
}

TEST(DisplayTest, BidiOverridesC1ControlsAndBrokenUtf8AreNamed) {
  EXPECT_EQ(ForTerminal("safe \u202Etxt.exe"), "safe <U+202E>txt.exe");
  EXPECT_EQ(ForTerminal("\u2066x\u2069 \u200F \u061C"), "<U+2066>x<U+2069> <U+200F> <U+061C>");
  EXPECT_EQ(ForTerminal("line\u2028sep"), "line<U+2028>sep");
  EXPECT_EQ(ForTerminal("\xc2\x9b"
                        "31m"),
            "<U+009B>31m")
      << "the 8-bit CSI";
  EXPECT_EQ(ForTerminal("bad \xff\xfe end"), "bad \\xff\\xfe end");
  EXPECT_EQ(ForTerminal("\xe2\x82"), "\\xe2\\x82") << "a sequence cut short";
  EXPECT_EQ(ForTerminal("\xc0\xaf"), "\\xc0\\xaf") << "an overlong '/'";
  EXPECT_EQ(ForTerminal("\xed\xa0\x80"), "\\xed\\xa0\\x80") << "a surrogate";
}

TEST(DisplayTest, PrintableTextInAnyScriptPassesUnchanged) {
  for (const std::string text :
       {"Dose rate 2.4 µSv/h", "Ли Вэй", "李伟", "مختبر", "🧪 sample 4", "a \\ b", ""}) {
    EXPECT_EQ(ForTerminal(text), text);
  }
}

TEST(DisplayTest, MarkdownPunctuationIsEscapedAfterTheControls) {
  EXPECT_EQ(ForMarkdown("# ALL CLEAR"), "\\# ALL CLEAR");
  EXPECT_EQ(ForMarkdown("a | b"), "a \\| b") << "a table cell stays one cell";
  EXPECT_EQ(ForMarkdown("[x](http://evil)"), "\\[x\\](http://evil)");
  EXPECT_EQ(ForMarkdown("<img src=x onerror=y>"), "\\<img src=x onerror=y\\>");
  EXPECT_EQ(ForMarkdown("**bold** _it_ `code` ~~s~~ &amp;"),
            "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~ \\&amp;");
  EXPECT_EQ(ForMarkdown("a\nb\x1b"), "a\\\\nb\\\\x1b") << "the escapes' backslashes too";
  EXPECT_EQ(ForMarkdown("2.4 mSv/h (max)"), "2.4 mSv/h (max)");
}

TEST(DisplayTest, TheStreamBufferKeepsLayoutAndNeutralisesTheRest) {
  std::ostringstream sink;
  {
    TerminalSafeBuffer safe(sink.rdbuf());
    std::ostream out(&safe);
    out << "TASK\tSTATE\n"
        << "t1\t\x1b]0;owned\x07ready\n";
    // A bidi override split across two writes is still recognised.
    out << "x\xe2\x80";
    out << "\xae"
           "y\n";
    out << "no newline at the end \x1b";
  }
  EXPECT_EQ(sink.str(),
            "TASK\tSTATE\nt1\t\\x1b]0;owned\\x07ready\nx<U+202E>y\nno newline at the end \\x1b");
}

}  // namespace
}  // namespace muster
