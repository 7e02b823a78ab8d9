// The exercise script (muster/exercise/script.h): what a controller writes is read into
// injects in time order, and each mistake is named with its line and its fix.
#include <gtest/gtest.h>

#include "muster/exercise/script.h"

namespace muster::exercise {
namespace {

constexpr Millis kMinute = 60'000;

std::string ErrorOf(const std::string& text) {
  auto script = ParseScript(text, "drill.yaml");
  EXPECT_FALSE(script.ok()) << text;
  return script.ok() ? "" : script.status().message();
}

TEST(ExerciseScriptTest, ReadsEveryKindInTimeOrder) {
  auto script = ParseScript(R"(exercise: Border drill
injects:
  - at: 1h
    silence: {member: paulo, for: 30m}
  - at: 20m
    reading:
      to: radiation_specialist
      what: gamma dose rate at the cab
      value: "45"
      unit: µSv/h
  - at: 45m
    alert: {severity: critical, text: A second source at gate 4}
  - at: 20m
    message: {to: team_leader, text: Police turned back a truck}
)",
                            "drill.yaml");
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_EQ(script->name, "Border drill");
  ASSERT_EQ(script->injects.size(), 4u);
  const Inject& reading = script->injects[0];
  EXPECT_EQ(reading.kind, InjectKind::kReading);
  EXPECT_EQ(reading.at_ms, 20 * kMinute);
  EXPECT_EQ(reading.line, 5);
  EXPECT_EQ(reading.Summary(), "reading to radiation_specialist: gamma dose rate at the cab 45 µSv/h");
  EXPECT_EQ(reading.FieldText(),
            "EXERCISE EXERCISE EXERCISE — simulated reading: gamma dose rate at the cab 45 µSv/h");
  EXPECT_EQ(script->injects[1].kind, InjectKind::kMessage);  // same time: script order
  EXPECT_EQ(script->injects[1].FieldText(), "EXERCISE EXERCISE EXERCISE — Police turned back a truck");
  EXPECT_EQ(script->injects[2].severity, "critical");
  EXPECT_EQ(script->injects[3].kind, InjectKind::kSilence);
  EXPECT_EQ(script->injects[3].for_ms, 30 * kMinute);
  EXPECT_EQ(script->injects[3].Summary(), "paulo silent for 30m");
}

TEST(ExerciseScriptTest, AnAlertIsAWarningUnlessTheScriptSaysOtherwise) {
  auto script = ParseScript("exercise: x\ninjects:\n  - at: 0s\n    alert: {text: hi}\n", "f");
  ASSERT_TRUE(script.ok()) << script.status().ToString();
  EXPECT_EQ(script->injects[0].severity, "warning");
}

TEST(ExerciseScriptTest, NamesEachMistakeWithItsLineAndFix) {
  EXPECT_EQ(ErrorOf("exercise: x\ninjects:\n  - at: soon\n    alert: {text: x}\n"),
            "drill.yaml:3: inject 1: 'at' must be a duration such as 20m or 1h30m, at most 30d");
  EXPECT_EQ(ErrorOf("exercise: x\ninjects:\n  - at: 5m\n    phone: {to: a}\n"),
            "drill.yaml:3: inject 1: 'phone' is no inject; write one of reading, message, alert "
            "or silence");
  EXPECT_EQ(ErrorOf("exercise: x\ninjects:\n  - at: 5m\n    alert: {text: a}\n"
                    "    message: {to: a, text: b}\n"),
            "drill.yaml:5: inject 1 has both 'alert' and 'message'; write one inject per list item");
  EXPECT_EQ(ErrorOf("exercise: x\ninjects:\n  - at: 5m\n    message: {text: b}\n"),
            "drill.yaml:4: inject 1 (message) needs 'to'");
  EXPECT_EQ(ErrorOf("exercise: x\ninjects:\n  - at: 5m\n    message: {to: a, txt: b}\n"),
            "drill.yaml:4: inject 1 (message) has no 'txt'; it takes text, to");
  EXPECT_EQ(ErrorOf("exercise: x\ninjects:\n  - at: 5m\n    alert: {severity: urgent, text: b}\n"),
            "drill.yaml:4: inject 1 (alert): severity must be info, warning or critical");
  EXPECT_EQ(ErrorOf("exercise: x\ninjects:\n  - at: 5m\n    silence: {member: a, for: 0s}\n"),
            "drill.yaml:4: inject 1 (silence): 'for' must be a duration such as 20m or 1h30m, "
            "more than zero, at most 30d");
  EXPECT_EQ(ErrorOf("exercise: x\ninjects:\n  - at: 31d\n    alert: {text: b}\n"),
            "drill.yaml:3: inject 1: 'at' must be a duration such as 20m or 1h30m, at most 30d");
  EXPECT_EQ(ErrorOf("exercise: x\ninjects: []\n"),
            "drill.yaml:2: injects: must be a list of at least one inject (docs/programme.md)");
  EXPECT_EQ(ErrorOf("injects:\n  - at: 5m\n    alert: {text: b}\n"),
            "drill.yaml:1: the script needs 'exercise'");
  EXPECT_EQ(ErrorOf("- a\n- b\n"),
            "drill.yaml:1: an exercise script is a map with exercise: (its name) and injects:");
  EXPECT_NE(ErrorOf("exercise: [x\n").find("drill.yaml:"), std::string::npos);
  EXPECT_NE(ErrorOf(std::string("exercise: x\x01\n")).find("drill.yaml:1:"), std::string::npos);
  EXPECT_NE(ErrorOf("exercise: x\nmode: live\ninjects:\n  - at: 5m\n    alert: {text: b}\n")
                .find("the script has no 'mode'"),
            std::string::npos);
}

TEST(ExerciseScriptTest, RefusesMoreInjectsOrLongerTextThanAllowed) {
  std::string many = "exercise: x\ninjects:\n";
  for (std::size_t i = 0; i <= kMaxInjects; ++i) many += "  - at: 1m\n    alert: {text: b}\n";
  EXPECT_NE(ErrorOf(many).find("the limit is 500"), std::string::npos);
  const std::string long_text(1001, 'a');
  EXPECT_NE(ErrorOf("exercise: x\ninjects:\n  - at: 5m\n    alert: {text: " + long_text + "}\n")
                .find("1000"),
            std::string::npos);
}

}  // namespace
}  // namespace muster::exercise
