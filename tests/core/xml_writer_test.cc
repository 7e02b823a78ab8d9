// One XML document through libxml2's writer (muster/xml_writer.h): markup in text is
// escaped, and what XML 1.0 cannot carry arrives as a visible escape, so the document
// parses whatever the field typed.
#include "muster/xml_writer.h"

#include <gtest/gtest.h>

#include "xml_schema.h"

namespace muster {
namespace {

TEST(XmlWriterTest, NestedElementsInTheDefaultNamespace) {
  XmlWriter xml("report", "urn:example:report");
  xml.Leaf("title", "Portal alarm");
  xml.Open("place");
  xml.Leaf("name", "Sadakhlo");
  xml.Close();
  auto document = xml.Finish();
  ASSERT_TRUE(document.ok());
  EXPECT_EQ(document->rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0), 0u) << *document;
  EXPECT_NE(document->find("<report xmlns=\"urn:example:report\">"), std::string::npos);
  EXPECT_NE(document->find("  <place>\n    <name>Sadakhlo</name>\n  </place>"), std::string::npos)
      << *document;
  EXPECT_EQ(xmlcheck::XmlTexts(*document, "name"), std::vector<std::string>{"Sadakhlo"});
}

TEST(XmlWriterTest, HostileTextParsesBackAsVisibleText) {
  const std::string hostile = std::string("a</title><evil/>&amp; \x1b[31m \x07 \xc3 ") +
                              "\xef\xbf\xbe" + std::string(1, '\0') + " line\nnext\ttab Ωμέγα";
  XmlWriter xml("report", "urn:example:report");
  xml.Leaf("title", hostile);
  auto document = xml.Finish();
  ASSERT_TRUE(document.ok());
  const auto titles = xmlcheck::XmlTexts(*document, "title");
  ASSERT_EQ(titles.size(), 1u) << *document;
  EXPECT_EQ(titles[0],
            "a</title><evil/>&amp; \\x1b[31m \\x07 \\xc3 <U+FFFE>\\x00 line\nnext\ttab "
            "Ωμέγα");
  EXPECT_TRUE(xmlcheck::XmlTexts(*document, "evil").empty());
}

}  // namespace
}  // namespace muster
