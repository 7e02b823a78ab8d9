// The after-action report's files (console/after_action.h): the Markdown is marked as an
// exercise and keeps hostile text inert; the charts are real PNG files of the promised
// size whose bars are where the figures put them.
#include <gtest/gtest.h>

#include <cairo.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "after_action.h"
#include "muster/files.h"
#include "png_probe.h"
#include "temp_dir.h"

namespace muster::console {
namespace {

using nlohmann::json;
constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kStart = 1'800'000'000'000;

json Report() {
  return {{"incident", {{"id", "EX-1"}, {"title", "Drill \x1b[31m<b>|x|</b>"}, {"status", "open"}}},
          {"exercise", true},
          {"name", "Border drill"},
          {"started_at", kStart},
          {"ended_at", kStart + 100 * kMinute},
          {"generated_at", kStart + 100 * kMinute},
          {"summary",
           {{"duration_ms", 100 * kMinute}, {"steps", 2}, {"steps_done", 2}, {"steps_overdue", 1},
            {"steps_blocked", 0}, {"alerts", 2}, {"alerts_acked", 1}, {"ack_median_ms", 7 * kMinute},
            {"ack_max_ms", 7 * kMinute}, {"checkin_gaps", 1}, {"longest_gap_ms", 45 * kMinute},
            {"conflicts", 0}, {"injects", 1}, {"injects_fired", 1}}},
          {"steps",
           {{{"deployment", 1}, {"step", "arrival_briefing"}, {"title", "Arrival briefing"},
             {"tasks", 1}, {"planned_ms", 30 * kMinute}, {"ready_at", kStart},
             {"done_at", kStart + 10 * kMinute}, {"actual_ms", 10 * kMinute}, {"state", "done"},
             {"overdue", false}, {"late_ms", 0}, {"blocked", 0}},
            {{"deployment", 1}, {"step", "host_liaison"}, {"title", "Host | liaison"},
             {"tasks", 1}, {"planned_ms", 60 * kMinute}, {"ready_at", kStart},
             {"done_at", kStart + 72 * kMinute}, {"actual_ms", 72 * kMinute}, {"state", "done"},
             {"overdue", true}, {"late_ms", 12 * kMinute}, {"blocked", 0}}}},
          {"alerts",
           {{{"id", 1}, {"kind", "exercise_inject"}, {"severity", "critical"},
             {"message", "EXERCISE EXERCISE EXERCISE — gate 4"}, {"source", "exercise:1"},
             {"raised_at", kStart + 45 * kMinute}, {"acked_at", kStart + 52 * kMinute},
             {"acked_by", "duty officer"}, {"ack_ms", 7 * kMinute}},
            {{"id", 2}, {"kind", "overdue"}, {"severity", "warning"}, {"message", "late"},
             {"source", "hq"}, {"raised_at", kStart + 60 * kMinute}, {"acked_at", nullptr},
             {"acked_by", nullptr}, {"ack_ms", nullptr}}}},
          {"checkin_gaps",
           {{{"member", "paulo"}, {"interval_ms", 20 * kMinute}, {"from", kStart + 40 * kMinute},
             {"to", kStart + 85 * kMinute}, {"gap_ms", 45 * kMinute}}}},
          {"conflicts", json::array()},
          {"injects",
           {{{"index", 0}, {"at_ms", 45 * kMinute}, {"due_at", kStart + 45 * kMinute},
             {"kind", "alert"}, {"summary", "critical alert: gate 4"},
             {"fired_at", kStart + 45 * kMinute}, {"outcome", "alert raised"}, {"late_ms", 0}}}}};
}

TEST(AfterActionTest, TheMarkdownIsMarkedAndKeepsHostileTextInert) {
  const std::string markdown = AfterActionMarkdown(Report());
  EXPECT_EQ(markdown.rfind("**EXERCISE EXERCISE EXERCISE**\n\n# After-action report: Border drill", 0),
            0u)
      << markdown;
  EXPECT_EQ(markdown.substr(markdown.size() - 32), "**EXERCISE EXERCISE EXERCISE**\n\n");
  EXPECT_EQ(markdown.find('\x1b'), std::string::npos) << "no escape reaches the document";
  EXPECT_EQ(markdown.find("<b>"), std::string::npos);
  EXPECT_NE(markdown.find("Host \\| liaison"), std::string::npos) << "a | cannot split a row";
  EXPECT_NE(markdown.find("| 1 | Host \\| liaison (host\\_liaison) | 1 | 1h 0m | 1h 12m | done | 12m | 0 |"),
            std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("**not acknowledged**"), std::string::npos);
  EXPECT_NE(markdown.find("median 7m, longest 7m"), std::string::npos);
  EXPECT_NE(markdown.find("| paulo | 20m |"), std::string::npos);
}

// The files are left in the build tree (MUSTER_CHARTS_DIR) for people to look at.
TEST(AfterActionTest, TheChartsArePngFilesWithTheBarsWhereTheFiguresPutThem) {
  struct Folder {
    std::string File(const std::string& name) const { return std::string(MUSTER_CHARTS_DIR) + "/" + name; }
  } dir;
  std::filesystem::remove_all(dir.File("aar"));
  auto written = WriteAfterAction(Report(), dir.File("aar"));
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  ASSERT_EQ(written->size(), 5u);
  auto json_back = ReadFile(dir.File("aar/after-action.json"));
  ASSERT_TRUE(json_back.ok());
  EXPECT_EQ(json::parse(*json_back), Report());

  cairo_surface_t* steps = cairo_image_surface_create_from_png(dir.File("aar/steps.png").c_str());
  ASSERT_EQ(cairo_surface_status(steps), CAIRO_STATUS_SUCCESS);
  EXPECT_EQ(cairo_image_surface_get_width(steps), 1000);
  EXPECT_EQ(cairo_image_surface_get_height(steps), 56 + 52 + 2 * 26);
  // The axis runs to 80 minutes (72 rounded up to the 10-minute ticks) over 620 px from
  // x=230. Row 1 (host_liaison, overdue) is red at 60 minutes; row 0 is blue at 5 minutes
  // and white at 25 (done in 10 of its 30 planned).
  const auto x_of = [](double minutes) { return static_cast<int>(230 + 620 * minutes / 80); };
  const Pixel late = PixelAt(steps, x_of(60), 56 + 26 + 13);
  EXPECT_GT(late.r, 150);
  EXPECT_LT(late.g, 100);
  const Pixel done = PixelAt(steps, x_of(5), 56 + 13);
  EXPECT_LT(done.r, 100);
  EXPECT_GT(done.b, 120);
  const Pixel after = PixelAt(steps, x_of(25), 56 + 13);
  EXPECT_EQ(after.r + after.g + after.b, 3 * 255);
  cairo_surface_destroy(steps);

  for (const char* name : {"aar/alerts.png", "aar/checkins.png"}) {
    cairo_surface_t* chart = cairo_image_surface_create_from_png(dir.File(name).c_str());
    EXPECT_EQ(cairo_surface_status(chart), CAIRO_STATUS_SUCCESS) << name;
    EXPECT_EQ(cairo_image_surface_get_width(chart), 1000) << name;
    cairo_surface_destroy(chart);
  }
}

TEST(AfterActionTest, AFolderThatCannotBeMadeIsNamed) {
  muster::testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.File("plain"), "x").ok());
  auto written = WriteAfterAction(Report(), dir.File("plain/aar"));
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.status().message().find("plain/aar: cannot make the folder"),
            std::string::npos)
      << written.status().message();
}

}  // namespace
}  // namespace muster::console
