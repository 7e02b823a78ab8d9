// Charts for the reports the console writes (the after-action report, docs/programme.md):
// rows of labelled spans on a time axis, drawn with cairo into a PNG. One form serves the
// steps (planned against actual), the acknowledgement times of alerts and the check-in
// gaps of members (spans across the exercise).
#pragma once

#include <string>
#include <vector>

#include "muster/result.h"

namespace muster::console {

enum class SpanStyle {
  kPlanned,  // an outline: what was planned
  kActual,   // filled: what happened
  kAlarm,    // filled in red: late, unacknowledged, silent
};

struct Span {
  double from = 0;  // in the chart's unit (minutes)
  double to = 0;
  SpanStyle style = SpanStyle::kActual;
};

struct ChartRow {
  std::string label;
  std::vector<Span> spans;
  std::string note;  // written after the row's last span ("12 min", "not acknowledged")
};

struct Chart {
  std::string title;
  std::string axis;  // the unit's name under the axis
  std::vector<ChartRow> rows;
};

// Draws |chart| (at most 200 rows; labels cut to 28 characters, control characters
// dropped) and writes it to |path|. internal when cairo cannot write the file.
[[nodiscard]] Status WriteChartPng(const Chart& chart, const std::string& path);

}  // namespace muster::console
