// The in-memory form of a playbook: what a loaded, validated YAML playbook means.
// The coordinator, the agent and the console all build it with playbook::Load (load.h),
// so a playbook means the same thing everywhere. docs/playbooks.md specifies the YAML.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "muster/playbook/marking.h"

namespace muster::playbook {

// 1-based line and column in the YAML source; 0 when unknown.
struct SourcePos {
  int line = 0;
  int column = 0;
};

enum class Hazard { kChemical, kBiological, kRadiological, kNuclear, kExplosive };

// What the steps that wait on an optional role's steps do when a deployment leaves the
// role empty: go ahead without them, or wait until HQ adds a member to the role.
enum class WhenEmpty { kUnsaid, kSkip, kWait };

struct Role {
  std::string id;
  std::string title;
  int count = 1;                            // how many members fill it
  bool required = true;                     // a deployment may not leave it empty
  WhenEmpty when_empty = WhenEmpty::kUnsaid;  // optional roles only; kUnsaid acts as kSkip
  std::vector<std::string> qualifications;  // any member holding all of them may fill it
  SourcePos pos;
};

enum class ParamType { kString, kNumber, kBoolean, kDuration };

struct Parameter {
  std::string id;
  ParamType type = ParamType::kString;
  std::string default_value;  // as written in YAML; empty when none
  std::string description;
  std::string unit;           // numbers only, e.g. "µSv/h"; see units.h
  SourcePos pos;
};

struct Phase {
  std::string id;
  std::string title;
  SourcePos pos;
};

enum class FieldType {
  kNumber,
  kText,
  kEnum,
  kBoolean,
  kTime,
  kGeolocation,
  kSampleId,
  kAttachment,
  kPerson,  // a person met: NAME|DATE OF BIRTH|DOCUMENT|NATIONALITY (watchlist/matcher.h)
};

// What a finding field tells the programme's monthly intelligence report
// (docs/playbooks.md, "Report roles"): a seizure's material and quantity, the trafficking
// route (origin, transit, destination: ISO 3166-1 country codes or place names) and the
// methods used (free-text tags, separated by commas).
enum class ReportRole { kNone, kMaterial, kQuantity, kOrigin, kTransit, kDestination, kMethod };

// One typed value a member records for a step.
struct FieldSpec {
  std::string id;
  std::string label;
  FieldType type = FieldType::kText;
  bool required = false;
  std::string unit;                  // numbers only, e.g. "µSv/h"; see units.h
  std::optional<double> min;         // numbers only: the expected range
  std::optional<double> max;
  std::vector<std::string> options;  // enums only
  std::string pattern;               // sample ids only: e.g. "^RN-[0-9]{4}$"
  ReportRole report = ReportRole::kNone;
  SourcePos pos;
};

enum class Priority { kLow, kNormal, kHigh, kCritical };

// When a step whose role several members fill is done: when every member has completed
// their task (all, the default), or as soon as one has (any; the others' tasks close).
enum class Completion { kAll, kAny };

enum class ActionKind { kActivate, kAlert, kNotify, kStandDown };

// What `stand_down:` names for the whole deployment rather than one phase.
inline constexpr const char* kWholeDeployment = "deployment";

struct TriggerAction {
  ActionKind kind = ActionKind::kAlert;
  std::string step;      // kActivate: the step to activate
  std::string message;   // kAlert / kNotify: text for people; kStandDown: the reason
  std::string severity;  // kAlert: "info" | "warning" | "critical"
  std::string phase;     // kStandDown: a phase id, or kWholeDeployment
  std::string role;      // kNotify: the role whose members are told (`to:`); empty: HQ only
};

// What makes a step's task escalate: it is past its due time by `after`, or its member
// reports it blocked.
enum class EscalateWhen { kOverdue, kBlocked };

// `escalate:` on a step: once per task, when |when| happens, the actions run (alert,
// activate, notify; never stand_down).
struct Escalation {
  EscalateWhen when = EscalateWhen::kOverdue;
  std::int64_t after_ms = 0;  // kOverdue: how long past the due time
  std::vector<TriggerAction> then;
  SourcePos pos;
};

struct Step {
  std::string id;
  std::string title;
  std::string phase;                    // id of a Phase
  std::string role;                     // id of a Role
  std::string instructions;             // Markdown, shown verbatim
  std::vector<std::string> depends_on;  // ids of Steps
  std::vector<std::string> checklist;
  std::int64_t due_in_ms = 0;           // 0: no due time; counted from when the task is ready
  Priority priority = Priority::kNormal;
  bool on_trigger = false;              // dormant until a trigger activates it
  std::int64_t every_ms = 0;            // recurring: a new occurrence each period; see schedule.h
  int times = 0;                        // recurring: at most this many occurrences; 0: no limit
  Completion completion = Completion::kAll;
  Marking marking;                      // as written; Playbook::MarkingOf raises it
  std::vector<Escalation> escalate;
  std::vector<FieldSpec> findings;
  std::string from_library;             // library file the step was included from, if any
  SourcePos pos;
};


// `when` an expression over findings holds, `then` the actions run, once per deployment.
// `else`: once the steps the condition reads are done and it is false, those run instead.
struct Trigger {
  std::string id;
  std::string when;  // the expression as written; see expression.h
  std::vector<TriggerAction> then;
  std::vector<TriggerAction> otherwise;  // `else:`
  SourcePos pos;
};

struct Playbook {
  std::string id;
  std::string version;  // semantic version, "1.2.0"
  std::string title;
  std::vector<Hazard> hazards;
  std::string summary;
  std::vector<std::string> authors;
  std::string valid_from;   // as written: a date or UTC time; empty: no limit (validity.h)
  std::string valid_until;
  std::vector<Role> roles;
  std::vector<Parameter> parameters;
  std::vector<Phase> phases;
  std::vector<Step> steps;  // in document order, library steps expanded in place
  std::vector<Trigger> triggers;
  Marking marking;  // the least every step and finding carries

  // The self-contained text the playbook was built from: the file itself when it
  // includes nothing, otherwise the file with its included libraries carried along in a
  // form LoadText accepts without touching the disk. This is what is published, pinned
  // by a deployment and sent to agents.
  std::string source;
  // sha256 of |source|, lowercase hex; with id and version it is the playbook's
  // identity. Two sources that differ in a single byte have different hashes.
  std::string content_hash;

  const Step* FindStep(const std::string& step_id) const;
  const Role* FindRole(const std::string& role_id) const;
  // The marking of |step|'s work and findings: the playbook's, raised by the step's own.
  Marking MarkingOf(const Step& step) const { return Raise(marking, step.marking); }
};

// Whether the steps that depend on |step_id| wait when a deployment has no one to do it:
// its role is optional and says `when_empty: wait`.
bool WaitsForEmptyRole(const Playbook& playbook, const std::string& step_id);

const char* ToString(Hazard hazard);
const char* ToString(FieldType type);
const char* ToString(Priority priority);
const char* ToString(ParamType type);
const char* ToString(ActionKind kind);
const char* ToString(EscalateWhen when);
const char* ToString(Completion completion);
const char* ToString(ReportRole role);  // "" for kNone

}  // namespace muster::playbook
