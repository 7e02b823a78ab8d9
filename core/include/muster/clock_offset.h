// How far a laptop's clock is from HQ's, measured on the link.
//
// The agent measures the offset at every answer that carries HQ's time (WELCOME to its
// HELLO, PONG to its PING), corrected for the round trip: HQ stamped its time somewhere
// between the request leaving and the answer arriving, so the offset is HQ's time minus
// the midpoint of the two, within half the round trip. The agent keeps the best sample
// it has and sends it to HQ, which places the agent's records by it (docs/protocol.md,
// Time).
#pragma once

#include <optional>
#include <string>

#include "muster/clock.h"

namespace muster {

struct ClockOffset {
  Millis offset_ms = 0;    // add to this side's clock to read the peer's
  Millis rtt_ms = 0;       // the round trip of the exchange: the offset is within half of it
  Millis measured_at = 0;  // this side's clock when it was measured
  bool operator==(const ClockOffset&) const = default;
};

// One exchange: a request sent at |sent| and answered at |received| (this side's clock),
// the answer stamped |peer_time| by the peer. A |received| before |sent| (this clock was
// set back meanwhile) counts as a round trip of 0.
ClockOffset MeasureOffset(Millis sent, Millis received, Millis peer_time);

// Which of the kept offset and a new sample to keep. The new sample wins when nothing is
// kept, when its round trip is no longer (a tighter bound), when the kept one is older
// than kOffsetMaxAge (links and clocks change), or when the two disagree by more than
// their uncertainties together (one of the clocks was set meanwhile).
inline constexpr Millis kOffsetMaxAge = 10 * 60 * 1000;
ClockOffset KeepBetter(const std::optional<ClockOffset>& kept, const ClockOffset& sample);

// "3h 0m fast", "2d 0h slow", "in step": how a clock stands against the reference, for
// people. |offset_ms| is the reference minus this clock (ClockOffset::offset_ms); within
// a second counts as in step.
std::string DescribeSkew(Millis offset_ms);

// Another clock read with an offset added: the laptop's best idea of HQ's time.
class OffsetClock final : public Clock {
 public:
  OffsetClock(const Clock& base, Millis offset_ms) : base_(base), offset_ms_(offset_ms) {}
  Millis Now() const override { return base_.Now() + offset_ms_; }

 private:
  const Clock& base_;
  Millis offset_ms_;
};

}  // namespace muster
