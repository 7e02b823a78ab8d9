#include "muster/display.h"

#include <cstdio>

namespace muster {
namespace {

bool Hidden(char32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0xFFFE || cp == 0xFFFF;
}

// The length of the UTF-8 sequence at |text|[i] with its code point in |cp|: 0 when the
// bytes there are not UTF-8, -1 when |text| ends inside a sequence that may be valid.
int DecodeAt(std::string_view text, std::size_t i, char32_t& cp) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  int length = 0;
  if (lead < 0x80) {
    cp = lead;
    return 1;
  }
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    cp = lead & 0x07;
  } else {
    return 0;
  }
  for (int k = 1; k < length; ++k) {
    if (i + static_cast<std::size_t>(k) >= text.size()) return -1;
    const unsigned char next = byte(i + static_cast<std::size_t>(k));
    if ((next & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (next & 0x3F);
  }
  const bool overlong = (length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return length;
}

void AppendEscape(std::string& out, const char* format, unsigned value) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, format, value);
  out += buffer;
}

// Neutralises |text| into |out|; newlines and tabs stay when |keep_layout|. Returns how
// much of |text| was taken: all of it, unless |partial_tail| and it ends inside a UTF-8
// sequence.
std::size_t Neutralise(std::string_view text, bool keep_layout, bool partial_tail,
                       std::string& out) {
  std::size_t i = 0;
  while (i < text.size()) {
    char32_t cp = 0;
    const int length = DecodeAt(text, i, cp);
    if (length < 0 && partial_tail) return i;
    if (length <= 0) {
      AppendEscape(out, "\\x%02x", static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    if (cp < 0x20 || cp == 0x7F) {
      if (keep_layout && (cp == '\n' || cp == '\t'))
        out += static_cast<char>(cp);
      else if (cp == '\n')
        out += "\\n";
      else if (cp == '\t')
        out += "\\t";
      else if (cp == '\r')
        out += "\\r";
      else
        AppendEscape(out, "\\x%02x", static_cast<unsigned>(cp));
    } else if (Hidden(cp)) {
      AppendEscape(out, "<U+%04X>", static_cast<unsigned>(cp));
    } else {
      out.append(text.substr(i, static_cast<std::size_t>(length)));
    }
    i += static_cast<std::size_t>(length);
  }
  return i;
}

}  // namespace

std::string ForTerminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  Neutralise(text, false, false, out);
  return out;
}

std::string ForXml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  Neutralise(text, true, false, out);
  return out;
}

std::string ForMarkdown(std::string_view text) {
  static constexpr std::string_view kPunctuation = "\\`*_[]<>|#~!&";
  std::string out;
  for (char c : ForTerminal(text)) {
    if (kPunctuation.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

TerminalSafeBuffer::~TerminalSafeBuffer() { Flush(true); }

TerminalSafeBuffer::int_type TerminalSafeBuffer::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  const char ch = traits_type::to_char_type(c);
  xsputn(&ch, 1);
  return c;
}

std::streamsize TerminalSafeBuffer::xsputn(const char* s, std::streamsize n) {
  held_.append(s, static_cast<std::size_t>(n));
  if (held_.find('\n') != std::string::npos || held_.size() > 4096) Flush(false);
  return n;
}

int TerminalSafeBuffer::sync() {
  Flush(false);
  return target_->pubsync();
}

void TerminalSafeBuffer::Flush(bool all) {
  if (held_.empty()) return;
  std::string out;
  const std::size_t taken = Neutralise(held_, true, !all, out);
  held_.erase(0, taken);
  target_->sputn(out.data(), static_cast<std::streamsize>(out.size()));
}

}  // namespace muster
