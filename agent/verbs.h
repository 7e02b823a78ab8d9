// The member's verbs. Each works against the local store only, so it answers at once
// with or without the daemon and with or without any network. Output goes to |out|;
// errors are returned as Status for main.cc to print.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "agent_store.h"

namespace muster::agent {

struct FieldArg {
  std::string name;
  std::string value;
};

// Splits "NAME=VALUE"; an error names the argument and the expected form.
Result<FieldArg> ParseFieldArg(const std::string& text);

// HQ's time as this laptop best knows it: its own clock corrected by the offset from
// HQ's it last measured (clock_offset.h; the laptop's own before the first contact). Due
// times, a recurring step's occurrences, escalations and the team view's age are HQ's
// times, read against this.
OffsetClock ClockOfHq(AgentStore& store, const Clock& laptop);

Status ListTasks(AgentStore& store, const Clock& clock, bool json, std::ostream& out);
// Task ids and their step ids, one per line, for shell completion (`__complete task`).
Status PrintTaskIds(AgentStore& store, std::ostream& out);
Status ShowTask(AgentStore& store, const std::string& task, bool json, std::ostream& out);
// ack | start: moves the task and records the status change for HQ.
Status SetState(AgentStore& store, const std::string& task, const std::string& state,
                const std::string& reason, bool force, std::ostream& out);
// Records a finding (if |fields| is not empty) and, when |complete|, completes the task,
// in one transaction. Values are checked against the step's finding schema; a value out
// of the expected range needs |confirm|. Triggers are evaluated at once, offline.
// Files named by attachment fields (--field sketch=PATH) and by |attach| are copied into
// the store and travel to HQ in chunks, after status and findings. |marking| raises the
// finding's handling marking above its step's (refused if it would lower it).
Status RecordFinding(AgentStore& store, const std::string& task,
                     const std::vector<std::string>& fields, bool confirm, bool complete,
                     bool force, std::ostream& out, const std::vector<std::string>& attach = {},
                     const std::string& marking = "");
Status RecordNote(AgentStore& store, const std::string& task, const std::string& text,
                  std::ostream& out);
// Checks in with the member's position, |place| as `latitude,longitude` (the geolocation
// field's rule, playbook/fields.h): a `position` record, sent with the status updates.
Status CheckIn(AgentStore& store, const std::string& place, std::ostream& out);
// Ticks (or, with |checked| false, unticks) an item of the task's checklist: |item| is
// its number from 1 or words that name exactly one item. Refused on a task HQ took away
// unless |force|. HQ learns it like a status change.
Status TickItem(AgentStore& store, const std::string& task, const std::string& item,
                bool checked, bool force, std::ostream& out);
Status RaiseAlert(AgentStore& store, const std::string& task, const std::string& message,
                  const std::string& severity, std::ostream& out);
Status ShowStatus(AgentStore& store, const Clock& clock, bool json, std::ostream& out);
// Every record with its receipt: only local, sent, or acknowledged by HQ, and when.
Status ShowLog(AgentStore& store, const std::string& task, bool json, std::ostream& out);

}  // namespace muster::agent
