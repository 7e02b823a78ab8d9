#include "muster/xml_writer.h"

#include <libxml/parser.h>
#include <libxml/xmlwriter.h>

#include "muster/display.h"

namespace muster {
namespace {

const xmlChar* X(const std::string& text) { return reinterpret_cast<const xmlChar*>(text.c_str()); }

}  // namespace

struct XmlWriter::State {
  xmlBufferPtr buffer = nullptr;
  xmlTextWriterPtr writer = nullptr;
  bool failed = false;

  // libxml2 answers -1 when it could not write (memory): the first failure sticks.
  void Check(int written) { failed = failed || written < 0; }
};

XmlWriter::XmlWriter(std::string_view root, std::string_view ns) : state_(new State) {
  // libxml2 asks threaded programs to initialise it once before any use.
  static const bool initialised = (xmlInitParser(), true);
  (void)initialised;
  state_->buffer = xmlBufferCreate();
  if (state_->buffer != nullptr) state_->writer = xmlNewTextWriterMemory(state_->buffer, 0);
  if (state_->writer == nullptr) {
    state_->failed = true;
    return;
  }
  state_->Check(xmlTextWriterSetIndent(state_->writer, 1));
  state_->Check(xmlTextWriterSetIndentString(state_->writer, X("  ")));
  state_->Check(xmlTextWriterStartDocument(state_->writer, nullptr, "UTF-8", nullptr));
  Open(root);
  if (!state_->failed) {
    state_->Check(xmlTextWriterWriteAttribute(state_->writer, X("xmlns"), X(std::string(ns))));
  }
}

XmlWriter::~XmlWriter() {
  if (state_->writer != nullptr) xmlFreeTextWriter(state_->writer);
  if (state_->buffer != nullptr) xmlBufferFree(state_->buffer);
}

void XmlWriter::Open(std::string_view name) {
  if (state_->failed) return;
  state_->Check(xmlTextWriterStartElement(state_->writer, X(std::string(name))));
}

void XmlWriter::Close() {
  if (state_->failed) return;
  state_->Check(xmlTextWriterEndElement(state_->writer));
}

void XmlWriter::Leaf(std::string_view name, std::string_view text) {
  if (state_->failed) return;
  state_->Check(xmlTextWriterWriteElement(state_->writer, X(std::string(name)), X(ForXml(text))));
}

Result<std::string> XmlWriter::Finish() {
  if (!state_->failed) state_->Check(xmlTextWriterEndDocument(state_->writer));
  if (!state_->failed) state_->Check(xmlTextWriterFlush(state_->writer));
  if (state_->failed) {
    return Status::Error(ErrorCode::kInternal, "could not write the XML document (out of memory)");
  }
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(state_->buffer)),
                     static_cast<std::size_t>(xmlBufferLength(state_->buffer)));
}

}  // namespace muster
