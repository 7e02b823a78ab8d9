#include "muster/watchlist/matcher.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <cstdio>

#include "muster/watchlist/names.h"

namespace muster::watchlist {
namespace {

struct Date {
  int year = 0, month = 0, day = 0;  // 0: not given
};

bool ParseNumber(std::string_view text, int& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

std::optional<Date> ParseDate(const std::string& text) {
  Date date;
  if (text.size() != 4 && text.size() != 7 && text.size() != 10) return std::nullopt;
  if (!ParseNumber(std::string_view(text).substr(0, 4), date.year)) return std::nullopt;
  if (text.size() >= 7 && (text[4] != '-' || !ParseNumber(std::string_view(text).substr(5, 2), date.month))) {
    return std::nullopt;
  }
  if (text.size() == 10 && (text[7] != '-' || !ParseNumber(std::string_view(text).substr(8, 2), date.day))) {
    return std::nullopt;
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (date.year < 1850 || date.year > 2200) return std::nullopt;
  if (text.size() >= 7 && (date.month < 1 || date.month > 12)) return std::nullopt;
  if (text.size() == 10) {
    const bool leap = (date.year % 4 == 0 && date.year % 100 != 0) || date.year % 400 == 0;
    const int days = date.month == 2 && !leap ? 28 : kDays[date.month - 1];
    if (date.day < 1 || date.day > days) return std::nullopt;
  }
  return date;
}

// What the dates of birth add to the name score, and a sentence; 0 and "" when either
// is unknown.
std::pair<double, std::string> CompareBirth(const std::string& given, const std::string& listed) {
  const std::optional<Date> a = ParseDate(given);
  const std::optional<Date> b = ParseDate(listed);
  if (!a || !b) return {0.0, ""};
  if (a->year == b->year) {
    if (a->day && b->day && a->month == b->month && a->day == b->day) {
      return {0.05, "date of birth " + listed + " matches"};
    }
    if (a->day && b->day && a->month == b->day && a->day == b->month) {
      return {0.0, "date of birth " + given + " is " + listed + " with day and month swapped"};
    }
    return {0.0, "year of birth " + std::to_string(b->year) + " matches"};
  }
  if (std::abs(a->year - b->year) == 1) {
    return {-0.05, "date of birth " + given + " is a year from " + listed};
  }
  return {-0.15, "date of birth " + given + " differs from " + listed};
}

// Jaro–Winkler, less 6 % for each letter of length difference beyond two: the Winkler
// prefix bonus would otherwise make Petrov and Petrovsky, or Sergei and Sergeevich, near
// equal. A letter dropped or doubled by a typo costs nothing here.
double WordSimilarity(const std::string& a, const std::string& b) {
  const std::size_t longer = std::max(a.size(), b.size());
  const std::size_t difference = longer - std::min(a.size(), b.size());
  const double similarity = JaroWinkler(a, b);
  return difference <= 2 ? similarity : similarity * std::max(0.0, 1.0 - 0.06 * (difference - 2));
}

// Words paired greedily, best similarity first; see the header.
double AlignedScore(const std::vector<std::string>& person, const std::vector<std::string>& listed) {
  if (person.empty() || listed.empty()) return 0.0;
  struct Pair {
    double similarity;
    std::size_t i, j;
  };
  std::vector<Pair> pairs;
  pairs.reserve(person.size() * listed.size());
  for (std::size_t i = 0; i < person.size(); ++i) {
    for (std::size_t j = 0; j < listed.size(); ++j) {
      pairs.push_back({WordSimilarity(person[i], listed[j]), i, j});
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) {
    return x.similarity != y.similarity ? x.similarity > y.similarity
                                        : (x.i != y.i ? x.i < y.i : x.j < y.j);
  });
  std::vector<bool> person_used(person.size()), listed_used(listed.size());
  double weighted = 0, weights = 0;
  std::size_t paired = 0;
  for (const Pair& pair : pairs) {
    if (person_used[pair.i] || listed_used[pair.j]) continue;
    person_used[pair.i] = listed_used[pair.j] = true;
    const double weight = static_cast<double>(std::max(person[pair.i].size(), listed[pair.j].size()));
    weighted += pair.similarity * weight;
    weights += weight;
    ++paired;
  }
  double score = weighted / weights;
  const std::size_t listed_left = std::min<std::size_t>(listed.size() - paired, 2);
  const std::size_t person_left = person.size() - paired;
  for (std::size_t k = 0; k < listed_left; ++k) score *= 0.97;
  for (std::size_t k = 0; k < person_left; ++k) score *= 0.85;
  if (paired == 1 && (person.size() >= 2 || listed.size() >= 2)) score *= 0.8;
  return score;
}

std::string Joined(const std::vector<std::string>& keys) {
  std::string joined;
  for (const std::string& key : keys) joined += key;
  return joined;
}

std::string Score(double score) {
  char text[16];
  std::snprintf(text, sizeof text, "%.2f", score);
  return text;
}

}  // namespace

std::string DateOfBirthProblem(const std::string& date) {
  if (date.empty() || ParseDate(date)) return "";
  return "'" + date + "' is not a date of birth: write YYYY-MM-DD, YYYY-MM or YYYY";
}

std::string NormaliseDocument(const std::string& number) {
  std::string out;
  for (char c : number) {
    if (c >= 'a' && c <= 'z') out += static_cast<char>(c - 'a' + 'A');
    else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) out += c;
  }
  return out;
}

Result<Person> Person::Parse(const std::string& text) {
  std::vector<std::string> parts(1);
  for (char c : text) {
    if (c == '|') {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  const auto trim = [](std::string s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string::npos) return std::string();
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
  };
  if (parts.size() > 4) {
    return Status::Error(ErrorCode::kInvalidValue,
                         "a person is NAME|DATE OF BIRTH|DOCUMENT|NATIONALITY: '" + text +
                             "' has " + std::to_string(parts.size()) + " parts");
  }
  parts.resize(4);
  Person person{trim(parts[0]), trim(parts[1]), trim(parts[2]), trim(parts[3])};
  if (person.name.size() > kMaxNameBytes) {
    return Status::Error(ErrorCode::kInvalidValue,
                         "a person's name is at most " + std::to_string(kMaxNameBytes) +
                             " bytes; this one has " + std::to_string(person.name.size()));
  }
  if (NameKeys(person.name).empty()) {
    return Status::Error(ErrorCode::kInvalidValue,
                         "a person needs a name in letters first: NAME|DATE OF BIRTH|DOCUMENT|"
                         "NATIONALITY");
  }
  if (const std::string problem = DateOfBirthProblem(person.date_of_birth); !problem.empty()) {
    return Status::Error(ErrorCode::kInvalidValue, problem);
  }
  return person;
}

Matcher::Matcher(std::vector<Entry> entries) : entries_(std::move(entries)) {
  prepared_.reserve(entries_.size());
  for (const Entry& entry : entries_) {
    Prepared prepared;
    for (const std::string& name : entry.names) {
      std::vector<std::string> keys = NameKeys(name);
      prepared.joined.push_back(Joined(keys));
      prepared.names.push_back(std::move(keys));
    }
    for (const std::string& document : entry.documents) {
      std::string normal = NormaliseDocument(document);
      if (!normal.empty()) prepared.documents.push_back(std::move(normal));
    }
    prepared_.push_back(std::move(prepared));
  }
}

std::vector<Match> Matcher::Check(const Person& person, std::size_t limit) const {
  const std::vector<std::string> keys = NameKeys(person.name);
  const std::string joined = Joined(keys);
  const std::string document = NormaliseDocument(person.document);
  std::vector<Match> matches;
  for (std::size_t index = 0; index < entries_.size(); ++index) {
    const Prepared& prepared = prepared_[index];
    const Entry& entry = entries_[index];
    double best = 0;
    std::size_t best_name = 0;
    for (std::size_t n = 0; n < prepared.names.size(); ++n) {
      double score = AlignedScore(keys, prepared.names[n]);
      if (keys.size() + prepared.names[n].size() > 2) {
        score = std::max(score, JaroWinkler(joined, prepared.joined[n]) - 0.02);
      }
      if (score > best) {
        best = score;
        best_name = n;
      }
    }
    const bool document_hit =
        !document.empty() &&
        std::find(prepared.documents.begin(), prepared.documents.end(), document) !=
            prepared.documents.end();
    // Cheap skip: no date of birth lifts a name below this into review.
    if (!document_hit && best + 0.05 < kReviewScore) continue;
    const auto [birth_bonus, birth_text] = CompareBirth(person.date_of_birth, entry.date_of_birth);
    const double score = document_hit ? 1.0 : std::clamp(best + birth_bonus, 0.0, 1.0);
    if (!document_hit && score < kReviewScore) continue;
    Match match;
    match.entry = index;
    match.score = score;
    match.document = document_hit;
    match.hit = document_hit || score >= kHitScore;
    match.matched_name = entry.names.empty() ? "" : entry.names[best_name];
    std::string why = "name '" + person.name + "' against '" + match.matched_name +
                      "' scores " + Score(best);
    if (!birth_text.empty()) why += "; " + birth_text;
    if (document_hit) why += "; document " + document + " is listed for this notice";
    why += "; overall " + Score(score) + (match.hit ? " (hit)" : " (review)");
    match.explanation = std::move(why);
    matches.push_back(std::move(match));
  }
  std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    return a.score != b.score ? a.score > b.score : a.entry < b.entry;
  });
  if (matches.size() > limit) matches.resize(limit);
  return matches;
}

}  // namespace muster::watchlist
