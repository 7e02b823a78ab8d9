#include "muster/clock_offset.h"

#include <algorithm>
#include <cstdlib>

namespace muster {

ClockOffset MeasureOffset(Millis sent, Millis received, Millis peer_time) {
  const Millis rtt = std::max<Millis>(0, received - sent);
  return {peer_time - (sent + rtt / 2), rtt, received};
}

ClockOffset KeepBetter(const std::optional<ClockOffset>& kept, const ClockOffset& sample) {
  if (!kept || sample.rtt_ms <= kept->rtt_ms) return sample;
  // Either way: a laptop clock set back makes the kept one look measured in the future.
  if (std::llabs(sample.measured_at - kept->measured_at) > kOffsetMaxAge) return sample;
  // Each is within half its round trip of the truth: further apart than that, one of the
  // clocks moved.
  const Millis apart = std::llabs(sample.offset_ms - kept->offset_ms);
  if (apart > (sample.rtt_ms + kept->rtt_ms) / 2 + 1) return sample;
  return *kept;
}

std::string DescribeSkew(Millis offset_ms) {
  if (std::llabs(offset_ms) < 1000) return "in step";
  return FormatAge(std::llabs(offset_ms)) + (offset_ms < 0 ? " fast" : " slow");
}

}  // namespace muster
