#include <gtest/gtest.h>

#include "muster/watchlist/matcher.h"
#include "muster/watchlist/names.h"

namespace muster::watchlist {
namespace {

TEST(WatchlistNamesTest, ScriptsAndDiacriticsFoldToLatinWords) {
  EXPECT_EQ(FoldedWords("Иван Сергеевич ПЕТРОВ"),
            (std::vector<std::string>{"ivan", "sergeevich", "petrov"}));
  EXPECT_EQ(FoldedWords("Юрій Щербак"), (std::vector<std::string>{"iurii", "shcherbak"}));
  EXPECT_EQ(FoldedWords("Γιώργος Παπαδόπουλος"),
            (std::vector<std::string>{"giorgos", "papadopoulos"}));
  EXPECT_EQ(FoldedWords("José Ñúñez-Ødegård, Łukasz O'Brien"),
            (std::vector<std::string>{"jose", "nunez", "odegard", "lukasz", "obrien"}));
  EXPECT_EQ(FoldedWords("Straße"), (std::vector<std::string>{"strasse"}));
  // Decomposed (NFD) input, as some keyboards and copies give it: one word still.
  EXPECT_EQ(FoldedWords("Mu\u0308ller Jose\u0301"), (std::vector<std::string>{"muller", "jose"}));
  // Bytes that are no UTF-8, escape codes and other scripts only separate words.
  EXPECT_EQ(FoldedWords("ab\xff\xfe" "cd\x1b[31m 王 ef"),
            (std::vector<std::string>{"ab", "cd", "m", "ef"}));
  EXPECT_TRUE(FoldedWords("王小明").empty());
}

TEST(WatchlistNamesTest, TransliterationSystemsShareASpellingKey) {
  // ICAO, English (BGN/PCGN), German and French spellings of the same Cyrillic names.
  EXPECT_EQ(NameKeys("Iurii"), NameKeys("Yuri"));
  EXPECT_EQ(NameKeys("Juri"), NameKeys("Yuri"));
  EXPECT_EQ(NameKeys("Petroff"), NameKeys("Petrov"));
  EXPECT_EQ(NameKeys("Petrow"), NameKeys("Petrov"));
  EXPECT_EQ(NameKeys("Tsoi"), NameKeys("Zoi"));
  EXPECT_EQ(NameKeys("Aleksei"), NameKeys("Alexey"));
  EXPECT_EQ(NameKeys("Chruschtschow")[0].substr(0, 3), "chr");
  EXPECT_EQ(NameKeys("Юрий"), NameKeys("Yuriy"));
  EXPECT_EQ(NameKeys("Khodorkovsky"), NameKeys("Hodorkovskij"));
}

TEST(WatchlistNamesTest, JaroWinklerGivesTheKnownValues) {
  // The textbook pairs (Winkler 1990).
  EXPECT_NEAR(JaroWinkler("martha", "marhta"), 0.961, 0.001);
  EXPECT_NEAR(JaroWinkler("dwayne", "duane"), 0.840, 0.001);
  EXPECT_NEAR(JaroWinkler("dixon", "dicksonx"), 0.813, 0.001);
  EXPECT_EQ(JaroWinkler("", ""), 1.0);
  EXPECT_EQ(JaroWinkler("abc", ""), 0.0);
  EXPECT_EQ(JaroWinkler("abc", "xyz"), 0.0);
  EXPECT_EQ(JaroWinkler("a", "a"), 1.0);
}

std::vector<Entry> List() {
  return {
      {"G-2026-0412", "green", {"Иван Сергеевич Петров", "Ivan Sergeevich PETROV"}, "1971-03-02",
       {"RU"}, {"72 1234567"}, {}},
      {"G-2025-0981", "green", {"Abdul Rahman Al-Qasimi"}, "1980", {"SY"}, {}, {}},
      {"R-2024-1130", "red", {"Maria Papadopoulou", "Μαρία Παπαδοπούλου"}, "1965-11-30", {"GR"},
       {"AE9876543"}, {}},
      {"G-2026-0033", "green", {"Ivan Petrenko"}, "1990-07-14", {"UA"}, {}, {}},
  };
}

TEST(WatchlistMatcherTest, ATransliterationWithATypoAndWordsSwappedIsAHitAndSaysWhy) {
  const Matcher matcher(List());
  auto person = Person::Parse("PETROW Iwan|1971-03-02");
  ASSERT_TRUE(person.ok()) << person.status().ToString();
  const std::vector<Match> matches = matcher.Check(*person);
  ASSERT_FALSE(matches.empty());
  EXPECT_EQ(matcher.entries()[matches[0].entry].notice_id, "G-2026-0412");
  EXPECT_TRUE(matches[0].hit);
  EXPECT_FALSE(matches[0].document);
  EXPECT_NE(matches[0].explanation.find("date of birth 1971-03-02 matches"), std::string::npos)
      << matches[0].explanation;
  EXPECT_NE(matches[0].explanation.find("(hit)"), std::string::npos);
  // Ivan Petrenko shares a first name and a stem, not the person.
  for (const Match& match : matches) {
    if (matcher.entries()[match.entry].notice_id == "G-2026-0033") {
      EXPECT_FALSE(match.hit) << match.explanation;
    }
  }
}

TEST(WatchlistMatcherTest, NamesInTheOriginalScriptAndRunTogetherMatch) {
  const Matcher matcher(List());
  auto greek = matcher.Check({"Μαρία Παπαδοπούλου", "", "", ""});
  ASSERT_FALSE(greek.empty());
  EXPECT_EQ(matcher.entries()[greek[0].entry].notice_id, "R-2024-1130");
  EXPECT_TRUE(greek[0].hit);
  auto joined = matcher.Check({"Abdulrahman Alqasimi", "", "", ""});
  ASSERT_FALSE(joined.empty());
  EXPECT_EQ(matcher.entries()[joined[0].entry].notice_id, "G-2025-0981");
  EXPECT_TRUE(joined[0].hit) << joined[0].explanation;
}

TEST(WatchlistMatcherTest, ADocumentNumberIsAHitWhateverTheNameAndAFarBirthYearLowersTheScore) {
  const Matcher matcher(List());
  auto document = matcher.Check({"John Smith", "", "ae 987-6543", ""});
  ASSERT_EQ(document.size(), 1u);
  EXPECT_TRUE(document[0].hit);
  EXPECT_TRUE(document[0].document);
  EXPECT_EQ(document[0].score, 1.0);
  EXPECT_NE(document[0].explanation.find("document AE9876543 is listed"), std::string::npos);

  auto same = matcher.Check({"Maria Papadopoulou", "1965-11-30", "", ""});
  auto far = matcher.Check({"Maria Papadopoulou", "1994-02-01", "", ""});
  ASSERT_FALSE(same.empty());
  ASSERT_FALSE(far.empty());
  EXPECT_TRUE(same[0].hit);
  EXPECT_NEAR(far[0].score, 0.85, 1e-9) << far[0].explanation;
  EXPECT_FALSE(far[0].hit) << "a birth year 29 years off leaves the name for review";
  EXPECT_NE(far[0].explanation.find("differs from 1965-11-30"), std::string::npos);
}

TEST(WatchlistMatcherTest, OneSharedNameOrAnotherPersonIsNoHit) {
  const Matcher matcher(List());
  for (const char* name : {"Ivan", "Ivan Smirnov", "Sergei Petrovsky", "Maria Pappas",
                           "Rahman Khan"}) {
    for (const Match& match : matcher.Check({name, "", "", ""})) {
      EXPECT_FALSE(match.hit) << name << ": " << match.explanation;
    }
  }
}

TEST(WatchlistMatcherTest, APersonFieldIsParsedOrRefusedNamingTheFormat) {
  auto full = Person::Parse(" Ivan Petrov | 1971-03 | 72 1234567 | RU ");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->name, "Ivan Petrov");
  EXPECT_EQ(full->date_of_birth, "1971-03");
  EXPECT_EQ(full->document, "72 1234567");
  EXPECT_EQ(full->nationality, "RU");
  EXPECT_TRUE(Person::Parse("Ivan Petrov").ok());
  const Status empty = Person::Parse("|1971").status();
  EXPECT_EQ(empty.code(), ErrorCode::kInvalidValue);
  EXPECT_NE(empty.message().find("NAME|DATE OF BIRTH|DOCUMENT|NATIONALITY"), std::string::npos);
  EXPECT_FALSE(Person::Parse("Ivan|1971-02-30").ok());
  EXPECT_FALSE(Person::Parse("Ivan|71-03-02").ok());
  EXPECT_FALSE(Person::Parse("a|b|c|d|e").ok());
  EXPECT_FALSE(Person::Parse(std::string(201, 'a')).ok());
  EXPECT_TRUE(Person::Parse(std::string(200, 'a')).ok());
}

}  // namespace
}  // namespace muster::watchlist
