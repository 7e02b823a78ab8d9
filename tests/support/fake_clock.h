// Clocks that move when told to: the one fake the tests may use for time. Thread-safe.
#pragma once

#include <atomic>

#include "muster/clock.h"

namespace muster {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(Millis start = 1'700'000'000'000) : now_(start) {}
  Millis Now() const override { return now_.load(); }
  void Advance(Millis delta) { now_ += delta; }
  void Set(Millis at) { now_ = at; }

 private:
  std::atomic<Millis> now_;
};

// The system clock, moved forward when told to: for tests over real sockets, whose
// timeouts need time to pass, that also need an hour to pass at once.
class ShiftedClock final : public Clock {
 public:
  Millis Now() const override { return system_.Now() + shift_.load(); }
  void Advance(Millis delta) { shift_ += delta; }

 private:
  SystemClock system_;
  std::atomic<Millis> shift_{0};
};

}  // namespace muster
