#include "monitoring/prometheus_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace muster::hq {
namespace {

std::string Number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<std::int64_t>(value));
  }
  char buffer[32];
  const auto end =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general).ptr;
  return std::string(buffer, end);
}

std::string Escaped(const std::string& value, bool in_help) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && !in_help) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void PrometheusText::Family(const std::string& name, const std::string& type,
                            const std::string& help) {
  text_ += "# HELP " + name + " " + Escaped(help, true) + "\n";
  text_ += "# TYPE " + name + " " + type + "\n";
}

void PrometheusText::Sample(const std::string& name, const Labels& labels, double value) {
  text_ += name;
  if (!labels.empty()) {
    text_ += '{';
    bool first = true;
    for (const auto& [label, label_value] : labels) {
      if (!first) text_ += ',';
      first = false;
      text_ += label + "=\"" + Escaped(label_value, false) + "\"";
    }
    text_ += '}';
  }
  text_ += " " + Number(value) + "\n";
}

void PrometheusText::Histogram(const std::string& name, std::span<const double> bounds,
                               std::span<const std::uint64_t> counts, double sum) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    const double bound = i < bounds.size() ? bounds[i] : INFINITY;
    Sample(name + "_bucket", {{"le", Number(bound)}}, static_cast<double>(cumulative));
  }
  Sample(name + "_sum", {}, sum);
  Sample(name + "_count", {}, static_cast<double>(cumulative));
}

}  // namespace muster::hq
