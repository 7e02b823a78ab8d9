// The persons-of-interest check (docs/programme.md): a person a member met (a name, and
// when known a date of birth and a document number) against the watchlist entries the
// deployment carries, offline, on the laptop. Each entry that scores at or above
// kReviewScore comes back with its score and a sentence saying why; kHitScore or more, or
// an exact document number, is a hit.
//
// Score (0..1) of one entry:
// - names: the best over the entry's names (original script and transliterations) of
//   the person's name against it: the words' spelling keys (names.h) are paired greedily,
//   best Jaro–Winkler first (less 6 % per letter of length difference beyond two), each
//   word used once; the pairs' mean weighted by word
//   length, times 0.97 for each of the entry's words left unpaired (a patronymic the
//   member did not write; at most two count) and 0.85 for each of the person's words left
//   unpaired; one paired word where either side has two or more counts 0.8 times. The
//   words run together, compared as one (Abdulrahman against Abdul Rahman), count if
//   higher.
// - date of birth, when both sides give one: the same day adds 0.05; the same year with
//   day and month swapped or the same year only adds nothing; one year apart takes 0.05
//   away; further apart 0.15.
// - a document number equal to one of the entry's, compared on letters and digits only,
//   case-blind: a hit whatever the names say (score 1).
//
// Thread-safety: a Matcher is immutable once built; Check may run on several threads.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "muster/result.h"

namespace muster::watchlist {

inline constexpr double kHitScore = 0.90;
inline constexpr double kReviewScore = 0.85;
// Longer names are refused: the check pairs every word with every word.
inline constexpr std::size_t kMaxNameBytes = 200;

// One person of interest, as a notice describes them.
struct Entry {
  std::string notice_id;                   // e.g. "G-2026-0412"; unique in the list
  std::string notice_type;                 // green, red, yellow, blue, diffusion, ...
  std::vector<std::string> names;          // as written: original script, transliterations
  std::string date_of_birth;               // YYYY-MM-DD, YYYY-MM or YYYY; empty: unknown
  std::vector<std::string> nationalities;  // ISO 3166-1 alpha-2 or alpha-3 codes
  std::vector<std::string> documents;      // passport and identity card numbers
  std::vector<std::string> regions;        // ISO 3166-1 codes of where it is relevant
};

// What a member recorded of a person.
struct Person {
  std::string name;
  std::string date_of_birth;  // as for Entry; empty: not known
  std::string document;       // empty: none seen
  std::string nationality;    // empty: not known
  // The `person` field's text form: NAME|DATE OF BIRTH|DOCUMENT|NATIONALITY, the last three
  // optional and possibly empty ("Ivan Petrov||AB1234567"); the name at most
  // kMaxNameBytes. Errors name what is wrong.
  static Result<Person> Parse(const std::string& text);
};

// Why a date of birth cannot be used, or empty: YYYY, YYYY-MM or YYYY-MM-DD, a real date.
std::string DateOfBirthProblem(const std::string& date);

struct Match {
  std::size_t entry = 0;  // index in the matcher's entries
  double score = 0;
  bool hit = false;
  bool document = false;      // the document number matched
  std::string matched_name;   // the entry's name that scored best
  std::string explanation;    // for people: names, date of birth, document, score
};

class Matcher {
 public:
  explicit Matcher(std::vector<Entry> entries);

  // Every entry scoring kReviewScore or more (or matching the document), best first, at
  // most |limit|.
  std::vector<Match> Check(const Person& person, std::size_t limit = 5) const;

  const std::vector<Entry>& entries() const { return entries_; }

 private:
  struct Prepared {
    std::vector<std::vector<std::string>> names;  // spelling keys per name
    std::vector<std::string> joined;              // each name's keys run together
    std::vector<std::string> documents;           // normalised
  };
  std::vector<Entry> entries_;
  std::vector<Prepared> prepared_;
};

// A document number with only its letters and digits, uppercased.
std::string NormaliseDocument(const std::string& number);

}  // namespace muster::watchlist
