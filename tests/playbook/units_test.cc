// Units and dimensions (issue 17, item 1): the unit table, conversions in conditions,
// arithmetic with units, and what lint says about a unit slip.
#include "muster/playbook/units.h"

#include <gtest/gtest.h>

#include "muster/playbook/expression.h"
#include "muster/playbook/load.h"
#include "test_util.h"

namespace muster::playbook {
namespace {

using testing::HasDiagnostic;
using testing::HasHint;
using testing::Load;

double Factor(std::string_view text) {
  const std::optional<Unit> unit = ParseUnit(text);
  EXPECT_TRUE(unit) << text;
  return unit ? unit->factor : 0;
}

std::string Dimension(std::string_view text) {
  const std::optional<Unit> unit = ParseUnit(text);
  return unit ? DescribeDimension(unit->dimension) : "(unknown)";
}

TEST(UnitsTest, CbrneUnitsHaveTheirDimension) {
  EXPECT_EQ(Dimension("µSv/h"), "dose rate");
  EXPECT_EQ(Dimension("uSv/hr"), "dose rate");
  EXPECT_EQ(Dimension("mrem/h"), "dose rate");
  EXPECT_EQ(Dimension("mSv"), "dose");
  EXPECT_EQ(Dimension("mGy/h"), "absorbed dose rate");
  EXPECT_EQ(Dimension("mR/h"), "exposure rate");
  EXPECT_EQ(Dimension("cps"), "count rate");
  EXPECT_EQ(Dimension("cpm"), "count rate");
  EXPECT_EQ(Dimension("MBq"), "activity");
  EXPECT_EQ(Dimension("mCi"), "activity");
  EXPECT_EQ(Dimension("Bq/m³"), "activity concentration");
  EXPECT_EQ(Dimension("Bq/cm^2"), "surface contamination");
  EXPECT_EQ(Dimension("Bq/kg"), "specific activity");
  EXPECT_EQ(Dimension("mg/m³"), "mass concentration");
  EXPECT_EQ(Dimension("µg/m3"), "mass concentration");
  EXPECT_EQ(Dimension("mg/L"), "mass concentration");
  EXPECT_EQ(Dimension("ppm"), "a plain number");
  EXPECT_EQ(Dimension("%"), "a plain number");
  EXPECT_EQ(Dimension("count"), "a plain number");
  EXPECT_EQ(Dimension("kg"), "mass");
  EXPECT_EQ(Dimension("mL"), "volume");
  EXPECT_EQ(Dimension("km"), "length");
  EXPECT_EQ(Dimension("°C"), "temperature");
  EXPECT_EQ(Dimension("hPa"), "pressure");
  EXPECT_EQ(Dimension("mbar"), "pressure");
  EXPECT_EQ(Dimension("min"), "time");
  EXPECT_EQ(Dimension("m/s"), "speed");
  EXPECT_EQ(Dimension("degrees"), "angle");
  EXPECT_EQ(Dimension("%LEL"), "fraction of the lower explosive limit");
  EXPECT_EQ(Dimension("keV"), "energy");
}

TEST(UnitsTest, FactorsAreExact) {
  EXPECT_DOUBLE_EQ(Factor("µSv/h") / Factor("mSv/h"), 1e-3);
  EXPECT_DOUBLE_EQ(Factor("mrem/h") / Factor("µSv/h"), 10);  // 1 mrem = 10 µSv
  EXPECT_DOUBLE_EQ(Factor("µCi") / Factor("kBq"), 37);
  EXPECT_DOUBLE_EQ(Factor("mg/m³") / Factor("µg/m³"), 1000);
  EXPECT_DOUBLE_EQ(Factor("mg/L") / Factor("mg/m³"), 1000);
  EXPECT_DOUBLE_EQ(Factor("ppm") / Factor("ppb"), 1000);
  EXPECT_DOUBLE_EQ(Factor("cpm") * 60, Factor("cps"));
  EXPECT_DOUBLE_EQ(Factor("km/h"), 1000.0 / 3600);
  EXPECT_DOUBLE_EQ(Convert(20, *ParseUnit("°C"), *ParseUnit("°F")), 68);
  EXPECT_DOUBLE_EQ(Convert(0, *ParseUnit("°C"), *ParseUnit("K")), 273.15);
}

TEST(UnitsTest, PowersAndQuotientsCombine) {
  EXPECT_DOUBLE_EQ(Factor("km^-1"), 1e-3);
  EXPECT_DOUBLE_EQ(Factor("cm²"), 1e-4);
  EXPECT_DOUBLE_EQ(Factor("1/h"), 1.0 / 3600);
  EXPECT_EQ(Dimension("Bq/cm^2"), Dimension("Bq·m^-2"));
  EXPECT_EQ(Dimension("kg*m/s²"), "force");
  for (const char* odd : {"/", "m^", "m^-", "m^0", "m^9", "m^-5", "m^99", "µ", "%%", "m²³",
                          "m-1", "mm//s", "m·", "\xff\xfe"}) {
    EXPECT_FALSE(ParseUnit(odd)) << odd;
  }
  EXPECT_FALSE(ParseUnit(std::string(65, 'm'))) << "longer than 64 bytes";
  EXPECT_FALSE(ParseUnit("pm^4/Tm^4/Tm^4/Tm^4/Tm^4/Tm^4/Tm^4")) << "a factor that underflows";
}

TEST(UnitsTest, UnknownUnitsAreRefusedWithAHint) {
  EXPECT_FALSE(ParseUnit("µSv/j"));
  EXPECT_FALSE(ParseUnit("mSv//h"));
  EXPECT_FALSE(ParseUnit("/h"));
  EXPECT_FALSE(ParseUnit("furlongs"));
  EXPECT_EQ(UnitHint("µSv/hrs"), "did you mean 'µSv/hr'?");
  EXPECT_EQ(UnitHint("mg/mm³x"), UnitHint("furlongs")) << "no near miss: the list of units";
  EXPECT_EQ(UnitHint("mSb/h"), "did you mean 'mSv/h'?");
}

// A playbook whose survey records a dose rate in µSv/h (max 100 000) and a sarin
// concentration in µg/m³, and whose parameter is a threshold in mSv/h.
std::string Drill(const std::string& when) {
  return std::string(R"(id: drill
version: "1.0.0"
title: Drill
hazards: [radiological]
roles: [{id: lead, title: Lead}]
phases: [{id: work, title: Work}]
parameters:
  - {id: cordon, type: number, default: 0.1, unit: mSv/h}
steps:
  - id: survey
    title: Survey
    phase: work
    role: lead
    findings:
      - {id: dose_rate, type: number, unit: µSv/h, min: 0, max: 100000}
      - {id: background, type: number, unit: µSv/h}
      - {id: sarin, type: number, unit: µg/m³}
      - {id: temperature, type: number, unit: °C}
triggers:
  - id: t
    when: )") +
         when + R"(
    then:
      - {alert: Check, severity: warning}
)";
}

Truth Eval(const std::string& when, const FindingValues& values) {
  const LoadResult loaded = Load(Drill(when));
  EXPECT_TRUE(loaded.ok()) << testing::AllDiagnostics(loaded);
  if (!loaded.ok()) return Truth::kUnknown;
  const ParsedExpression parsed = ParseExpression(when);
  return Evaluate(*parsed.root, *loaded.playbook, values);
}

TEST(UnitsTest, ConditionsConvertCompatibleUnits) {
  // 1.5 mg/m³ is 1500 µg/m³.
  EXPECT_EQ(Eval("survey.sarin >= 1.5 mg/m³", {{"survey.sarin", 1499.0}}), Truth::kFalse);
  EXPECT_EQ(Eval("survey.sarin >= 1.5 mg/m³", {{"survey.sarin", 1500.0}}), Truth::kTrue);
  EXPECT_EQ(Eval("survey.sarin >= 1.5 mg/m³", {{"survey.sarin", 1500.1}}), Truth::kTrue);
  // The parameter is in mSv/h, the finding in µSv/h: 100 µSv/h meets 0.1 mSv/h exactly.
  EXPECT_EQ(Eval("survey.dose_rate >= param.cordon", {{"survey.dose_rate", 100.0}}), Truth::kTrue);
  EXPECT_EQ(Eval("survey.dose_rate >= param.cordon", {{"survey.dose_rate", 99.9}}), Truth::kFalse);
  EXPECT_EQ(Eval("survey.dose_rate > param.cordon", {{"survey.dose_rate", 100.0}}), Truth::kFalse);
  EXPECT_EQ(Eval("survey.dose_rate == 0.1 mSv/h", {{"survey.dose_rate", 100.0}}), Truth::kTrue);
  EXPECT_EQ(Eval("param.cordon <= survey.dose_rate", {{"survey.dose_rate", 100.0}}), Truth::kTrue);
  EXPECT_EQ(Eval("survey.dose_rate >= 10 mrem/h", {{"survey.dose_rate", 99.0}}), Truth::kFalse);
  EXPECT_EQ(Eval("survey.temperature > 100 °F", {{"survey.temperature", 38.0}}), Truth::kTrue);
  // A bare number is read in the unit of the other side, as before units existed.
  EXPECT_EQ(Eval("survey.dose_rate >= 100", {{"survey.dose_rate", 100.0}}), Truth::kTrue);
  // A parameter overridden at deployment is in its own unit.
  EXPECT_EQ(Eval("survey.dose_rate >= param.cordon",
                 {{"survey.dose_rate", 100.0}, {"param.cordon", 0.2}}),
            Truth::kFalse);
}

TEST(UnitsTest, ArithmeticKeepsUnits) {
  const FindingValues values = {{"survey.dose_rate", 0.9}, {"survey.background", 0.25}};
  EXPECT_EQ(Eval("survey.dose_rate >= 3 × survey.background", values), Truth::kTrue);
  EXPECT_EQ(Eval("survey.dose_rate >= 4 * survey.background", values), Truth::kFalse);
  EXPECT_EQ(Eval("survey.dose_rate - survey.background > 0.6", values), Truth::kTrue);
  EXPECT_EQ(Eval("survey.dose_rate − survey.background > 0.7", values), Truth::kFalse);
  EXPECT_EQ(Eval("survey.dose_rate / survey.background >= 3.6", values), Truth::kTrue);
  EXPECT_EQ(Eval("survey.dose_rate ÷ 2 < 0.5", values), Truth::kTrue);
  EXPECT_EQ(Eval("survey.dose_rate + 0.001 mSv/h >= 1.9", values), Truth::kTrue);
  EXPECT_EQ(Eval("(survey.dose_rate + survey.background) * 2 >= 2.3", values), Truth::kTrue);
  EXPECT_EQ(Eval("survey.dose_rate > -1 µSv/h", values), Truth::kTrue);
  EXPECT_EQ(Eval("-survey.dose_rate < 0", values), Truth::kTrue);
  // Precedence: 1 + 2 * 3 is 7, not 9.
  EXPECT_EQ(Eval("survey.dose_rate + 2 * 3 < 8", values), Truth::kTrue);
  // Dividing by a zero background says nothing, never true.
  EXPECT_EQ(Eval("survey.dose_rate / survey.background >= 3",
                 {{"survey.dose_rate", 1.0}, {"survey.background", 0.0}}),
            Truth::kUnknown);
  EXPECT_EQ(Eval("survey.dose_rate >= 3 × survey.background", {{"survey.dose_rate", 1.0}}),
            Truth::kUnknown);
}

TEST(UnitsTest, ListsCompareQuantitiesAndArithmetic) {
  EXPECT_EQ(Eval("survey.dose_rate * 2 in [4, 6]", {{"survey.dose_rate", 3.0}}), Truth::kTrue);
  EXPECT_EQ(Eval("survey.dose_rate in [0.003 mSv/h]", {{"survey.dose_rate", 3.0}}), Truth::kTrue);
  EXPECT_FALSE(Load(Drill("survey.dose_rate in [5 mg/m³]")).ok());
}

TEST(UnitsTest, ArithmeticThatBuildsAnImplausibleUnitIsRefused) {
  std::string when = "survey.dose_rate > 0";
  std::string product = "1 m";
  for (int i = 0; i < 12; ++i) product += " * 1 m";
  EXPECT_FALSE(Load(Drill(when + " and " + product + " > 1")).ok());
  std::string chain = "survey.dose_rate";
  for (int i = 0; i < 40; ++i) chain += " + 1";
  EXPECT_FALSE(Load(Drill(chain + " > 1")).ok()) << "forty '+' in a row";
}

TEST(UnitsTest, ComparingDifferentDimensionsIsAnErrorWithLineAndColumn) {
  const LoadResult result = Load(Drill("survey.dose_rate >= 5 mg/m³"));
  EXPECT_FALSE(result.ok());
  // Line 24 holds `when:`; the threshold starts at column 31.
  EXPECT_TRUE(HasDiagnostic(
      result,
      "t.yaml:21:31: error: in the condition of trigger 't': cannot compare survey.dose_rate "
      "(dose rate, µSv/h) with 5 mg/m³ (mass concentration, mg/m³)"));
  EXPECT_FALSE(Load(Drill("survey.sarin > param.cordon")).ok());
  EXPECT_TRUE(HasDiagnostic(
      Load(Drill("survey.dose_rate + survey.sarin > 1")),
      "t.yaml:21:30: error: in the condition of trigger 't': cannot add survey.sarin (mass "
      "concentration, µg/m³) to survey.dose_rate (dose rate, µSv/h)"));
  EXPECT_FALSE(Load(Drill("survey.temperature * 2 > 50")).ok()) << "°C has a shifted zero";
}

TEST(UnitsTest, UnknownUnitInAConditionIsAnErrorWithDidYouMean) {
  const LoadResult result = Load(Drill("survey.dose_rate >= 5 µSv/hrs"));
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:21:31: error: in the condition of trigger 't': unknown unit "
                            "'µSv/hrs' after 5 µSv/hrs"));
  EXPECT_TRUE(HasHint(result, "did you mean 'µSv/hr'?"));
}

TEST(UnitsTest, AThresholdBeyondTheFieldsRangeWarns) {
  LoadResult result = Load(Drill("survey.dose_rate >= 200 mSv/h"));
  EXPECT_TRUE(result.ok());
  EXPECT_TRUE(HasDiagnostic(
      result,
      "t.yaml:21:31: warning: in the condition of trigger 't': 200 mSv/h is beyond what "
      "survey.dose_rate expects (max 100000 µSv/h): the condition holds only for a value a "
      "member confirms as out of range"));
  EXPECT_TRUE(HasDiagnostic(Load(Drill("-5 > survey.dose_rate")),
                            "t.yaml:21:11: warning: in the condition of trigger 't': -5 is "
                            "beyond what survey.dose_rate expects (min 0 µSv/h): the condition "
                            "holds only for a value a member confirms as out of range"));
  result = Load(Drill("survey.dose_rate >= 100 mSv/h"));
  EXPECT_EQ(result.diagnostics.size(), 0u) << testing::AllDiagnostics(result);
}

TEST(UnitsTest, UnknownUnitOnAFieldOrParameterWarns) {
  std::string text = Drill("survey.dose_rate > 1");
  LoadResult result = Load(testing::Edit(text, "unit: µg/m³", "unit: ug/m^3x"));
  EXPECT_TRUE(result.ok());
  EXPECT_TRUE(HasHint(result, "did you mean 'ug/m^3'?") || HasHint(result, UnitHint("ug/m^3x")));
  result = Load(testing::Edit(text, "unit: mSv/h}", "unit: mSv/j}"));
  EXPECT_TRUE(HasDiagnostic(result,
                            "t.yaml:8:52: warning: unknown unit 'mSv/j' of parameter 'cordon': "
                            "conditions cannot convert it or check its dimension"));
  result = Load(testing::Edit(text, "{id: cordon, type: number, default: 0.1, unit: mSv/h}",
                              "{id: cordon, type: string, unit: mSv/h}"));
  EXPECT_FALSE(result.ok()) << "a unit on a string parameter";
}

TEST(UnitsTest, AParameterWithoutAUnitWarns) {
  const std::string text =
      testing::Edit(Drill("survey.dose_rate >= param.cordon"), ", unit: mSv/h}", "}");
  const LoadResult result = Load(text);
  EXPECT_TRUE(result.ok());
  EXPECT_TRUE(HasHint(result, "give parameter 'cordon' 'unit: µSv/h'"));
}

}  // namespace
}  // namespace muster::playbook
