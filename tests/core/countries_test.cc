#include "muster/countries.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace muster {
namespace {

TEST(CountriesTest, ACountryIsFoundByEitherCodeOrItsNameInAnyCase) {
  for (const char* text : {"GE", "ge", "GEO", "geo", "Georgia", "  GEORGIA "}) {
    const Country* country = FindCountry(text);
    ASSERT_NE(country, nullptr) << text;
    EXPECT_EQ(country->alpha2, "GE") << text;
  }
  EXPECT_EQ(FindCountry("Côte d'Ivoire")->alpha2, "CI");
  EXPECT_EQ(FindCountry("tur")->name, "Türkiye");
  for (const auto& [common, code] : std::vector<std::pair<const char*, const char*>>{
           {"Russia", "RU"}, {"turkey", "TR"}, {"Iran", "IR"}, {"UK", "GB"}, {"Moldova", "MD"}}) {
    ASSERT_NE(FindCountry(common), nullptr) << common;
    EXPECT_EQ(FindCountry(common)->alpha2, code) << common;
  }
}

TEST(CountriesTest, WhatNamesNoCountryIsNotOne) {
  for (const char* text : {"", " ", "XX", "Atlantis", "G", "GEOR", "EU", "Ge orgia"}) {
    EXPECT_EQ(FindCountry(text), nullptr) << text;
  }
}

}  // namespace
}  // namespace muster
