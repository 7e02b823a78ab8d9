// Units of measurement for finding fields, parameters and numbers in conditions
// (docs/playbooks.md, "Units"). A unit is read into a dimension and a factor, so that a
// condition can compare µg/m³ with mg/m³ by converting, and refuse to compare Sv/h with
// mg/m³ at all: a 1000x slip in a threshold is the most dangerous mistake an author can
// make.
//
// A unit is a product of symbols, each with an optional SI prefix and power:
//   µSv/h   mg/m³   mg/m3   Bq/cm^2   kg·m/s²   cps   %   °C   count
// '/' divides by the symbol after it only (a/b/c is a/(b·c)); '·' or '*' multiply.
// Dose, absorbed dose, exposure, activity, detector counts, angle, pH and the fraction
// of the lower explosive limit are dimensions of their own: none of them converts into
// another, although SI would call some of them J/kg or 1/s.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace muster::playbook {

// Powers of the base dimensions: kg, m, s, K, Sv, Gy, R, decays, counts, angle, pH, LEL.
struct Dimension {
  static constexpr std::size_t kBases = 12;
  static constexpr int kMaxPower = 12;  // beyond it no quantity is measured (IsPlausible)
  std::array<std::int8_t, kBases> power{};

  bool operator==(const Dimension&) const = default;
  bool IsNone() const { return *this == Dimension{}; }
};

// A parsed unit. A value v in this unit is v * factor + offset in the base units of its
// dimension; only temperatures (°C, °F) have an offset.
struct Unit {
  std::string symbol;  // as written, e.g. "µg/m³"; empty for a plain number
  Dimension dimension;
  double factor = 1;
  double offset = 0;

  double ToBase(double value) const { return value * factor + offset; }
  double FromBase(double value) const { return (value - offset) / factor; }
  bool SameScale(const Unit& other) const {
    return dimension == other.dimension && factor == other.factor && offset == other.offset;
  }
};

// The unit |text| names, or nullopt when it is not a unit this table knows. "" and
// "count" are plain numbers.
std::optional<Unit> ParseUnit(std::string_view text);

// For an unknown unit: "did you mean 'µSv/h'?" when one symbol of it is a near miss of a
// known one, else a short list of the units known.
std::string UnitHint(std::string_view text);

// Whether every power of |dimension| is within ±kMaxPower. ParseUnit returns no unit that
// is not; arithmetic in a condition that makes one (m × m × ... thirteen times) is refused.
bool IsPlausible(const Dimension& dimension);

// What the dimension measures, for people: "dose rate", "mass concentration", "time";
// a formula such as "kg·m^-1" when it has no name.
std::string DescribeDimension(const Dimension& dimension);

// |a| times or divided by |b|. Units with an offset (°C, °F) have none here: the product
// of a temperature is only meaningful on an absolute scale, and callers refuse it.
Unit Multiply(const Unit& a, const Unit& b);
Unit Divide(const Unit& a, const Unit& b);

// |value| in |from| expressed in |to|; both must have the same dimension.
double Convert(double value, const Unit& from, const Unit& to);

}  // namespace muster::playbook
