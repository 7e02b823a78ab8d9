// An exercise script (docs/programme.md, "Exercises"): the injects an exercise controller
// plans for a running exercise, each at a time counted from the moment HQ starts playing
// the script. HQ plays them (coordinator/domain/exercises.h); this file reads and checks
// the YAML, so that a controller's mistake is named with its line before anything fires.
//
//   exercise: Border drill, Narva crossing
//   injects:
//     - at: 20m
//       reading: {to: radiation_specialist, what: gamma dose rate at the cab,
//                 value: "45", unit: µSv/h}
//     - at: 30m
//       message: {to: team_leader, text: Border police turned back a second truck}
//     - at: 45m
//       alert: {severity: critical, text: A second source is reported at gate 4}
//     - at: 1h
//       silence: {member: paulo, for: 30m}
//
// `to` names a role of the exercise's deployments or a member. Thread-safety: plain data.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "muster/clock.h"
#include "muster/result.h"

namespace muster::exercise {

// The convention that marks everything belonging to an exercise, on every view.
inline constexpr const char* kExerciseMark = "EXERCISE EXERCISE EXERCISE";
// |text| as an exercise says it: "EXERCISE EXERCISE EXERCISE — TEXT".
[[nodiscard]] std::string Marked(std::string_view text);

enum class InjectKind {
  kReading,  // a simulated instrument reading shown on the laptops of |to|
  kMessage,  // a message shown on the laptops of |to|
  kAlert,    // an alert raised at HQ, as if reported
  kSilence,  // |member|'s laptops are not heard at HQ for |for_ms| (a lost link)
};
[[nodiscard]] const char* InjectKindName(InjectKind kind);

struct Inject {
  int line = 0;        // of the script, from 1
  Millis at_ms = 0;    // from the start of play
  InjectKind kind = InjectKind::kMessage;
  std::string to;      // reading, message: a role or a member id
  std::string text;    // message, alert: the text; reading: what was measured
  std::string value;   // reading
  std::string unit;    // reading
  std::string severity;  // alert: info, warning or critical
  std::string member;  // silence
  Millis for_ms = 0;   // silence

  // One line for people: "reading to radiation_specialist: gamma dose rate 45 µSv/h".
  [[nodiscard]] std::string Summary() const;
  // What a member's laptop shows, marked as an exercise.
  [[nodiscard]] std::string FieldText() const;
};

struct Script {
  std::string name;
  std::vector<Inject> injects;  // in order of |at_ms|, then of the script
};

inline constexpr std::size_t kMaxInjects = 500;
inline constexpr Millis kMaxOffset = 30LL * 86'400'000;  // 30 days

// Parses and checks |text|; |file| names it in errors ("script.yaml:12: ..."), each with
// the fix.
[[nodiscard]] Result<Script> ParseScript(std::string_view text, const std::string& file);

}  // namespace muster::exercise
