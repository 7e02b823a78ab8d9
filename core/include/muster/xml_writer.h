// One XML document written element by element through libxml2's text writer, which
// escapes markup (<, &, quotes) in text and attributes. Text is passed through ForXml
// first (muster/display.h), so hostile field text still makes a well-formed document:
// characters XML 1.0 cannot carry (escape codes, NUL, bytes that are not UTF-8) and
// those that hide or reorder text (bidirectional overrides) arrive as visible escapes.
// Used by the partner exports in XML (views/cap_alert.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "muster/result.h"

namespace muster {

class XmlWriter {
 public:
  // A document whose root element is |root|, in the default namespace |ns|.
  XmlWriter(std::string_view root, std::string_view ns);
  ~XmlWriter();
  XmlWriter(const XmlWriter&) = delete;
  XmlWriter& operator=(const XmlWriter&) = delete;

  // Opens a child element of the innermost open one.
  void Open(std::string_view name);
  // Closes the innermost open element.
  void Close();
  // <name>text</name> inside the innermost open element.
  void Leaf(std::string_view name, std::string_view text);
  // Closes what is open and returns the document, UTF-8 with an XML declaration;
  // internal when libxml2 failed on the way (out of memory). Call once.
  Result<std::string> Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace muster
