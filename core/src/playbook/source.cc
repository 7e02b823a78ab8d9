#include "source.h"

namespace muster::playbook {

SplitSource Split(std::string_view text) {
  SplitSource split;
  std::size_t start = 0;  // start of the current line
  int line = 1;
  std::size_t document_start = 0;
  EmbeddedLibrary* current = nullptr;
  const auto close = [&](std::size_t end) {
    const std::string_view document = text.substr(document_start, end - document_start);
    if (current == nullptr) {
      split.playbook = document;
    } else {
      current->text = document;
    }
  };
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    const std::size_t next = end == std::string_view::npos ? text.size() : end + 1;
    const std::string_view content = text.substr(start, next - start);
    if (content.substr(0, kLibraryMarker.size()) == kLibraryMarker) {
      close(start);
      std::string_view path = content.substr(kLibraryMarker.size());
      while (!path.empty() && (path.back() == '\n' || path.back() == '\r' || path.back() == ' ')) {
        path.remove_suffix(1);
      }
      split.libraries.push_back({std::string(path), {}, line});
      current = &split.libraries.back();
      document_start = next;
    }
    start = next;
    ++line;
  }
  close(text.size());
  return split;
}

void AppendDocument(std::string& out, std::string_view text) {
  out.append(text);
  if (!text.empty() && text.back() != '\n') out.push_back('\n');
}

}  // namespace muster::playbook
