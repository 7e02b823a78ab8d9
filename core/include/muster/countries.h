// Countries by ISO 3166-1: the incident's country and the trafficking routes of the monthly
// report (docs/programme.md) name countries by code, so that "Georgia", "GE" and "geo" are
// one country in the figures.
#pragma once

#include <string>
#include <string_view>

namespace muster {

struct Country {
  std::string_view alpha2;  // "GE"
  std::string_view alpha3;  // "GEO"
  std::string_view name;    // "Georgia", the short English name
};

// The country |text| names: an alpha-2 or alpha-3 code, the short English name or a
// common one ("Iran", "Russia", "Turkey", "UK"), ASCII letters in any case, spaces around
// it ignored. nullptr when it names none.
const Country* FindCountry(std::string_view text);

}  // namespace muster
