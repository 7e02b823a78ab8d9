// Charts for the reports the console writes (the after-action and monthly reports,
// docs/programme.md), drawn with cairo into PNG files:
// - rows of labelled spans on an axis: the steps (planned against actual), the times to
//   acknowledge alerts, check-in gaps, and bars of counts (a span from 0);
// - flows between places: the trafficking routes, each leg as thick as the routes on it.
#pragma once

#include <string>
#include <utility>
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

// One route: its places in order (origin, transit..., destination) and how many times it
// was taken.
struct FlowPath {
  std::vector<std::string> places;
  int weight = 1;
};

struct FlowChart {
  std::string title;
  std::vector<FlowPath> paths;
};

// Draws |chart| (at most 200 rows; labels cut to 28 characters, control characters
// dropped) and writes it to |path|, whole or not at all. internal when cairo cannot write
// the file.
[[nodiscard]] Status WriteChartPng(const Chart& chart, const std::string& path);
// Draws the places of |chart| in columns, origins on the left and destinations on the
// right, and each leg between two places as a curve as thick as the paths that take it
// (at most 200 paths; a path of more than 8 places keeps its origin and destination and
// shows the transits past the sixth as "+N"; labels cut to fit their box, 13
// characters at most, control characters dropped).
[[nodiscard]] Status WriteFlowPng(const FlowChart& chart, const std::string& path);

// A report as files: texts (Markdown, JSON) and charts, by file name.
struct ReportFiles {
  std::vector<std::pair<std::string, std::string>> texts;
  std::vector<std::pair<std::string, Chart>> charts;
  std::vector<std::pair<std::string, FlowChart>> flows;
};

// Writes |files| into |folder| (made if missing), each file whole or not at all; returns
// the paths written. invalid_argument when the folder cannot be made.
Result<std::vector<std::string>> WriteReportFolder(const ReportFiles& files,
                                                   const std::string& folder);

}  // namespace muster::console
