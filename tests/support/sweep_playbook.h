// A small playbook for the tests of `completion: any` and `else`: two searchers sweep an
// area and either one finishing is enough; the team leader's vapour check decides, by its
// trigger, between calling the specialists and (else) declaring the area clear once the
// sweep is done. Its condition is arithmetic with units: at least three times the
// background (in ppb) plus half a ppm.
#pragma once

namespace muster::coordtest {

inline constexpr const char* kSweepPlaybook = R"(id: sweep
version: 1.0.0
title: Two-searcher sweep
hazards: [chemical]
roles:
  - id: team_leader
    title: Team leader
  - id: searcher
    title: Searcher
    count: 2
phases:
  - id: search
    title: Search
steps:
  - id: sweep_area
    title: Sweep the area
    phase: search
    role: searcher
    completion: any
  - id: check_vapour
    title: Check for vapour
    phase: search
    role: team_leader
    findings:
      - id: vapour
        type: number
        unit: ppm
        required: true
      - id: background
        type: number
        unit: ppb
        required: true
  - id: call_specialists
    title: Call the chemical specialists
    phase: search
    role: team_leader
    on_trigger: true
  - id: declare_clear
    title: Declare the area clear
    phase: search
    role: team_leader
    on_trigger: true
    depends_on: [sweep_area]
triggers:
  - id: vapour_present
    when: check_vapour.vapour >= 3 * check_vapour.background + 0.5 ppm
    then:
      - activate: call_specialists
    else:
      - activate: declare_clear
)";

}  // namespace muster::coordtest
