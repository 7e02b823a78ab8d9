// Personal names as the watchlist check compares them (docs/programme.md, "How names are
// compared"): a name in any of the scripts below is folded to lowercase Latin letters,
// each word is reduced to a spelling key that forgets the usual differences between
// transliteration systems, and two keys are compared with the Jaro–Winkler similarity.
//
// Folding: Latin letters lose their diacritics (é→e, ß→ss, ł→l, ø→o); Cyrillic (Russian,
// Ukrainian, Belarusian, Serbian, Macedonian, Bulgarian) and Greek letters are
// transliterated, close to ICAO Doc 9303 (Greek ου as ou); anything that is not a letter separates words
// (an apostrophe joins: O'Brien is one word). Other scripts are skipped: a watchlist entry
// whose name is in Arabic or Chinese script must carry a Latin transliteration too.
//
// Spelling key of a folded word: a final ff→v, schtsch/chtch/shch/sch→sh, tsch/tch→ch, dzh/dj/zh→j, kh→h, ph→f,
// th→t, ck→k, tz/ts→z, ou→u, q→k, x→ks, w→v, then j and y→i, then a letter repeated is
// written once. So ICAO's Iurii, the English Yuri and the German Juri all become "iuri";
// Petroff, Petrow and Petrov become "petrov"; Tsoi and Zoi "zoi".
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace muster::watchlist {

// The words of |utf8|, folded to lowercase Latin letters. Invalid UTF-8 bytes separate
// words like punctuation does.
std::vector<std::string> FoldedWords(std::string_view utf8);

// The spelling key of one folded word (lowercase a–z only).
std::string SpellingKey(std::string_view folded_word);

// The spelling keys of the words of |utf8|, in order; empty words are dropped.
std::vector<std::string> NameKeys(std::string_view utf8);

// Jaro–Winkler similarity of two strings of bytes, in [0, 1]: 1 for equal strings, 0 when
// nothing matches; the Winkler bonus is 0.1 per letter of a common prefix of up to 4.
double JaroWinkler(std::string_view a, std::string_view b);

}  // namespace muster::watchlist
