// A small playbook for the tests of recurring steps and escalations: a perimeter survey
// due in 20 minutes that escalates when overdue (an alert, a backup survey activated, the
// team leaders told) or blocked, a SITREP every 30 minutes, three in all, and a handover
// that waits on the SITREP.
#pragma once

namespace muster::coordtest {

inline constexpr const char* kWatchPlaybook = R"(id: watch
version: 1.0.0
title: Cordon watch
hazards: [radiological]
roles:
  - id: team_leader
    title: Team leader
phases:
  - id: hold
    title: Hold the cordon
steps:
  - id: survey
    title: Perimeter survey
    phase: hold
    role: team_leader
    due_in: 20m
    escalate:
      - when: overdue
        then:
          - alert: The perimeter survey is overdue
            severity: critical
          - activate: backup_survey
          - notify: Survey overdue; backup survey started
            to: team_leader
      - when: blocked
        then:
          - alert: The perimeter survey is blocked
  - id: backup_survey
    title: Backup survey from the vehicle
    phase: hold
    role: team_leader
    on_trigger: true
  - id: sitrep
    title: SITREP to HQ
    phase: hold
    role: team_leader
    every: 30m
    times: 3
    findings:
      - id: summary
        type: text
        required: true
  - id: handover
    title: Hand the watch over
    phase: hold
    role: team_leader
    depends_on: [sitrep]
)";

}  // namespace muster::coordtest
