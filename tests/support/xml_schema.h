// XML documents checked against a published XML Schema with libxml2's validator, as a
// partner's system would check them (the CAP 1.2 schema: schemas/CAP-v1.2.xsd).
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace muster::xmlcheck {

// The folder of the schemas the tests validate against.
std::string SchemaDir();

class XmlSchema {
 public:
  // Reads the schema at |path|; Problems() names what was wrong with it, if anything.
  explicit XmlSchema(const std::string& path);
  ~XmlSchema();
  bool loaded() const;

  // What the parser and the validator found wrong in |document|, one line each; empty
  // when it is well-formed and valid.
  std::vector<std::string> Problems(const std::string& document) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The text of every element named |name| (in any namespace) in |document|, in document
// order; empty when the document does not parse.
std::vector<std::string> XmlTexts(const std::string& document, const std::string& name);

}  // namespace muster::xmlcheck
