// The persons-of-interest check (core/include/muster/watchlist/matcher.h), measured:
// precision and recall on a generated list and generated encounters with the variants
// real field notes have, and the time of one check against 10,000 entries.
//
// The list: people drawn from pools of Russian and Ukrainian names written in Cyrillic
// (each entry carries the original and its ICAO transliteration, as notices do) and of
// Arabic names in their most common Latin spelling, with a date of birth.
// Encounters with listed people ("positives") are written as a member would:
// - a Cyrillic name transliterated by another system (English BGN/PCGN, German, French),
//   an Arabic name in another usual spelling (Muhammad for Mohammed, Yusuf for Youssef);
// - one typing error in one word (a letter changed, dropped, doubled or two swapped);
// - surname first; the patronymic left out;
// - the date of birth as listed, missing, with day and month swapped, or a year off.
// Encounters with others ("negatives") are people from the same pools whose given name
// and surname together are on no entry: namesakes of one part, the hard case.
//
// Usage: watchlist_bench [--entries N] [--queries N] [--seed S] [--out FILE.json]
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "muster/watchlist/matcher.h"

namespace {

using muster::watchlist::Entry;
using muster::watchlist::Match;
using muster::watchlist::Matcher;
using muster::watchlist::Person;

const std::vector<std::string> kGivenMale = {
    "Иван",  "Сергей",   "Алексей", "Дмитрий", "Андрей",  "Николай",  "Юрий",      "Михаил",
    "Владимир", "Олег",  "Виктор",  "Евгений", "Павел",   "Александр", "Максим",   "Игорь",
    "Борис", "Григорий", "Фёдор",   "Тарас",   "Богдан",  "Василий",  "Анатолий",  "Степан",
    "Артём", "Константин", "Роман", "Вячеслав", "Геннадий", "Леонид"};
const std::vector<std::string> kGivenFemale = {
    "Мария", "Ольга", "Наталья", "Елена", "Татьяна", "Юлия", "Ирина", "Светлана",
    "Анастасия", "Ксения", "Людмила", "Оксана", "Галина", "Екатерина", "Дарья"};
const std::vector<std::string> kSurnames = {
    "Петров", "Иванов", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов",
    "Новиков", "Морозов", "Волков", "Соловьёв", "Васильев", "Зайцев", "Павлов", "Семёнов",
    "Голубев", "Виноградов", "Богданов", "Воробьёв", "Фёдоров", "Михайлов", "Беляев",
    "Тарасов", "Белов", "Комаров", "Орлов", "Киселёв", "Макаров", "Андреев", "Ковальчук",
    "Шевченко", "Бондаренко", "Ткаченко", "Кравченко", "Коваленко", "Олейник", "Шевчук",
    "Поляков", "Цой", "Жуков", "Щербаков", "Хмельницкий", "Чернов", "Шаповалов", "Юдин",
    "Яковлев", "Ершов", "Журавлёв", "Щукин", "Харитонов", "Цветков", "Чайковский", "Ющенко",
    "Яценко", "Гончаренко", "Захарченко", "Мельник", "Савченко", "Руденко"};
const std::vector<std::string> kPatronymics = {
    "Сергеевич", "Иванович", "Петрович", "Николаевич", "Александрович",
    "Викторович", "Юрьевич", "Олегович", "Андреевич", "Михайлович"};
// Arabic names: the first spelling is the list's, the others what a member may write.
const std::vector<std::vector<std::string>> kArabicGiven = {
    {"Mohammed", "Muhammad", "Mohamed", "Mohammad"}, {"Ahmed", "Ahmad"},
    {"Hussein", "Hussain", "Husayn"}, {"Abdulrahman", "Abdul Rahman", "Abd al-Rahman"},
    {"Youssef", "Yusuf", "Yousef"}, {"Omar", "Umar"}, {"Khalid", "Khaled"}, {"Ali", "Aly"},
    {"Hassan", "Hasan"}, {"Ibrahim", "Ebrahim"}, {"Mustafa", "Moustafa", "Mostafa"},
    {"Tariq", "Tarek", "Tarik"}};
const std::vector<std::vector<std::string>> kArabicFamily = {
    {"Al-Masri", "Almasri", "El Masri"}, {"Haddad", "Hadad"}, {"Khalil", "Khaleel"},
    {"Nasser", "Nasir", "Naser"}, {"Saleh", "Salih"}, {"Al-Hashimi", "Alhashimi", "El-Hashemi"},
    {"Qureshi", "Kureishi", "Quraishi"}, {"Rahimi", "Raheemi"}, {"Karimi", "Kareemi"},
    {"Haidari", "Haydari", "Heidari"}, {"Mansour", "Mansur"}, {"Aziz", "Azeez"},
    {"Darwish", "Derwish"}, {"Farouk", "Faruq", "Farooq"}, {"Jaber", "Jabir"},
    {"Suleiman", "Sulaiman", "Soliman"}};

// Cyrillic а..я (and ё) by transliteration system.
enum class System { kIcao, kEnglish, kGerman, kFrench };
const std::map<std::string, std::array<const char*, 4>> kLetters = {
    {"а", {"a", "a", "a", "a"}},      {"б", {"b", "b", "b", "b"}},
    {"в", {"v", "v", "w", "v"}},      {"г", {"g", "g", "g", "g"}},
    {"д", {"d", "d", "d", "d"}},      {"е", {"e", "e", "e", "e"}},
    {"ё", {"e", "yo", "jo", "io"}},   {"ж", {"zh", "zh", "sch", "j"}},
    {"з", {"z", "z", "s", "z"}},      {"и", {"i", "i", "i", "i"}},
    {"й", {"i", "y", "j", "i"}},      {"к", {"k", "k", "k", "k"}},
    {"л", {"l", "l", "l", "l"}},      {"м", {"m", "m", "m", "m"}},
    {"н", {"n", "n", "n", "n"}},      {"о", {"o", "o", "o", "o"}},
    {"п", {"p", "p", "p", "p"}},      {"р", {"r", "r", "r", "r"}},
    {"с", {"s", "s", "s", "s"}},      {"т", {"t", "t", "t", "t"}},
    {"у", {"u", "u", "u", "ou"}},     {"ф", {"f", "f", "f", "f"}},
    {"х", {"kh", "kh", "ch", "kh"}},  {"ц", {"ts", "ts", "z", "ts"}},
    {"ч", {"ch", "ch", "tsch", "tch"}}, {"ш", {"sh", "sh", "sch", "ch"}},
    {"щ", {"shch", "shch", "schtsch", "chtch"}}, {"ъ", {"ie", "", "", ""}},
    {"ы", {"y", "y", "y", "y"}},      {"ь", {"", "", "", ""}},
    {"э", {"e", "e", "e", "e"}},      {"ю", {"iu", "yu", "ju", "iou"}},
    {"я", {"ia", "ya", "ja", "ia"}}};

std::string Lower(const std::string& word);  // Cyrillic only, below

std::string Transliterate(const std::string& cyrillic, System system) {
  std::string out;
  bool capital = true;
  for (std::size_t at = 0; at < cyrillic.size();) {
    if (cyrillic[at] == ' ') {
      out += ' ';
      capital = true;
      ++at;
      continue;
    }
    const std::string letter = Lower(cyrillic.substr(at, 2));
    at += 2;
    auto it = kLetters.find(letter);
    std::string latin = it == kLetters.end() ? "" : it->second[static_cast<int>(system)];
    if (capital && !latin.empty()) {
      latin[0] = static_cast<char>(latin[0] - 'a' + 'A');
      capital = false;
    }
    out += latin;
  }
  return out;
}

// Upper-case Cyrillic (two bytes: D0 90..D0 AF, and Ё D0 81) to lower case.
std::string Lower(const std::string& letter) {
  const auto b0 = static_cast<unsigned char>(letter[0]);
  const auto b1 = static_cast<unsigned char>(letter[1]);
  if (b0 == 0xD0 && b1 == 0x81) return "ё";
  if (b0 == 0xD0 && b1 >= 0x90 && b1 <= 0x9F) return std::string{char(0xD0), char(b1 + 0x20)};
  if (b0 == 0xD0 && b1 >= 0xA0 && b1 <= 0xAF) return std::string{char(0xD1), char(b1 - 0x20)};
  return letter;
}

struct Someone {
  bool arabic = false;
  int given = 0, family = 0, patronymic = -1;  // indices in the pools
  bool female = false;
  std::string birth;                           // YYYY-MM-DD
  std::string pair() const {
    return (arabic ? "a" : female ? "f" : "m") + std::to_string(given) + "." + std::to_string(family);
  }
};

std::string Feminine(const std::string& surname) {
  for (const char* ending : {"ов", "ев", "ёв", "ин"}) {
    const std::string e = ending;
    if (surname.size() > e.size() && surname.compare(surname.size() - e.size(), e.size(), e) == 0) {
      return surname + "а";
    }
  }
  return surname;
}

std::string CyrillicName(const Someone& s, bool with_patronymic) {
  const std::string given = s.female ? kGivenFemale[s.given] : kGivenMale[s.given];
  const std::string surname = s.female ? Feminine(kSurnames[s.family]) : kSurnames[s.family];
  return given + (with_patronymic && s.patronymic >= 0 ? " " + kPatronymics[s.patronymic] : "") +
         " " + surname;
}

class Generator {
 public:
  explicit Generator(unsigned seed) : random_(seed) {}

  Someone Draw() {
    Someone s;
    s.arabic = Chance(0.3);
    if (s.arabic) {
      s.given = Pick(kArabicGiven.size());
      s.family = Pick(kArabicFamily.size());
    } else {
      s.female = Chance(0.3);
      s.given = Pick(s.female ? kGivenFemale.size() : kGivenMale.size());
      s.family = Pick(kSurnames.size());
      if (!s.female && Chance(0.7)) s.patronymic = Pick(kPatronymics.size());
    }
    char birth[48];
    std::snprintf(birth, sizeof birth, "%04d-%02d-%02d", 1950 + Pick(55), 1 + Pick(12),
                  1 + Pick(28));
    s.birth = birth;
    return s;
  }

  Entry Listed(const Someone& s, int number) {
    Entry entry;
    char id[24];
    std::snprintf(id, sizeof id, "G-%04d-%05d", 2015 + number % 12, number);
    entry.notice_id = id;
    entry.notice_type = "green";
    if (s.arabic) {
      entry.names = {kArabicGiven[s.given][0] + " " + kArabicFamily[s.family][0]};
    } else {
      const std::string original = CyrillicName(s, true);
      entry.names = {original, Transliterate(original, System::kIcao)};
    }
    entry.date_of_birth = s.birth;
    entry.documents = {std::to_string(100000000 + Pick(899999999))};
    return entry;
  }

  // How a member writes down a listed person met in the field.
  Person Encounter(const Someone& s) {
    std::vector<std::string> words;
    if (s.arabic) {
      const auto& given = kArabicGiven[s.given];
      const auto& family = kArabicFamily[s.family];
      words = {Chance(0.7) ? given[Pick(given.size())] : given[0],
               Chance(0.7) ? family[Pick(family.size())] : family[0]};
    } else {
      const System system = Chance(0.7) ? static_cast<System>(1 + Pick(3)) : System::kIcao;
      const std::string latin = Transliterate(CyrillicName(s, !Chance(0.5)), system);
      words = Split(latin);
    }
    if (Chance(0.4)) Typo(words[Pick(words.size())]);
    if (Chance(0.3)) std::rotate(words.rbegin(), words.rbegin() + 1, words.rend());  // surname first
    Person person;
    for (const std::string& word : words) person.name += (person.name.empty() ? "" : " ") + word;
    const double dice = Uniform();
    if (dice < 0.60) {
      person.date_of_birth = s.birth;
    } else if (dice < 0.85) {
      person.date_of_birth = "";
    } else if (dice < 0.95 && std::stoi(s.birth.substr(8, 2)) <= 12) {
      person.date_of_birth = s.birth.substr(0, 5) + s.birth.substr(8, 2) + "-" + s.birth.substr(5, 2);
    } else {
      person.date_of_birth = std::to_string(std::stoi(s.birth.substr(0, 4)) + (Chance(0.5) ? 1 : -1)) +
                             s.birth.substr(4);
    }
    return person;
  }

  Person Stranger(const Someone& s) {
    Person person;
    if (s.arabic) {
      person.name = kArabicGiven[s.given][Pick(kArabicGiven[s.given].size())] + " " +
                    kArabicFamily[s.family][Pick(kArabicFamily[s.family].size())];
    } else {
      person.name = Transliterate(CyrillicName(s, Chance(0.5)), static_cast<System>(Pick(4)));
    }
    if (Chance(0.75)) person.date_of_birth = s.birth;
    return person;
  }

 private:
  bool Chance(double p) { return Uniform() < p; }
  double Uniform() { return std::uniform_real_distribution<double>(0, 1)(random_); }
  int Pick(std::size_t n) { return std::uniform_int_distribution<int>(0, static_cast<int>(n) - 1)(random_); }

  static std::vector<std::string> Split(const std::string& text) {
    std::vector<std::string> words(1);
    for (char c : text) {
      if (c == ' ') {
        words.emplace_back();
      } else {
        words.back() += c;
      }
    }
    return words;
  }

  void Typo(std::string& word) {
    if (word.size() < 4) return;
    const std::size_t at = 1 + Pick(word.size() - 2);
    switch (Pick(4)) {
      case 0: word[at] = static_cast<char>('a' + Pick(26)); break;   // changed
      case 1: word.erase(at, 1); break;                               // dropped
      case 2: word.insert(at, 1, word[at]); break;                    // doubled
      default: std::swap(word[at], word[at - 1 == 0 ? at + 1 : at - 1]); break;  // swapped
    }
  }

  std::mt19937 random_;
};

struct Tally {
  int positives = 0, found = 0, missed = 0;
  int false_hits = 0;       // hits on a wrong entry (in positives and negatives)
  int negatives = 0, negatives_hit = 0;
};

int Arg(int argc, char** argv, const std::string& name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return std::stoi(argv[i + 1]);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int list_size = Arg(argc, argv, "--entries", 1000);
  const int queries = Arg(argc, argv, "--queries", 2000);
  const unsigned seed = static_cast<unsigned>(Arg(argc, argv, "--seed", 2026));
  std::string out_path;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--out") out_path = argv[i + 1];
  }

  Generator generator(seed);
  std::vector<Someone> listed;
  std::vector<Entry> entries;
  std::set<std::string> listed_pairs;
  while (static_cast<int>(listed.size()) < list_size) {
    Someone s = generator.Draw();
    listed.push_back(s);
    listed_pairs.insert(s.pair());
    entries.push_back(generator.Listed(s, static_cast<int>(entries.size())));
  }
  const Matcher matcher(entries);

  // Precision and recall at several thresholds from one pass (scores of 0.85 and up).
  const std::vector<double> thresholds = {0.85, 0.875, 0.90, 0.925, 0.95};
  std::vector<Tally> tallies(thresholds.size());
  std::vector<double> check_ms;
  for (int q = 0; q < queries; ++q) {
    const bool positive = q % 2 == 0;
    std::size_t truth = 0;
    Person person;
    if (positive) {
      truth = static_cast<std::size_t>((q / 2 * 7919) % listed.size());
      person = generator.Encounter(listed[truth]);
    } else {
      Someone s = generator.Draw();
      while (listed_pairs.count(s.pair())) s = generator.Draw();
      person = generator.Stranger(s);
    }
    const auto started = std::chrono::steady_clock::now();
    const std::vector<Match> matches = matcher.Check(person, 20);
    check_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
    for (std::size_t t = 0; t < thresholds.size(); ++t) {
      Tally& tally = tallies[t];
      bool right = false, wrong = false;
      for (const Match& match : matches) {
        if (match.score < thresholds[t] && !match.document) continue;
        // A listed person drawn twice is two entries: a hit on either is right.
        const bool same = positive && listed[match.entry].pair() == listed[truth].pair() &&
                          listed[match.entry].birth == listed[truth].birth;
        (same ? right : wrong) = true;
      }
      if (positive) {
        ++tally.positives;
        right ? ++tally.found : ++tally.missed;
      } else {
        ++tally.negatives;
        if (wrong) ++tally.negatives_hit;
      }
      if (wrong) ++tally.false_hits;
    }
  }

  // Time of one check against 10,000 entries (and of building the matcher).
  Generator big_generator(seed + 1);
  std::vector<Entry> big;
  std::vector<Someone> big_people;
  for (int i = 0; i < 10000; ++i) {
    big_people.push_back(big_generator.Draw());
    big.push_back(big_generator.Listed(big_people.back(), i));
  }
  const auto build_started = std::chrono::steady_clock::now();
  const Matcher big_matcher(big);
  const double build_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - build_started).count();
  std::vector<double> big_ms;
  for (int q = 0; q < 500; ++q) {
    const Person person = q % 2 == 0 ? big_generator.Encounter(big_people[(q * 131) % big_people.size()])
                                     : big_generator.Stranger(big_generator.Draw());
    const auto started = std::chrono::steady_clock::now();
    const auto matches = big_matcher.Check(person);
    big_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
  }
  std::sort(big_ms.begin(), big_ms.end());
  const auto at = [&](double p) { return big_ms[static_cast<std::size_t>(p * (big_ms.size() - 1))]; };

  nlohmann::json report = {{"entries", list_size}, {"queries", queries}, {"seed", seed},
                           {"thresholds", nlohmann::json::array()},
                           {"check_10000", {{"build_ms", build_ms}, {"median_ms", at(0.5)},
                                            {"p95_ms", at(0.95)}, {"max_ms", big_ms.back()}}}};
  std::printf("# Watchlist check: %d entries, %d encounters (half listed people), seed %u\n\n",
              list_size, queries, seed);
  std::printf("| threshold | recall | precision | listed people missed | others hit |\n");
  std::printf("| --- | --- | --- | --- | --- |\n");
  for (std::size_t t = 0; t < thresholds.size(); ++t) {
    const Tally& tally = tallies[t];
    const double recall = static_cast<double>(tally.found) / tally.positives;
    const double precision = tally.found + tally.false_hits == 0
                                 ? 1.0
                                 : static_cast<double>(tally.found) / (tally.found + tally.false_hits);
    std::printf("| %.3f%s | %.3f | %.3f | %d of %d | %d of %d |\n", thresholds[t],
                thresholds[t] == muster::watchlist::kHitScore ? " (hit)" : "", recall, precision,
                tally.missed, tally.positives, tally.negatives_hit, tally.negatives);
    report["thresholds"].push_back({{"threshold", thresholds[t]}, {"recall", recall},
                                    {"precision", precision}, {"missed", tally.missed},
                                    {"false_hits", tally.false_hits},
                                    {"negatives_hit", tally.negatives_hit}});
  }
  std::printf("\nOne check against 10,000 entries: median %.2f ms, p95 %.2f ms, max %.2f ms "
              "(500 checks); building the matcher %.0f ms\n",
              at(0.5), at(0.95), big_ms.back(), build_ms);
  if (!out_path.empty()) std::ofstream(out_path) << report.dump(2) << "\n";
  return 0;
}
