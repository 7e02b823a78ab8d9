#include "schedule.h"

#include <set>
#include <string>
#include <vector>

#include "fired_actions.h"
#include "muster/display.h"
#include "muster/playbook/schedule.h"

namespace muster::agent {
namespace {

bool SeriesOpen(const Task& task) {
  return task.ready_at && task.hq_state != "cancelled" && task.hq_state != "reassigned" &&
         task.local_state != "cancelled";
}

// Adds the occurrences that have opened by |now|; returns their ids.
Result<std::vector<std::string>> OpenOccurrences(AgentStore& store, const std::vector<Task>& tasks,
                                                 Millis now) {
  std::vector<std::string> opened;
  for (const Task& task : tasks) {
    const auto ref = playbook::ParseOccurrence(task.id);
    if (!ref || ref->number != 1 || !SeriesOpen(task)) continue;
    auto book = store.PlaybookByHash(task.playbook);
    if (!book.ok()) continue;  // its playbook has not arrived: nothing to open yet
    const playbook::Step* step = (*book)->FindStep(task.step);
    if (step == nullptr || step->every_ms <= 0) continue;
    const int open = playbook::OccurrencesOpen(*step, *task.ready_at, now);
    for (int k = 2; k <= open; ++k) {
      const std::string id = playbook::OccurrenceId(task.id, k);
      auto added = store.AddOccurrence(task, id, playbook::OccurrenceAt(*step, *task.ready_at, k));
      if (!added.ok()) return added.status();
      if (*added) opened.push_back(id);
    }
  }
  return opened;
}

// Fires the escalations the member's tasks have reached by |now|; returns them.
Result<std::vector<playbook::FiredTrigger>> Escalate(AgentStore& store,
                                                     const std::vector<Task>& tasks, Millis now) {
  std::vector<playbook::FiredTrigger> fired;
  Status status = store.outbox().Transaction([&]() -> Status {
    for (const Task& task : tasks) {
      auto book = store.PlaybookByHash(task.playbook);
      if (!book.ok()) continue;
      const playbook::Step* step = (*book)->FindStep(task.step);
      if (step == nullptr || step->escalate.empty() || task.dormant) continue;
      auto already = store.FiredTriggers(task.deployment);
      if (!already.ok()) return already.status();
      const std::set<std::string> done(already->begin(), already->end());
      for (const playbook::DueEscalation& hit :
           playbook::DueEscalations(*step, task.id, store.DisplayState(task, tasks), task.due_at,
                                    now, done)) {
        playbook::FiredTrigger escalation{hit.id, step->escalate[hit.index].then};
        MUSTER_RETURN_IF_ERROR(ApplyFired(store, task, **book, escalation));
        fired.push_back(std::move(escalation));
      }
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return fired;
}

}  // namespace

Status RunSchedule(AgentStore& store, const Clock& clock, std::ostream& out) {
  const Millis now = clock.Now();
  auto tasks = store.Tasks();
  if (!tasks.ok()) return tasks.status();
  auto opened = OpenOccurrences(store, *tasks, now);
  if (!opened.ok()) return opened.status();
  if (!opened->empty()) {
    tasks = store.Tasks();
    if (!tasks.ok()) return tasks.status();
  }
  auto fired = Escalate(store, *tasks, now);
  if (!fired.ok()) return fired.status();
  for (const std::string& id : *opened) out << "NEW: " << id << " (a recurring step)\n";
  PrintFired(*fired, out);
  return Status::Ok();
}

Status PrintNewNotices(AgentStore& store, std::ostream& out) {
  auto notices = store.TakeUnseenNotices();
  if (!notices.ok()) return notices.status();
  for (const Notice& notice : *notices) {
    out << "NOTICE"
        << (notice.role.empty() ? "" : " for the " + ForTerminal(notice.role) + " role") << " ("
        << ForTerminal(notice.source) << ", " << FormatTimestamp(notice.received_at)
        << "): " << ForTerminal(notice.text) << "\n";
  }
  return Status::Ok();
}

}  // namespace muster::agent
