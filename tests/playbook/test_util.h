// Helpers shared by the playbook tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "muster/playbook/load.h"

namespace muster::playbook::testing {

// A small valid playbook. Line numbers matter: tests edit it and expect positions.
//  1 id: demo                    13     title: Survey
//  2 version: "1.0.0"            14     phase: work
//  3 title: Demo                 15     role: lead
//  4 hazards: [radiological]     16     findings:
//  5 roles:                      17       - id: dose_rate
//  6   - id: lead                18         type: number
//  7     title: Lead             19         unit: µSv/h
//  8 phases:                     20   - id: report
//  9   - id: work                21     title: Report
// 10     title: Work             22     phase: work
// 11 steps:                      23     role: lead
// 12   - id: survey              24     depends_on: [survey]
extern const char kMinimal[];

// Loads |text| as the file "t.yaml".
LoadResult Load(std::string_view text, const LoadOptions& options = {});

// |text| with the only occurrence of |from| replaced by |to|; fails the test when |from|
// does not occur exactly once.
std::string Edit(const std::string& text, const std::string& from, const std::string& to);

// Succeeds when some diagnostic's first line is exactly |line| (for instance
// "t.yaml:3:5: error: ..."); on failure lists every diagnostic.
::testing::AssertionResult HasDiagnostic(const LoadResult& result, const std::string& line);

// Succeeds when some diagnostic's hint is exactly |hint|.
::testing::AssertionResult HasHint(const LoadResult& result, const std::string& hint);

// Every diagnostic, one ToString() per line, for failure messages.
std::string AllDiagnostics(const LoadResult& result);

}  // namespace muster::playbook::testing
