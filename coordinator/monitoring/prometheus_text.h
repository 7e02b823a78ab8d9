// Writes metrics in Prometheus' text exposition format (version 0.0.4): one family at a
// time, its # HELP and # TYPE lines first, then its samples. Label values are escaped
// (backslash, double quote, newline), so that field-controlled text cannot forge a line.
// Names are ours and are checked only in debug builds.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>

namespace muster::hq {

class PrometheusText {
 public:
  using Labels = std::map<std::string, std::string>;

  // Starts a family: |type| is counter, gauge or histogram.
  void Family(const std::string& name, const std::string& type, const std::string& help);
  // One sample of the current family (|name| may carry a suffix such as _total).
  void Sample(const std::string& name, const Labels& labels, double value);
  // A histogram's samples from the number of observations in each bucket: |counts| has
  // one more entry than |bounds| (the upper bounds, ascending), the last for +Inf. Writes
  // the cumulative _bucket lines, _sum (|sum|) and _count.
  void Histogram(const std::string& name, std::span<const double> bounds,
                 std::span<const std::uint64_t> counts, double sum);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// The content type Prometheus expects for the format above.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace muster::hq
