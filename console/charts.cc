#include "charts.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

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

cairo_status_t Draw(const Chart& chart, const std::string& path) {
  const std::size_t rows = std::min(chart.rows.size(), kMaxRows);
  const int height = kTop + kBottom + static_cast<int>(std::max<std::size_t>(rows, 1)) * kRowHeight;
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, kWidth, height), cairo_surface_destroy);
  std::unique_ptr<cairo_t, decltype(&cairo_destroy)> context(cairo_create(surface.get()),
                                                             cairo_destroy);
  cairo_t* cr = context.get();
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);

  double top = 1;
  for (std::size_t i = 0; i < rows; ++i) {
    for (const Span& span : chart.rows[i].spans) top = std::max(top, span.to);
  }
  const double step = TickStep(top);
  top = std::ceil(top / step) * step;
  const double plot_left = kLabelWidth;
  const double plot_width = kWidth - kLabelWidth - kNoteWidth;
  const double plot_bottom = kTop + static_cast<double>(std::max<std::size_t>(rows, 1)) * kRowHeight;
  auto x_of = [&](double value) { return plot_left + plot_width * std::clamp(value, 0.0, top) / top; };

  SetColour(cr, kInk);
  Text(cr, 16, 30, Printable(chart.title, 100), 15, true);

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
  Text(cr, plot_left + plot_width / 2 - 30, plot_bottom + 40, Printable(chart.axis, 40), 12,
       false);
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
  cairo_surface_flush(surface.get());
  return cairo_surface_write_to_png(surface.get(), path.c_str());
}

}  // namespace

Status WriteChartPng(const Chart& chart, const std::string& path) {
  const cairo_status_t written = Draw(chart, path);
  // The surface is gone: cairo's font caches and fontconfig's state are let go, so that a
  // process drawing charts holds no memory for them afterwards (the leak checker agrees).
  cairo_debug_reset_static_data();
  FcFini();
  if (written != CAIRO_STATUS_SUCCESS) {
    return Status::Error(ErrorCode::kInternal, path + ": cannot write the chart (" +
                                                   cairo_status_to_string(written) +
                                                   "); check the folder exists and has room");
  }
  return Status::Ok();
}

}  // namespace muster::console
