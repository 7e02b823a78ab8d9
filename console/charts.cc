#include "charts.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>

#include "muster/files.h"

namespace muster::console {
namespace {

constexpr int kWidth = 1000;
constexpr int kLabelWidth = 230;
constexpr int kNoteWidth = 150;
constexpr int kTop = 56;
constexpr int kBottom = 52;
constexpr int kRowHeight = 26;
constexpr std::size_t kMaxRows = 200;
constexpr std::size_t kMaxLabel = 28;
constexpr const char* kFont = "DejaVu Sans";
// The flow chart: places in columns, each a box.
constexpr std::size_t kMaxPlaces = 8;
constexpr int kBoxWidth = 150;
constexpr int kBoxHeight = 28;
constexpr int kBoxGap = 44;

using Surface = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using Context = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

struct Rgb {
  double r, g, b;
};
constexpr Rgb kInk{0.13, 0.13, 0.13};
constexpr Rgb kGrid{0.85, 0.85, 0.85};
constexpr Rgb kActual{0.16, 0.42, 0.69};
constexpr Rgb kAlarm{0.80, 0.15, 0.15};

// Printable text of at most |limit| characters: control characters (an escape sequence's
// ESC among them) are dropped, longer text ends in "…".
std::string Printable(const std::string& text, std::size_t limit) {
  std::string out;
  std::size_t characters = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) continue;
    if ((byte & 0xC0) != 0x80) {  // the first byte of a character
      if (characters == limit) {
        out += "…";
        break;
      }
      ++characters;
    }
    out += text[i];
  }
  return out;
}

// A tick step giving at most ten ticks up to |top|.
double TickStep(double top) {
  for (double step : {1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 240.0, 480.0, 720.0, 1440.0}) {
    if (top / step <= 10) return step;
  }
  return std::ceil(top / 10);
}

void SetColour(cairo_t* cr, const Rgb& colour) {
  cairo_set_source_rgb(cr, colour.r, colour.g, colour.b);
}

void Text(cairo_t* cr, double x, double y, const std::string& text, double size, bool bold,
          bool right_aligned = false) {
  cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  if (right_aligned) {
    cairo_text_extents_t extents;
    cairo_text_extents(cr, text.c_str(), &extents);
    x -= extents.x_advance;
  }
  cairo_move_to(cr, x, y);
  cairo_show_text(cr, text.c_str());
}

// A white canvas of |height| pixels with |title| on top.
std::pair<Surface, Context> Canvas(int height, const std::string& title) {
  Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, kWidth, height),
                  cairo_surface_destroy);
  Context context(cairo_create(surface.get()), cairo_destroy);
  cairo_set_source_rgb(context.get(), 1, 1, 1);
  cairo_paint(context.get());
  SetColour(context.get(), kInk);
  Text(context.get(), 16, 30, Printable(title, 100), 15, true);
  return {std::move(surface), std::move(context)};
}

Surface Draw(const Chart& chart) {
  const std::size_t rows = std::min(chart.rows.size(), kMaxRows);
  const int height = kTop + kBottom + static_cast<int>(std::max<std::size_t>(rows, 1)) * kRowHeight;
  auto [surface, context] = Canvas(height, chart.title);
  cairo_t* cr = context.get();

  double top = 1;
  for (std::size_t i = 0; i < rows; ++i) {
    for (const Span& span : chart.rows[i].spans) top = std::max(top, span.to);
  }
  const double step = TickStep(top);
  top = std::ceil(top / step) * step;
  const double plot_left = kLabelWidth;
  const double plot_width = kWidth - kLabelWidth - kNoteWidth;
  const double plot_bottom =
      kTop + static_cast<double>(std::max<std::size_t>(rows, 1)) * kRowHeight;
  auto x_of = [&](double value) {
    return plot_left + plot_width * std::clamp(value, 0.0, top) / top;
  };

  // The grid and the axis.
  cairo_set_line_width(cr, 1);
  for (double tick = 0; tick <= top + step / 2; tick += step) {
    const double x = std::round(x_of(tick)) + 0.5;
    SetColour(cr, kGrid);
    cairo_move_to(cr, x, kTop - 4);
    cairo_line_to(cr, x, plot_bottom);
    cairo_stroke(cr);
    SetColour(cr, kInk);
    char label[32];
    std::snprintf(label, sizeof label, "%g", tick);
    Text(cr, x - 4, plot_bottom + 18, label, 11, false);
  }
  Text(cr, plot_left + plot_width / 2 - 30, plot_bottom + 40, Printable(chart.axis, 40), 12, false);
  if (rows == 0) Text(cr, plot_left + 8, kTop + 18, "nothing to show", 12, false);

  for (std::size_t i = 0; i < rows; ++i) {
    const ChartRow& row = chart.rows[i];
    const double y = kTop + static_cast<double>(i) * kRowHeight;
    SetColour(cr, kInk);
    Text(cr, kLabelWidth - 10, y + 17, Printable(row.label, kMaxLabel), 12, false, true);
    double end = 0;
    for (const Span& span : row.spans) {
      const double x0 = x_of(span.from);
      const double width = std::max(x_of(span.to) - x0, 2.0);
      end = std::max(end, x0 + width);
      if (span.style == SpanStyle::kPlanned) {
        SetColour(cr, kInk);
        cairo_set_line_width(cr, 1.5);
        cairo_set_dash(cr, std::array<double, 2>{4, 3}.data(), 2, 0);
        cairo_rectangle(cr, x0 + 0.75, y + 4.75, width - 1.5, kRowHeight - 9.5);
        cairo_stroke(cr);
        cairo_set_dash(cr, nullptr, 0, 0);
      } else {
        SetColour(cr, span.style == SpanStyle::kAlarm ? kAlarm : kActual);
        cairo_rectangle(cr, x0, y + 8, width, kRowHeight - 16);
        cairo_fill(cr);
      }
    }
    if (!row.note.empty()) {
      SetColour(cr, kInk);
      Text(cr, std::max(end, plot_left) + 6, y + 17, Printable(row.note, 24), 11, false);
    }
  }
  if (chart.rows.size() > rows) {
    SetColour(cr, kAlarm);
    Text(cr, 16, height - 10,
         std::to_string(chart.rows.size() - rows) + " more rows are in the report's tables", 11,
         false);
  }
  return std::move(surface);
}

// A place of the flow chart: a box in its column.
struct Place {
  std::string label;
  std::size_t column = 0;
  int weight = 0;
  std::size_t slot = 0;  // its place from the top of its column
};

// The places of a path as drawn: one of more than kMaxPlaces keeps its origin and
// destination, and the transits past the room left are one place, "+N".
std::vector<std::string> Shown(const std::vector<std::string>& places) {
  if (places.size() <= kMaxPlaces) return places;
  std::vector<std::string> shown(places.begin(), places.begin() + kMaxPlaces - 2);
  shown.push_back("+" + std::to_string(places.size() - kMaxPlaces + 1));
  shown.push_back(places.back());
  return shown;
}

Surface DrawFlow(const FlowChart& chart) {
  const std::size_t paths = std::min(chart.paths.size(), kMaxRows);
  std::vector<std::vector<std::string>> shown;
  std::size_t columns = 2;
  for (std::size_t i = 0; i < paths; ++i) {
    shown.push_back(Shown(chart.paths[i].places));
    columns = std::max(columns, shown.back().size());
  }
  // Origins in the first column, destinations in the last, transits in between in order.
  std::vector<Place> places;
  std::map<std::pair<std::size_t, std::string>, std::size_t> index;
  std::vector<std::size_t> filled(columns, 0);
  std::map<std::pair<std::size_t, std::size_t>, int> legs;
  for (std::size_t i = 0; i < paths; ++i) {
    const int weight = chart.paths[i].weight;
    const std::vector<std::string>& names = shown[i];
    std::size_t previous = 0;
    for (std::size_t k = 0; k < names.size(); ++k) {
      const std::size_t column = k == 0 ? 0 : k + 1 == names.size() ? columns - 1 : k;
      auto [at, fresh] = index.emplace(std::make_pair(column, names[k]), places.size());
      if (fresh) places.push_back({names[k], column, 0, filled[column]++});
      places[at->second].weight += weight;
      if (k > 0) legs[{previous, at->second}] += weight;
      previous = at->second;
    }
  }
  const std::size_t tallest =
      std::max<std::size_t>(1, *std::max_element(filled.begin(), filled.end()));
  const int height = kTop + kBottom + static_cast<int>(tallest) * (kBoxHeight + kBoxGap);
  auto [surface, context] = Canvas(height, chart.title);
  cairo_t* cr = context.get();
  // Boxes narrow when there are many columns, so that they never overlap.
  const double box = std::min<double>(kBoxWidth, (kWidth - 32.0) / columns - 12);
  const double spacing = (kWidth - 32 - box) / static_cast<double>(columns - 1);
  const auto x_of = [&](const Place& p) { return 16 + spacing * p.column; };
  const auto y_of = [&](const Place& p) {
    return kTop + 10 + static_cast<double>(p.slot) * (kBoxHeight + kBoxGap);
  };
  SetColour(cr, kInk);
  for (std::size_t column = 0; column < columns; ++column) {
    const char* heading = column == 0             ? "origin"
                          : column + 1 == columns ? "destination"
                                                  : "transit";
    Text(cr, 16 + spacing * column, kTop - 6, heading, 12, true);
  }
  if (places.empty()) Text(cr, 16, kTop + 30, "nothing to show", 12, false);

  int heaviest = 1;
  for (const auto& [leg, weight] : legs) heaviest = std::max(heaviest, weight);
  cairo_set_source_rgba(cr, kActual.r, kActual.g, kActual.b, 0.55);
  for (const auto& [leg, weight] : legs) {
    const Place& from = places[leg.first];
    const Place& to = places[leg.second];
    const double x0 = x_of(from) + box;
    const double y0 = y_of(from) + kBoxHeight / 2.0;
    const double x1 = x_of(to);
    const double y1 = y_of(to) + kBoxHeight / 2.0;
    cairo_set_line_width(cr, 2 + 16.0 * weight / heaviest);
    cairo_move_to(cr, x0, y0);
    cairo_curve_to(cr, (x0 + x1) / 2, y0, (x0 + x1) / 2, y1, x1, y1);
    cairo_stroke(cr);
  }
  for (const Place& place : places) {
    const double x = x_of(place);
    const double y = y_of(place);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, x, y, box, kBoxHeight);
    cairo_fill_preserve(cr);
    SetColour(cr, kInk);
    cairo_set_line_width(cr, 1.2);
    cairo_stroke(cr);
    const auto characters = static_cast<std::size_t>(std::max(4.0, (box - 40) / 8));
    Text(cr, x + 8, y + 19,
         Printable(place.label, characters) + " (" + std::to_string(place.weight) + ")", 12,
         false);
  }
  if (chart.paths.size() > paths) {
    SetColour(cr, kAlarm);
    Text(cr, 16, height - 10,
         std::to_string(chart.paths.size() - paths) + " more routes are in the report's tables", 11,
         false);
  }
  return std::move(surface);
}

cairo_status_t Append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// Encodes |surface| as PNG in memory and writes it to |path| as every file of a report is
// written (WriteFileAtomic): whole or not at all.
Status Save(Surface surface, const std::string& path) {
  std::string png;
  cairo_surface_flush(surface.get());
  const cairo_status_t encoded = cairo_surface_write_to_png_stream(surface.get(), Append, &png);
  surface.reset();
  // The surface is gone: cairo's font caches and fontconfig's state are let go, so that a
  // process drawing charts holds no memory for them afterwards (the leak checker agrees).
  cairo_debug_reset_static_data();
  FcFini();
  if (encoded != CAIRO_STATUS_SUCCESS) {
    return Status::Error(ErrorCode::kInternal, path + ": cannot encode the chart (" +
                                                   cairo_status_to_string(encoded) + ")");
  }
  return WriteFileAtomic(path, png);
}

}  // namespace

Status WriteChartPng(const Chart& chart, const std::string& path) {
  return Save(Draw(chart), path);
}

Status WriteFlowPng(const FlowChart& chart, const std::string& path) {
  return Save(DrawFlow(chart), path);
}

Result<std::vector<std::string>> WriteReportFolder(const ReportFiles& files,
                                                   const std::string& folder) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         folder + ": cannot make the folder (" + error.message() + ")");
  }
  std::vector<std::string> written;
  const std::filesystem::path base(folder);
  for (const auto& [name, text] : files.texts) {
    MUSTER_RETURN_IF_ERROR(WriteFileAtomic((base / name).string(), text));
    written.push_back((base / name).string());
  }
  for (const auto& [name, chart] : files.charts) {
    MUSTER_RETURN_IF_ERROR(WriteChartPng(chart, (base / name).string()));
    written.push_back((base / name).string());
  }
  for (const auto& [name, flow] : files.flows) {
    MUSTER_RETURN_IF_ERROR(WriteFlowPng(flow, (base / name).string()));
    written.push_back((base / name).string());
  }
  return written;
}

}  // namespace muster::console
