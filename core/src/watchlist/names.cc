#include "muster/watchlist/names.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace muster::watchlist {
namespace {

// U+00C0 to U+017F: each Latin letter without its diacritics (× and ÷ are no letters).
constexpr std::array<const char*, 0x180 - 0xC0> kLatin = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
    "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
    "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
    "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    "s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
    "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s"};

// Russian and Ukrainian/Belarusian letters, lowercase а (U+0430) to я (U+044F).
constexpr std::array<const char*, 32> kCyrillic = {
    "a", "b", "v", "g", "d",  "e",  "zh",   "z", "i", "i", "k", "l", "m",  "n",  "o",  "p",
    "r", "s", "t", "u", "f",  "kh", "ts",   "ch", "sh", "shch", "", "y", "", "e", "iu", "ia"};

// ѐ (U+0450) to џ (U+045F): Ukrainian, Belarusian, Serbian, Macedonian letters.
constexpr std::array<const char*, 16> kCyrillicExtra = {
    "e", "e", "dj", "g", "ie", "dz", "i", "i", "j", "lj", "nj", "c", "k", "i", "u", "dz"};

// Greek lowercase α (U+03B1) to ω (U+03C9); ς is U+03C2.
constexpr std::array<const char*, 25> kGreek = {
    "a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n",
    "x", "o", "p", "r", "s", "s", "t", "y", "f", "ch", "ps", "o"};

// The next code point of |text| from |at| (advanced past it); nullopt for a byte that
// starts no valid sequence (|at| moves one byte on).
std::optional<char32_t> NextCodePoint(std::string_view text, std::size_t& at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  int length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || at + length > text.size()) {
    ++at;
    return std::nullopt;
  }
  char32_t code = length == 1 ? lead : lead & (0x7F >> length);
  for (int i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) {
      ++at;
      return std::nullopt;
    }
    code = (code << 6) | (byte(at + i) & 0x3F);
  }
  at += length;
  return code;
}

// The Latin letters |code| folds to; nullptr when it is no letter Muster reads (a word
// break); "" for a letter that is written as nothing (the hard and soft signs).
const char* Fold(char32_t code) {
  static thread_local char ascii[2] = {0, 0};
  if ((code >= 'a' && code <= 'z') || (code >= 'A' && code <= 'Z')) {
    ascii[0] = static_cast<char>(code | 0x20);
    return ascii;
  }
  if (code >= 0xC0 && code < 0x180) return *kLatin[code - 0xC0] ? kLatin[code - 0xC0] : nullptr;
  if (code == 0x0218 || code == 0x0219) return "s";  // Ș ș (Romanian)
  if (code == 0x021A || code == 0x021B) return "t";  // Ț ț
  if (code == 0x0259 || code == 0x018F) return "e";  // ə Ə (Azerbaijani)
  if (code >= 0x0410 && code <= 0x042F) return kCyrillic[code - 0x0410];
  if (code >= 0x0430 && code <= 0x044F) return kCyrillic[code - 0x0430];
  if (code >= 0x0400 && code <= 0x040F) return kCyrillicExtra[code - 0x0400];
  if (code >= 0x0450 && code <= 0x045F) return kCyrillicExtra[code - 0x0450];
  if (code == 0x0490 || code == 0x0491) return "g";  // Ґ ґ
  if (code >= 0x0391 && code <= 0x03A9 && code != 0x03A2) return kGreek[code - 0x0391];
  if (code >= 0x03B1 && code <= 0x03C9) return kGreek[code - 0x03B1];
  switch (code) {  // Greek with tonos or dialytika
    case 0x0386: case 0x03AC: return "a";
    case 0x0388: case 0x03AD: return "e";
    case 0x0389: case 0x03AE: case 0x038A: case 0x03AF: case 0x0390: case 0x03CA:
    case 0x03AA: return "i";
    case 0x038C: case 0x03CC: case 0x038F: case 0x03CE: return "o";
    case 0x038E: case 0x03CD: case 0x03B0: case 0x03CB: case 0x03AB: return "y";
    default: return nullptr;
  }
}

// Apostrophes join the letters around them (O'Brien); combining marks (a name typed or
// pasted decomposed, as macOS does: u + U+0308) are dropped inside the word.
bool JoinsWords(char32_t code) {
  return code == '\'' || code == 0x2019 || code == 0x02BC || code == 0x02B9 ||  // ' ’ ʼ ʹ
         (code >= 0x0300 && code <= 0x036F);
}

struct Rewrite {
  std::string_view from;
  std::string_view to;
};

// Longest first where one rule's text starts another's.
constexpr Rewrite kRewrites[] = {
    {"schtsch", "sh"}, {"chtch", "sh"}, {"shch", "sh"}, {"tsch", "ch"}, {"sch", "sh"}, {"tch", "ch"}, {"dzh", "j"}, {"dj", "j"},
    {"zh", "j"},    {"kh", "h"},    {"ph", "f"},   {"th", "t"},   {"ck", "k"},  {"tz", "z"},
    {"ts", "z"},    {"ou", "u"},    {"q", "k"},    {"x", "ks"},   {"w", "v"},
};

}  // namespace

std::vector<std::string> FoldedWords(std::string_view utf8) {
  std::vector<std::string> words(1);
  char32_t previous = 0;
  for (std::size_t at = 0; at < utf8.size();) {
    const std::optional<char32_t> code = NextCodePoint(utf8, at);
    const char* letters = code ? Fold(*code) : nullptr;
    // Greek ου is one sound, written ou: υ after ο is u.
    const bool upsilon = code && (*code == 0x03C5 || *code == 0x03CD || *code == 0x03A5 || *code == 0x038E);
    if (upsilon && (previous == 0x03BF || previous == 0x039F || previous == 0x03CC || previous == 0x038C)) {
      letters = "u";
    }
    previous = code ? *code : 0;
    if (letters != nullptr) {
      words.back() += letters;
    } else if (!(code && JoinsWords(*code)) && !words.back().empty()) {
      words.emplace_back();
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

std::string SpellingKey(std::string_view word) {
  // Petroff, Smirnoff: a final ff is the older French and English spelling of ov, ev.
  std::string final_v;
  if (word.size() > 3 && word.substr(word.size() - 2) == "ff") {
    final_v = std::string(word.substr(0, word.size() - 2)) + "v";
    word = final_v;
  }
  std::string rewritten;
  for (std::size_t at = 0; at < word.size();) {
    bool matched = false;
    for (const Rewrite& rule : kRewrites) {
      if (word.substr(at, rule.from.size()) == rule.from) {
        rewritten += rule.to;
        at += rule.from.size();
        matched = true;
        break;
      }
    }
    if (!matched) rewritten += word[at++];
  }
  std::string key;
  for (char letter : rewritten) {
    if (letter == 'j' || letter == 'y') letter = 'i';
    if (key.empty() || key.back() != letter) key += letter;
  }
  return key;
}

std::vector<std::string> NameKeys(std::string_view utf8) {
  std::vector<std::string> keys;
  for (const std::string& word : FoldedWords(utf8)) {
    std::string key = SpellingKey(word);
    if (!key.empty()) keys.push_back(std::move(key));
  }
  return keys;
}

double JaroWinkler(std::string_view a, std::string_view b) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  if (a == b) return 1.0;
  const std::size_t window = std::max<std::size_t>(std::max(a.size(), b.size()) / 2, 1) - 1;
  std::vector<bool> a_matched(a.size()), b_matched(b.size());
  std::size_t matches = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::size_t from = i > window ? i - window : 0;
    const std::size_t to = std::min(i + window + 1, b.size());
    for (std::size_t j = from; j < to; ++j) {
      if (b_matched[j] || a[i] != b[j]) continue;
      a_matched[i] = b_matched[j] = true;
      ++matches;
      break;
    }
  }
  if (matches == 0) return 0.0;
  std::size_t transpositions = 0;
  for (std::size_t i = 0, j = 0; i < a.size(); ++i) {
    if (!a_matched[i]) continue;
    while (!b_matched[j]) ++j;
    if (a[i] != b[j]) ++transpositions;
    ++j;
  }
  const double m = static_cast<double>(matches);
  const double jaro = (m / a.size() + m / b.size() + (m - transpositions / 2.0) / m) / 3.0;
  std::size_t prefix = 0;
  while (prefix < 4 && prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  return jaro + prefix * 0.1 * (1.0 - jaro);
}

}  // namespace muster::watchlist
