#include "suggest.h"

#include <algorithm>
#include <iterator>

namespace muster::playbook {

int EditDistance(std::string_view a, std::string_view b) {
  // Optimal string alignment: insertions, deletions, substitutions and swaps of two
  // neighbouring characters ("wrok" is one edit from "work").
  std::vector<std::vector<int>> d(a.size() + 1, std::vector<int>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = static_cast<int>(i);
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string Nearest(std::string_view word, const std::vector<std::string>& candidates) {
  // Beyond 64 bytes a word is no typo of an id; this also bounds the work.
  if (word.size() > 64) return "";
  // A word that is the start of exactly one candidate ("dose_rate" for "dose_rate_1m").
  std::string extended;
  int extensions = 0;
  for (const std::string& candidate : candidates) {
    if (word.size() >= 3 && candidate.size() > word.size() && candidate.starts_with(word)) {
      extended = candidate;
      ++extensions;
    }
  }
  if (extensions == 1) return extended;
  std::string best;
  int best_distance = 3;
  for (const std::string& candidate : candidates) {
    if (candidate.size() > 64) continue;
    const int distance = EditDistance(word, candidate);
    if (distance < best_distance && distance * 2 < static_cast<int>(word.size())) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string Quote(std::string_view text) {
  constexpr std::size_t kMax = 60;
  if (text.size() <= kMax) return "'" + std::string(text) + "'";
  std::size_t cut = kMax - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return "'" + std::string(text.substr(0, cut)) + "...'";
}

std::string Named(std::string_view kind, std::string_view id) {
  if (id.empty()) return "a " + std::string(kind);
  return std::string(kind) + " " + Quote(id);
}

std::string JoinList(const std::vector<std::string>& items, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max; ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  if (items.size() > max) out += ", ...";
  return out;
}

std::string SuggestHint(std::string_view word, const std::vector<std::string>& candidates,
                        std::string_view what_list, std::size_t max) {
  std::vector<std::string> named;
  std::copy_if(candidates.begin(), candidates.end(), std::back_inserter(named),
               [](const std::string& candidate) { return !candidate.empty(); });
  const std::string near = Nearest(word, named);
  if (!near.empty()) return "did you mean '" + near + "'?";
  if (named.empty()) return "";
  return std::string(what_list) + ": " + JoinList(named, max);
}

}  // namespace muster::playbook
