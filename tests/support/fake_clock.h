// A clock that only moves when told to: the one fake the tests may use for time.
// Thread-safe.
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

}  // namespace muster
