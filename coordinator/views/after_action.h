// The after-action report of an exercise (docs/programme.md, "After the exercise"): what
// the team did against what the playbooks planned, read from the store once the exercise
// has run (or while it runs, up to now). Figures, all in HQ's time:
// - steps (a recurring step by its first occurrence): each step's planned time (its
//   due_in) against the actual one (from its first task ready to its last completed, or
//   its first for `completion: any`); its state: done, open, never ready, unfinished (its
//   deployment closed first) or cancelled (an officer excused every task); overdue steps
//   and how late (a reassigned task's lateness counts), how often its tasks were blocked;
// - alerts raised between the start and the end: from each to its acknowledgement;
// - check-in gaps: each time HQ received no record from a member for longer than their
//   check-in interval, while they served in the exercise;
// - conflicts (alerts of kind conflict), and the injects, planned against fired.
// The console draws the charts and writes the Markdown (console/after_action.h).
// Thread: the one of its HqDatabase (the API's). Reads only.
#pragma once

#include <string>

#include "domain/exercises.h"
#include "domain/playbook_library.h"
#include "muster/result.h"
#include "store/hq_database.h"

namespace muster::hq {

class AfterAction : OverDatabase {
 public:
  AfterAction(HqDatabase& database, PlaybookLibrary& playbooks, Exercises& exercises)
      : OverDatabase(database), playbooks_(playbooks), exercises_(exercises) {}

  // not_found (no incident, or no script played in it).
  Result<json> Report(const std::string& incident_id);

 private:
  // The end of the exercise: as recorded (Exercises), else the last deployment's close
  // when all are closed, else now.
  Millis EndOf(const std::string& incident_id, const json& run);
  json Steps(const std::string& incident_id, Millis end);
  json Alerts(const std::string& incident_id, Millis start, Millis end);
  json CheckinGaps(const std::string& incident_id, Millis start, Millis end);

  PlaybookLibrary& playbooks_;
  Exercises& exercises_;
};

}  // namespace muster::hq
