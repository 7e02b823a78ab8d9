#include "xml_schema.h"

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

namespace muster::xmlcheck {
namespace {

// libxml2 2.12 made the error a const pointer.
#if LIBXML_VERSION >= 21200
void Collect(void* sink, const xmlError* error) {
#else
void Collect(void* sink, xmlErrorPtr error) {
#endif
  auto* problems = static_cast<std::vector<std::string>*>(sink);
  std::string message = error->message != nullptr ? error->message : "(no message)";
  while (!message.empty() && message.back() == '\n') message.pop_back();
  problems->push_back("line " + std::to_string(error->line) + ": " + message);
}

xmlDocPtr Parse(const std::string& document, std::vector<std::string>* problems) {
  xmlParserCtxtPtr parser = xmlNewParserCtxt();
  xmlSetStructuredErrorFunc(problems, Collect);
  xmlDocPtr doc = xmlCtxtReadMemory(parser, document.data(), static_cast<int>(document.size()),
                                    "document.xml", nullptr, XML_PARSE_NONET);
  xmlSetStructuredErrorFunc(nullptr, nullptr);
  xmlFreeParserCtxt(parser);
  return doc;
}

void TextsOf(xmlNodePtr node, const std::string& name, std::vector<std::string>* texts) {
  for (; node != nullptr; node = node->next) {
    if (node->type != XML_ELEMENT_NODE) continue;
    if (name == reinterpret_cast<const char*>(node->name)) {
      xmlChar* content = xmlNodeGetContent(node);
      texts->push_back(content != nullptr ? reinterpret_cast<const char*>(content) : "");
      xmlFree(content);
    }
    TextsOf(node->children, name, texts);
  }
}

}  // namespace

std::string SchemaDir() { return MUSTER_SCHEMA_DIR; }

struct XmlSchema::State {
  xmlSchemaPtr schema = nullptr;
  std::vector<std::string> load_problems;
};

XmlSchema::XmlSchema(const std::string& path) : state_(new State) {
  xmlSchemaParserCtxtPtr parser = xmlSchemaNewParserCtxt(path.c_str());
  xmlSchemaSetParserStructuredErrors(parser, Collect, &state_->load_problems);
  state_->schema = xmlSchemaParse(parser);
  xmlSchemaFreeParserCtxt(parser);
  if (state_->schema == nullptr) state_->load_problems.push_back("could not read " + path);
}

bool XmlSchema::loaded() const { return state_->schema != nullptr; }

XmlSchema::~XmlSchema() {
  if (state_->schema != nullptr) xmlSchemaFree(state_->schema);
}

std::vector<std::string> XmlSchema::Problems(const std::string& document) const {
  if (state_->schema == nullptr) return state_->load_problems;
  std::vector<std::string> problems;
  xmlDocPtr doc = Parse(document, &problems);
  if (doc == nullptr) {
    if (problems.empty()) problems.push_back("not well-formed XML");
    return problems;
  }
  xmlSchemaValidCtxtPtr validator = xmlSchemaNewValidCtxt(state_->schema);
  xmlSchemaSetValidStructuredErrors(validator, Collect, &problems);
  const int verdict = xmlSchemaValidateDoc(validator, doc);
  if (verdict != 0 && problems.empty()) problems.push_back("invalid (libxml2 gave no reason)");
  xmlSchemaFreeValidCtxt(validator);
  xmlFreeDoc(doc);
  return problems;
}

std::vector<std::string> XmlTexts(const std::string& document, const std::string& name) {
  std::vector<std::string> problems;
  std::vector<std::string> texts;
  xmlDocPtr doc = Parse(document, &problems);
  if (doc == nullptr) return texts;
  TextsOf(xmlDocGetRootElement(doc), name, &texts);
  xmlFreeDoc(doc);
  return texts;
}

}  // namespace muster::xmlcheck
