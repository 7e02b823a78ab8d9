#include "muster/playbook/units.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "suggest.h"

namespace muster::playbook {
namespace {

enum Base { kKg, kM, kS, kK, kSv, kGy, kR, kDecay, kCount, kAngle, kPh, kLel };

constexpr std::string_view kBaseSymbols[Dimension::kBases] = {
    "kg", "m", "s", "K", "Sv", "Gy", "R", "decays", "counts", "°", "pH", "LEL"};

Dimension Dim(std::initializer_list<std::pair<Base, int>> powers) {
  Dimension d;
  for (const auto& [base, power] : powers) d.power[base] = static_cast<std::int8_t>(power);
  return d;
}

struct Symbol {
  std::string_view name;
  Dimension dimension;
  double factor = 1;
  double offset = 0;
  bool prefixable = false;
};

// Every symbol a unit may be built from. Aliases that instruments print ("hr", "sec")
// are accepted: a unit is for people to write, and µSv/hr means what it says.
const std::vector<Symbol>& Symbols() {
  static const std::vector<Symbol> kSymbols = [] {
    const Dimension mass = Dim({{kKg, 1}});
    const Dimension length = Dim({{kM, 1}});
    const Dimension volume = Dim({{kM, 3}});
    const Dimension time = Dim({{kS, 1}});
    const Dimension temperature = Dim({{kK, 1}});
    const Dimension pressure = Dim({{kKg, 1}, {kM, -1}, {kS, -2}});
    const Dimension energy = Dim({{kKg, 1}, {kM, 2}, {kS, -2}});
    const Dimension speed = Dim({{kM, 1}, {kS, -1}});
    const Dimension activity = Dim({{kDecay, 1}, {kS, -1}});
    const Dimension count_rate = Dim({{kCount, 1}, {kS, -1}});
    const Dimension angle = Dim({{kAngle, 1}});
    const Dimension none;
    return std::vector<Symbol>{
        {"g", mass, 1e-3, 0, true},
        {"t", mass, 1000},
        {"lb", mass, 0.45359237},
        {"oz", mass, 0.028349523125},
        {"m", length, 1, 0, true},
        {"ft", length, 0.3048},
        {"yd", length, 0.9144},
        {"mi", length, 1609.344},
        {"inch", length, 0.0254},
        {"nmi", length, 1852},
        {"L", volume, 1e-3, 0, true},
        {"l", volume, 1e-3, 0, true},
        {"gal", volume, 3.785411784e-3},
        {"s", time, 1, 0, true},
        {"sec", time, 1},
        {"min", time, 60},
        {"h", time, 3600},
        {"hr", time, 3600},
        {"hour", time, 3600},
        {"d", time, 86400},
        {"day", time, 86400},
        {"K", temperature, 1},
        {"°C", temperature, 1, 273.15},
        {"℃", temperature, 1, 273.15},
        {"degC", temperature, 1, 273.15},
        {"°F", temperature, 5.0 / 9.0, 273.15 - 32 * 5.0 / 9.0},
        {"degF", temperature, 5.0 / 9.0, 273.15 - 32 * 5.0 / 9.0},
        {"Sv", Dim({{kSv, 1}}), 1, 0, true},
        {"rem", Dim({{kSv, 1}}), 0.01, 0, true},
        {"Gy", Dim({{kGy, 1}}), 1, 0, true},
        {"rad", Dim({{kGy, 1}}), 0.01, 0, true},
        {"R", Dim({{kR, 1}}), 1, 0, true},
        {"Bq", activity, 1, 0, true},
        {"Ci", activity, 3.7e10, 0, true},
        {"dps", activity, 1},
        {"dpm", activity, 1.0 / 60},
        {"cps", count_rate, 1},
        {"cpm", count_rate, 1.0 / 60},
        {"counts", Dim({{kCount, 1}})},
        {"cts", Dim({{kCount, 1}})},
        {"Hz", Dim({{kS, -1}}), 1, 0, true},
        {"Pa", pressure, 1, 0, true},
        {"bar", pressure, 1e5, 0, true},
        {"atm", pressure, 101325},
        {"psi", pressure, 6894.757293168},
        {"mmHg", pressure, 133.322387415},
        {"Torr", pressure, 101325.0 / 760},
        {"J", energy, 1, 0, true},
        {"eV", energy, 1.602176634e-19, 0, true},
        {"N", Dim({{kKg, 1}, {kM, 1}, {kS, -2}}), 1, 0, true},
        {"W", Dim({{kKg, 1}, {kM, 2}, {kS, -3}}), 1, 0, true},
        {"kn", speed, 1852.0 / 3600},
        {"mph", speed, 0.44704},
        {"°", angle, 1},
        {"deg", angle, 1},
        {"degree", angle, 1},
        {"degrees", angle, 1},
        {"pH", Dim({{kPh, 1}})},
        {"LEL", Dim({{kLel, 1}})},
        {"%LEL", Dim({{kLel, 1}}), 0.01},
        {"%", none, 0.01},
        {"percent", none, 0.01},
        {"ppm", none, 1e-6},
        {"ppmv", none, 1e-6},
        {"ppb", none, 1e-9},
        {"ppbv", none, 1e-9},
        {"ppt", none, 1e-12},
        {"count", none, 1},
        {"1", none, 1},
    };
  }();
  return kSymbols;
}

struct Prefix {
  std::string_view text;
  double factor;
};

constexpr Prefix kPrefixes[] = {{"p", 1e-12}, {"n", 1e-9}, {"µ", 1e-6}, {"μ", 1e-6}, {"u", 1e-6},
                                {"m", 1e-3},  {"c", 1e-2}, {"d", 1e-1}, {"h", 1e2},  {"k", 1e3},
                                {"M", 1e6},   {"G", 1e9},  {"T", 1e12}};

const Symbol* FindSymbol(std::string_view name) {
  for (const Symbol& s : Symbols()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// The symbol |name| with its prefix applied, or nullopt.
std::optional<Unit> ReadAtom(std::string_view name) {
  if (const Symbol* s = FindSymbol(name)) {
    return Unit{std::string(name), s->dimension, s->factor, s->offset};
  }
  for (const Prefix& prefix : kPrefixes) {
    if (!name.starts_with(prefix.text)) continue;
    const Symbol* s = FindSymbol(name.substr(prefix.text.size()));
    if (s != nullptr && s->prefixable) {
      return Unit{std::string(name), s->dimension, s->factor * prefix.factor, 0};
    }
  }
  return std::nullopt;
}

// Splits a power off the end of |term|: "m³", "m^3", "m^-1", "m3". 1 when there is none;
// 0 when the power is not one a unit of measurement uses (beyond ±4, or 0).
int SplitPower(std::string_view& term) {
  if (term.ends_with("²")) {
    term.remove_suffix(std::string_view("²").size());
    return 2;
  }
  if (term.ends_with("³")) {
    term.remove_suffix(std::string_view("³").size());
    return 3;
  }
  std::size_t digits = term.size();
  while (digits > 0 && term[digits - 1] >= '0' && term[digits - 1] <= '9') --digits;
  if (digits == 0 || digits == term.size()) return 1;
  std::size_t start = digits;
  if (term[start - 1] == '-') --start;
  const bool caret = start > 0 && term[start - 1] == '^';
  if (start != digits && !caret) return 1;  // "m-1" is not a power
  int power = 0;
  const auto [end, ec] = std::from_chars(term.data() + start, term.data() + term.size(), power);
  if (ec != std::errc() || end != term.data() + term.size() || power == 0 || power < -4 ||
      power > 4) {
    return 0;
  }
  term = term.substr(0, caret ? start - 1 : start);
  return power;
}

// A power kept within int8 without wrapping: beyond kMaxPower it only has to stay beyond.
std::int8_t Saturate(int power) { return static_cast<std::int8_t>(std::clamp(power, -100, 100)); }

Unit Raise(const Unit& unit, int power) {
  Unit raised = unit;
  raised.offset = power == 1 ? unit.offset : 0;
  raised.factor = 1;
  for (int i = 0; i < (power < 0 ? -power : power); ++i) raised.factor *= unit.factor;
  if (power < 0) raised.factor = 1 / raised.factor;
  for (std::size_t b = 0; b < Dimension::kBases; ++b) {
    raised.dimension.power[b] = Saturate(unit.dimension.power[b] * power);
  }
  return raised;
}

Unit Combine(const Unit& a, const Unit& b, int sign) {
  Unit out;
  out.factor = sign > 0 ? a.factor * b.factor : a.factor / b.factor;
  for (std::size_t i = 0; i < Dimension::kBases; ++i) {
    out.dimension.power[i] = Saturate(a.dimension.power[i] + sign * b.dimension.power[i]);
  }
  return out;
}

struct Term {
  std::string_view text;
  bool divides = false;
};

// The terms of |text| between '/', '·' and '*'; nullopt when one is empty.
std::optional<std::vector<Term>> SplitTerms(std::string_view text) {
  std::vector<Term> terms;
  bool divides = false;
  std::size_t start = 0;
  while (true) {
    std::size_t end = start;
    std::size_t width = 0;
    bool next_divides = false;
    for (; end < text.size(); ++end) {
      const std::string_view rest = text.substr(end);
      width = rest[0] == '/' || rest[0] == '*' ? 1
              : rest.starts_with("·")          ? std::string_view("·").size()
                                               : 0;
      if (width == 0) continue;
      next_divides = rest[0] == '/';
      break;
    }
    if (end == start) return std::nullopt;
    terms.push_back({text.substr(start, end - start), divides});
    if (end == text.size()) return terms;
    divides = next_divides;
    start = end + width;
  }
}

}  // namespace

std::optional<Unit> ParseUnit(std::string_view text) {
  if (text.empty()) return Unit{};
  if (text.size() > 64) return std::nullopt;
  const auto terms = SplitTerms(text);
  if (!terms) return std::nullopt;
  Unit unit;
  for (const Term& term : *terms) {
    std::string_view name = term.text;
    const int power = SplitPower(name);
    std::optional<Unit> atom = power == 0 ? std::nullopt : ReadAtom(name);
    if (!atom) return std::nullopt;
    const Unit raised = Raise(*atom, power);
    if (terms->size() == 1) {
      unit = raised;
      break;
    }
    unit = Combine(unit, raised, term.divides ? -1 : 1);
  }
  // A power beyond kMaxPower, or a factor that underflows or overflows (pm^4/Tm^4...), is
  // no unit anyone measures in.
  if (!IsPlausible(unit.dimension) || !std::isfinite(unit.factor) || unit.factor == 0) {
    return std::nullopt;
  }
  unit.symbol = std::string(text);
  return unit;
}

std::string UnitHint(std::string_view text) {
  const auto terms = SplitTerms(text);
  std::vector<std::string> candidates;
  for (const Symbol& s : Symbols()) {
    candidates.emplace_back(s.name);
    if (!s.prefixable) continue;
    for (const std::string_view prefix : {"µ", "m", "k", "n", "M", "G"}) {
      candidates.push_back(std::string(prefix) + std::string(s.name));
    }
  }
  if (terms) {
    for (const Term& term : *terms) {
      std::string_view name = term.text;
      SplitPower(name);
      if (ReadAtom(name)) continue;
      const std::string nearest = Nearest(name, candidates);
      if (nearest.empty()) break;
      const std::size_t at = static_cast<std::size_t>(name.data() - text.data());
      return "did you mean '" + std::string(text.substr(0, at)) + nearest +
             std::string(text.substr(at + name.size())) + "'?";
    }
  }
  return "units are built from symbols such as µSv/h, mGy, Bq/m³, cps, mg/m³, ppm, °C, kPa, "
         "m, kg, L, s, min, h and %; 'count' for plain counts (docs/playbooks.md, Units)";
}

bool IsPlausible(const Dimension& dimension) {
  return std::all_of(dimension.power.begin(), dimension.power.end(), [](std::int8_t p) {
    return p >= -Dimension::kMaxPower && p <= Dimension::kMaxPower;
  });
}

std::string DescribeDimension(const Dimension& dimension) {
  static const std::vector<std::pair<Dimension, std::string_view>> kNames = {
      {Dim({}), "a plain number"},
      {Dim({{kKg, 1}}), "mass"},
      {Dim({{kM, 1}}), "length"},
      {Dim({{kM, 2}}), "area"},
      {Dim({{kM, 3}}), "volume"},
      {Dim({{kS, 1}}), "time"},
      {Dim({{kK, 1}}), "temperature"},
      {Dim({{kSv, 1}}), "dose"},
      {Dim({{kSv, 1}, {kS, -1}}), "dose rate"},
      {Dim({{kGy, 1}}), "absorbed dose"},
      {Dim({{kGy, 1}, {kS, -1}}), "absorbed dose rate"},
      {Dim({{kR, 1}}), "exposure"},
      {Dim({{kR, 1}, {kS, -1}}), "exposure rate"},
      {Dim({{kDecay, 1}, {kS, -1}}), "activity"},
      {Dim({{kDecay, 1}, {kS, -1}, {kM, -3}}), "activity concentration"},
      {Dim({{kDecay, 1}, {kS, -1}, {kM, -2}}), "surface contamination"},
      {Dim({{kDecay, 1}, {kS, -1}, {kKg, -1}}), "specific activity"},
      {Dim({{kCount, 1}}), "detector counts"},
      {Dim({{kCount, 1}, {kS, -1}}), "count rate"},
      {Dim({{kKg, 1}, {kM, -3}}), "mass concentration"},
      {Dim({{kM, 1}, {kS, -1}}), "speed"},
      {Dim({{kS, -1}}), "frequency"},
      {Dim({{kKg, 1}, {kM, -1}, {kS, -2}}), "pressure"},
      {Dim({{kKg, 1}, {kM, 2}, {kS, -2}}), "energy"},
      {Dim({{kKg, 1}, {kM, 2}, {kS, -3}}), "power"},
      {Dim({{kKg, 1}, {kM, 1}, {kS, -2}}), "force"},
      {Dim({{kAngle, 1}}), "angle"},
      {Dim({{kPh, 1}}), "pH"},
      {Dim({{kLel, 1}}), "fraction of the lower explosive limit"},
  };
  for (const auto& [known, name] : kNames) {
    if (known == dimension) return std::string(name);
  }
  std::string formula;
  for (std::size_t b = 0; b < Dimension::kBases; ++b) {
    const int power = dimension.power[b];
    if (power == 0) continue;
    if (!formula.empty()) formula += "·";
    formula += kBaseSymbols[b];
    if (power != 1) formula += "^" + std::to_string(power);
  }
  return formula;
}

Unit Multiply(const Unit& a, const Unit& b) {
  Unit out = Combine(a, b, 1);
  out.symbol = a.symbol.empty()   ? b.symbol
               : b.symbol.empty() ? a.symbol
                                  : a.symbol + "·" + b.symbol;
  return out;
}

Unit Divide(const Unit& a, const Unit& b) {
  Unit out = Combine(a, b, -1);
  if (b.symbol.empty()) {
    out.symbol = a.symbol;
  } else {
    const bool compound = b.symbol.find_first_of("/·*") != std::string::npos;
    out.symbol =
        (a.symbol.empty() ? "1" : a.symbol) + "/" + (compound ? "(" + b.symbol + ")" : b.symbol);
  }
  return out;
}

double Convert(double value, const Unit& from, const Unit& to) {
  if (from.SameScale(to)) return value;
  return to.FromBase(from.ToBase(value));
}

}  // namespace muster::playbook
