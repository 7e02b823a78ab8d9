// The monthly report's files (console/monthly_report.h): the Markdown carries the report's
// marking top and bottom, its tables hold the figures and hostile text stays inert; the
// charts are real PNG files, the routes drawn as legs between countries.
#include "monthly_report.h"

#include <cairo.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "muster/files.h"
#include "png_probe.h"

namespace muster::console {
namespace {

using nlohmann::json;

json Tallies(const std::vector<std::pair<std::string, int>>& counts) {
  json out = json::array();
  for (const auto& [key, count] : counts) out.push_back({{"key", key}, {"count", count}});
  return out;
}

json Hazards(int chemical, int radiological, int nuclear) {
  return Tallies({{"chemical", chemical},
                  {"biological", 0},
                  {"radiological", radiological},
                  {"nuclear", nuclear},
                  {"explosive", 0}});
}

json Report() {
  const char* hostile = "Cs-137 \x1b[31m<b>|x|</b>";
  json trend = json::array();
  const std::vector<int> totals = {0, 0, 1, 2, 1, 3};
  for (std::size_t i = 0; i < totals.size(); ++i) {
    trend.push_back({{"month", "2026-0" + std::to_string(6 + i)},
                     {"incidents", totals[i]},
                     {"by_hazard", Hazards(0, totals[i], 0)}});
  }
  trend[4]["month"] = "2026-10";
  trend[5]["month"] = "2026-11";
  return {{"month", "2026-11"},
          {"from", "2026-11-01T00:00:00Z"},
          {"to", "2026-12-01T00:00:00Z"},
          {"releasable", "RESTRICTED // TLP:AMBER"},
          {"marking", "RESTRICTED // TLP:AMBER"},
          {"withheld", 1},
          {"exercises_excluded", 1},
          {"incidents",
           {{"total", 3},
            {"by_hazard", Hazards(1, 2, 1)},
            {"by_country", Tallies({{"GE", 1}, {"TR", 1}, {"", 1}})},
            {"by_severity", Tallies({{"low", 0}, {"medium", 1}, {"high", 1}, {"critical", 1}})}}},
          {"trend", trend},
          {"seizures",
           {{{"incident", "INC-N1"},
             {"task", "d1.recover_material.li"},
             {"recorded_at", "2026-11-03T12:00:00Z"},
             {"material", hostile},
             {"quantity", 12.5},
             {"unit", "g"},
             {"origin", "GE"},
             {"transit", {"TR", "BG"}},
             {"destination", "DE"},
             {"methods", {"false bottom", "lead shielding"}},
             {"marking", "RESTRICTED // TLP:AMBER"}},
            {{"incident", "INC-N1"},
             {"task", "d1.recover_material.li"},
             {"recorded_at", "2026-11-10T12:00:00Z"},
             {"material", "Cs-137"},
             {"quantity", 500},
             {"unit", "g"},
             {"origin", "GE"},
             {"transit", {"TR", "BG"}},
             {"destination", "DE"},
             {"methods", {"false bottom"}},
             {"marking", "RESTRICTED // TLP:AMBER"}}}},
          {"materials",
           {{{"material", "Cs-137"},
             {"seizures", 2},
             {"quantities", {{{"quantity", 512.5}, {"unit", "g"}}}},
             {"without_quantity", 0}},
            {{"material", "Am-241"},
             {"seizures", 1},
             {"quantities",
              {{{"quantity", 1234567}, {"unit", "g"}}, {{"quantity", 3.5}, {"unit", "GBq"}}}},
             {"without_quantity", 0}}}},
          {"routes",
           {{{"origin", "GE"},
             {"transit", {"TR", "BG"}},
             {"destination", "DE"},
             {"findings", 2},
             {"materials", {"Cs-137"}}},
            {{"origin", "Tbilisi"},
             {"transit", json::array()},
             {"destination", "?"},
             {"findings", 1},
             {"materials", json::array()}}}},
          {"methods", Tallies({{"false bottom", 2}, {"lead shielding", 1}})},
          {"open_questions", {"INC-N3: in which country did it happen?"}}};
}

TEST(MonthlyReportTest, TheMarkdownHoldsTheFiguresUnderTheReportsMarking) {
  const std::string markdown = MonthlyMarkdown(Report());
  EXPECT_EQ(markdown.rfind("**RESTRICTED // TLP:AMBER**\n\n# Monthly intelligence report, "
                           "2026-11\n",
                           0),
            0u)
      << markdown;
  EXPECT_EQ(markdown.substr(markdown.size() - 29), "**RESTRICTED // TLP:AMBER**\n\n");
  EXPECT_NE(markdown.find("1 findings above it are left out"), std::string::npos);
  EXPECT_NE(markdown.find("3 incidents opened in the month (1 exercises not counted)"),
            std::string::npos);
  EXPECT_NE(markdown.find("| GE (Georgia) | 1 |"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("| unknown | 1 |"), std::string::npos);
  EXPECT_NE(markdown.find("| 2026-11 | 3 | 0 | 0 | 3 | 0 | 0 |"), std::string::npos);
  EXPECT_NE(markdown.find("the 5 months before it averaged 0.8."), std::string::npos);
  EXPECT_NE(markdown.find("| Cs-137 | 2 | 512.5 g | 0 |"), std::string::npos);
  EXPECT_NE(markdown.find("| Am-241 | 1 | 1234567 g; 3.5 GBq | 0 |"), std::string::npos)
      << "no exponent, one amount per dimension";
  EXPECT_NE(markdown.find("| GE → TR → BG → DE | 2 | Cs-137 |"), std::string::npos);
  EXPECT_NE(markdown.find("| false bottom | 2 |"), std::string::npos);
  EXPECT_NE(markdown.find("- INC-N3: in which country did it happen?"), std::string::npos);
  EXPECT_EQ(markdown.find('\x1b'), std::string::npos) << "no escape reaches the document";
  EXPECT_EQ(markdown.find("<b>"), std::string::npos);
  EXPECT_NE(markdown.find("\\|x\\|"), std::string::npos) << "a | cannot split a row";
}

TEST(MonthlyReportTest, ANoMarkingReportHasNoBanner) {
  json report = Report();
  report["marking"] = "";
  report["releasable"] = "";
  const std::string markdown = MonthlyMarkdown(report);
  EXPECT_EQ(markdown.rfind("# Monthly intelligence report, 2026-11\n", 0), 0u);
  EXPECT_EQ(markdown.find("left out"), std::string::npos);
}

// The files are left in the build tree (MUSTER_CHARTS_DIR) for people to look at.
TEST(MonthlyReportTest, TheChartsArePngFilesAndTheRoutesAreLegsBetweenCountries) {
  const std::string folder = std::string(MUSTER_CHARTS_DIR) + "/monthly";
  std::filesystem::remove_all(folder);
  auto written = WriteReportFolder(MonthlyFiles(Report()), folder);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  ASSERT_EQ(written->size(), 7u);
  auto json_back = ReadFile(folder + "/monthly-report.json");
  ASSERT_TRUE(json_back.ok());
  EXPECT_EQ(json::parse(*json_back), Report());
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    EXPECT_NE(entry.path().extension(), ".part") << "no file is left half-written";
  }

  // Hazards: five rows; the radiological bar (row 2, 2 incidents of an axis to 2) is blue
  // across, the biological row (0) white past its 2-pixel stub.
  cairo_surface_t* hazards = cairo_image_surface_create_from_png((folder + "/hazards.png").c_str());
  ASSERT_EQ(cairo_surface_status(hazards), CAIRO_STATUS_SUCCESS);
  EXPECT_EQ(cairo_image_surface_get_height(hazards), 56 + 52 + 5 * 26);
  const Pixel radiological = PixelAt(hazards, 230 + 600, 56 + 2 * 26 + 13);
  EXPECT_GT(radiological.b, 120);
  EXPECT_LT(radiological.r, 100);
  EXPECT_TRUE(PixelAt(hazards, 230 + 300, 56 + 1 * 26 + 13).white());
  cairo_surface_destroy(hazards);

  // Routes: four columns (GE, TR, BG, DE), two rows of boxes. The leg GE → TR (2 routes) is
  // drawn at the first row's middle between the first two columns; the leg Tbilisi → ? at
  // the second row's middle across the chart; between the rows, nothing.
  cairo_surface_t* routes = cairo_image_surface_create_from_png((folder + "/routes.png").c_str());
  ASSERT_EQ(cairo_surface_status(routes), CAIRO_STATUS_SUCCESS);
  EXPECT_EQ(cairo_image_surface_get_width(routes), 1000);
  EXPECT_EQ(cairo_image_surface_get_height(routes), 56 + 52 + 2 * (28 + 44));
  const Pixel ge_tr = PixelAt(routes, 227, 56 + 10 + 14);
  EXPECT_FALSE(ge_tr.white());
  EXPECT_GT(ge_tr.b, ge_tr.r + 40) << "a leg is drawn in blue";
  const Pixel unknown = PixelAt(routes, 500, 56 + 10 + 72 + 14);
  EXPECT_GT(unknown.b, unknown.r + 40);
  EXPECT_TRUE(PixelAt(routes, 500, 56 + 10 + 50).white());
  cairo_surface_destroy(routes);

  for (const char* name : {"/countries.png", "/trend.png", "/materials.png"}) {
    cairo_surface_t* chart = cairo_image_surface_create_from_png((folder + name).c_str());
    EXPECT_EQ(cairo_surface_status(chart), CAIRO_STATUS_SUCCESS) << name;
    cairo_surface_destroy(chart);
  }
}

TEST(MonthlyReportTest, ARouteOfTenPlacesKeepsItsEndsAndItsBoxesApart) {
  const std::string path = std::string(MUSTER_CHARTS_DIR) + "/long-route.png";
  FlowChart chart{"a long route", {{{"A", "B", "C", "D", "E", "F", "G", "H", "I", "Z"}, 1}}};
  ASSERT_TRUE(WriteFlowPng(chart, path).ok());
  cairo_surface_t* image = cairo_image_surface_create_from_png(path.c_str());
  ASSERT_EQ(cairo_surface_status(image), CAIRO_STATUS_SUCCESS);
  // Eight columns (A, five transits, "+3", Z) of 109-pixel boxes, 122.7 pixels apart:
  // between the seventh box's right edge (861) and the eighth's left (875) runs a leg.
  const Pixel gap = PixelAt(image, 868, 56 + 10 + 14);
  EXPECT_GT(gap.b, gap.r + 40) << "a leg, not a box, between the last two columns";
  int darkest = 3 * 255;  // the left edge of the destination's box, drawn anti-aliased
  for (int x = 872; x <= 878; ++x) {
    const Pixel p = PixelAt(image, x, 56 + 10 + 14);
    darkest = std::min(darkest, p.r + p.g + p.b);
  }
  EXPECT_LT(darkest, 3 * 100) << "the destination's box is drawn in the eighth column";
  cairo_surface_destroy(image);
}

}  // namespace
}  // namespace muster::console
