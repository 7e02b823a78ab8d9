// Text from the field or from an operator, made safe to show. A note, an alert message or
// an incident title may hold escape sequences (clear the screen, recolour, retitle the
// terminal), a newline that forges a line of a table, a NUL, or a right-to-left override
// that reverses what follows. Each is shown as a visible escape instead:
//   control characters (C0, DEL)         \x1b  \n  \t  \x00  \x7f
//   C1 controls, bidirectional           <U+009B>  <U+202E>
//   formatting, U+2028 and U+2029,
//   the non-characters U+FFFE and U+FFFF
//   bytes that are not UTF-8             \xff
// Printable text, including any script, passes unchanged. Backslashes are not doubled:
// the result is for people to read, not to be parsed back.
#pragma once

#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

namespace muster {

// One field's text for a terminal: nothing in it acts on the terminal or starts a line.
std::string ForTerminal(std::string_view text);

// One field's text for an XML document (muster/xml_writer.h): as ForTerminal, but
// newlines and tabs stay. What is left is text XML 1.0 can carry; markup is the writer's
// to escape.
std::string ForXml(std::string_view text);

// One field's text for a Markdown document (the SITREP): as ForTerminal, and Markdown's
// punctuation escaped so that it cannot make headings, emphasis, links, HTML or table
// cells.
std::string ForMarkdown(std::string_view text);

// A stream buffer that passes output to |target| with the same neutralisation except for
// newlines and tabs, which structure the output: installed on std::cout and std::cerr
// for people-readable output, it keeps any text that missed ForTerminal from acting on
// the terminal. Complete lines are passed on; sync() passes what is held.
class TerminalSafeBuffer : public std::streambuf {
 public:
  explicit TerminalSafeBuffer(std::streambuf* target) : target_(target) {}
  ~TerminalSafeBuffer() override;

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  // Passes the complete characters held on (an incomplete UTF-8 sequence at the end
  // waits for its next bytes unless |all|).
  void Flush(bool all);

  std::streambuf* target_;
  std::string held_;
};

// Puts a TerminalSafeBuffer in front of |stream| for as long as it lives (a program's
// main: std::cout unless the output is JSON, std::cerr always), then flushes it and puts
// the stream's own buffer back.
class TerminalSafeOutput {
 public:
  explicit TerminalSafeOutput(std::ostream& stream)
      : stream_(stream), safe_(stream.rdbuf()), original_(stream.rdbuf(&safe_)) {}
  ~TerminalSafeOutput() {
    stream_.flush();
    stream_.rdbuf(original_);
  }
  TerminalSafeOutput(const TerminalSafeOutput&) = delete;
  TerminalSafeOutput& operator=(const TerminalSafeOutput&) = delete;

 private:
  std::ostream& stream_;
  TerminalSafeBuffer safe_;
  std::streambuf* original_;
};

}  // namespace muster
