// What time does to a deployment's tasks, decided by the same code on the agent (offline,
// by its own clock) and at HQ: the occurrences of recurring steps (`every:`) and the
// escalations of overdue or blocked tasks (`escalate:`). docs/playbooks.md specifies both.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "muster/clock.h"
#include "muster/playbook/model.h"

namespace muster::playbook {

// --- recurring steps ---

// Occurrence 1 of a recurring step is the task HQ created at deployment; occurrence
// k ≥ 2 is a task of its own with the id "BASE#k", made by whichever side sees it open
// first. Both sides name it alike, so a completion recorded offline finds its task at HQ.
std::string OccurrenceId(const std::string& base_task, int number);

struct OccurrenceRef {
  std::string base;  // the id of occurrence 1
  int number = 1;
};
// The base task and the number of |task_id|; nullopt for a malformed suffix ("#0", "#x").
std::optional<OccurrenceRef> ParseOccurrence(const std::string& task_id);

// The most occurrences a recurring step can have, whatever its `times`: a month at one
// a minute is below it, a runaway clock is not.
inline constexpr int kMaxOccurrences = 50000;

struct OccurrenceTimes {
  Millis opens_at = 0;
  Millis due_at = 0;
};
// Occurrence |number| opens |number|−1 periods after |first_ready| (when occurrence 1 became
// ready) and is due `due_in` after it opens, or one period after when the step has none.
OccurrenceTimes OccurrenceAt(const Step& step, Millis first_ready, int number);

// How many occurrences of recurring |step| have opened by |now|: at least 1, at most
// `times` when given, and at most kMaxOccurrences.
int OccurrencesOpen(const Step& step, Millis first_ready, Millis now);

// --- escalations ---

// An escalation fires once per task, under the id "escalate:TASK:INDEX" (INDEX into the
// step's `escalate` list). The agent sends the id to HQ as a trigger record; HQ fires an
// id at most once, whichever side saw it first.
std::string EscalationId(const std::string& task_id, std::size_t index);

struct EscalationRef {
  std::string task;
  std::size_t index = 0;
};
std::optional<EscalationRef> ParseEscalationId(const std::string& id);

struct DueEscalation {
  std::string id;  // EscalationId(task, index)
  std::size_t index = 0;
};
// The escalations of |step| that task |task_id| has reached at |now| and whose ids are not
// in |already_fired|: overdue once |now| is past |due_at| by the escalation's `after` and
// the task is still open (|state| not completed, cancelled or reassigned); blocked while
// |state| is "blocked".
std::vector<DueEscalation> DueEscalations(const Step& step, const std::string& task_id,
                                          const std::string& state, std::optional<Millis> due_at,
                                          Millis now, const std::set<std::string>& already_fired);

}  // namespace muster::playbook
