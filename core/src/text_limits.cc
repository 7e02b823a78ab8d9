#include "muster/text_limits.h"

#include <string>

namespace muster::limits {

std::size_t Characters(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

Status CheckLength(std::string_view field, std::string_view text, std::size_t limit,
                   ErrorCode code) {
  if (text.size() <= limit) return Status::Ok();  // never more characters than bytes
  const std::size_t length = Characters(text);
  if (length <= limit) return Status::Ok();
  return Status::Error(code, std::string(field) + " is " + std::to_string(length) +
                                 " characters long; the limit is " + std::to_string(limit) +
                                 ": shorten it" + (limit >= kText ? " or attach a file" : ""));
}

std::string Cut(std::string_view text, std::size_t limit) {
  const std::size_t length = Characters(text);
  if (length <= limit) return std::string(text);
  const std::string mark = " [cut from " + std::to_string(length) + " characters]";
  const std::size_t keep = limit > mark.size() ? limit - mark.size() : 0;
  std::size_t end = 0;
  for (std::size_t count = 0; end < text.size(); ++end) {
    if ((static_cast<unsigned char>(text[end]) & 0xC0) != 0x80 && count++ == keep) break;
  }
  return std::string(text.substr(0, end)) + mark;
}

}  // namespace muster::limits
