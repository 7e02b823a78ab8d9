// Time's part in a deployment at HQ, as core's playbook/schedule.h decides it: opening
// the occurrences of recurring steps and firing the escalations of overdue or blocked
// tasks, by HQ's clock; and taking in an occurrence or an escalation an agent reached
// offline, by its own clock, before HQ did. Thread: the one of its HqDatabase.
#pragma once

#include <cstdint>
#include <string>

#include "domain/deployments.h"
#include "domain/playbook_library.h"
#include "muster/result.h"
#include "store/hq_database.h"
#include "sync/dispatch.h"
#include "sync/team_relay.h"

namespace muster::hq {

class TaskSchedule : OverDatabase {
 public:
  TaskSchedule(HqDatabase& database, PlaybookLibrary& playbooks, Deployments& deployments,
               Dispatch& dispatch, TeamRelay& team)
      : OverDatabase(database),
        playbooks_(playbooks),
        deployments_(deployments),
        dispatch_(dispatch),
        team_(team) {}

  // One pass over the active deployments, in one transaction: opens every occurrence
  // that is due and fires every escalation that is reached. Returns what changed.
  Result<TaskEffects> Sweep();

  // Makes occurrence |task_id| ("BASE#k") when |member|'s agent reports on it before HQ
  // opened it: its base task is the member's, its step recurs, and k is an occurrence
  // that could have opened by HQ's clock give or take kClockTolerance. Does nothing for
  // any other id; the record's own checks then refuse what is not the member's.
  Status EnsureOccurrence(const std::string& member, const std::string& task_id,
                          TaskEffects& effects);

  // Fires escalation |id| of task |task_id| once, for an agent that reached it offline:
  // invalid_value when |id| names no escalation of the task's step.
  Status FireEscalation(const std::string& task_id, const std::string& id,
                        const std::string& source, TaskEffects& effects);

  // How far ahead of HQ an agent's clock may open an occurrence (a laptop a day fast).
  static constexpr Millis kClockTolerance = 48LL * 3600 * 1000;

 private:
  Status OpenOccurrences(TaskEffects& effects);
  Status Escalate(TaskEffects& effects);
  // Inserts occurrence |number| of base task |base| (of |step| and |member|).
  Status InsertOccurrence(std::int64_t deployment_id, const playbook::Step& step,
                          const std::string& base, const std::string& member, Millis first_ready,
                          int number, std::vector<std::string>& opened);

  PlaybookLibrary& playbooks_;
  Deployments& deployments_;
  Dispatch& dispatch_;
  TeamRelay& team_;
};

}  // namespace muster::hq
