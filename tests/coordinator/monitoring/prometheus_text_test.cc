// The Prometheus text writer: families, escaping of label values and help text, numbers,
// and histograms written cumulatively.
#include "monitoring/prometheus_text.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

namespace muster::hq {
namespace {

TEST(PrometheusTextTest, WritesAFamilyWithItsSamples) {
  PrometheusText out;
  out.Family("muster_alerts_open", "gauge", "Alerts not acknowledged yet.");
  out.Sample("muster_alerts_open", {{"severity", "critical"}}, 2);
  out.Sample("muster_alerts_open", {}, 0.25);
  EXPECT_EQ(out.text(),
            "# HELP muster_alerts_open Alerts not acknowledged yet.\n"
            "# TYPE muster_alerts_open gauge\n"
            "muster_alerts_open{severity=\"critical\"} 2\n"
            "muster_alerts_open 0.25\n");
}

TEST(PrometheusTextTest, LabelValuesCannotForgeALine) {
  PrometheusText out;
  out.Family("x", "gauge", "back\\slash and\nnewline \"quoted\"");
  out.Sample("x", {{"kind", "a\"} 1\nmuster_fake 9\\"}}, 1);
  EXPECT_EQ(out.text(),
            "# HELP x back\\\\slash and\\nnewline \"quoted\"\n"
            "# TYPE x gauge\n"
            "x{kind=\"a\\\"} 1\\nmuster_fake 9\\\\\"} 1\n");
}

TEST(PrometheusTextTest, HistogramBucketsAreCumulativeAndEndAtInfinity) {
  PrometheusText out;
  const std::array<double, 2> bounds = {0.0005, 0.01};
  const std::array<std::uint64_t, 3> counts = {3, 0, 2};
  out.Histogram("h", bounds, counts, 1.5);
  EXPECT_EQ(out.text(),
            "h_bucket{le=\"0.0005\"} 3\n"
            "h_bucket{le=\"0.01\"} 3\n"
            "h_bucket{le=\"+Inf\"} 5\n"
            "h_sum 1.5\n"
            "h_count 5\n");
}

}  // namespace
}  // namespace muster::hq
