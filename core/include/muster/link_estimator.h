// What a link can carry, learned from the exchanges that cross it: a message of some
// bytes that was answered after some time. Both ends of the sync protocol keep one per
// connection: the agent sizes its record batches with it, HQ its deliveries, so that
// every message crosses in a few seconds whether the link is a 2.4 kbit/s satellite
// circuit or hotel Wi-Fi, and every timer is longer than what is in flight.
//
// It starts as if the link were the thinnest the field has and grows quickly when
// answers come back well within the target (doubling, as TCP's slow start does); a
// slower answer pulls the estimate halfway down at once. The rate is measured round trip
// included, so on a long round trip it errs low: messages come out a little shorter
// than the target and timers a little longer, never the other way round.
//
// Not thread-safe; a value type.
#pragma once

#include <cstddef>

#include "muster/clock.h"

namespace muster {

class LinkEstimator {
 public:
  struct Options {
    double initial_bytes_per_second = 300;  // 2.4 kbit/s
    Millis initial_rtt_ms = 2'000;
    Millis target_ms = 4'000;  // how long one message should take on the link
    std::size_t min_budget_bytes = 512;
    std::size_t max_budget_bytes = 256u << 10;
  };

  LinkEstimator() : LinkEstimator(Options{}) {}
  explicit LinkEstimator(Options options);

  // One exchange completed: |bytes| crossed the link (the message and its answer) and
  // the answer came |elapsed_ms| after the message was handed to the socket. Exchanges
  // of a few hundred bytes measure the round trip; those that filled at least half of
  // the budget, the rate; others say too little to count.
  void OnExchange(std::size_t bytes, Millis elapsed_ms);
  // An answer did not come when expected: the link is slower than believed (or shared).
  void OnTimeout();

  double bytes_per_second() const { return bytes_per_second_; }
  Millis rtt_ms() const { return rtt_ms_; }
  int samples() const { return samples_; }
  // A satellite or radio link, where every byte counts: measured below 64 kbit/s; or,
  // before any message was large enough to measure the rate, a round trip of 400 ms or
  // more (hotel Wi-Fi answers a greeting in tens of milliseconds, a satellite in
  // seconds); or, before anything was measured, assumed.
  bool thin() const;
  // The bytes one message may hold to cross in about target_ms.
  std::size_t Budget() const;
  // How long |bytes| should take to be answered: a round trip plus their time on the link.
  Millis Expected(std::size_t bytes) const;

 private:
  Options options_;
  double bytes_per_second_;
  Millis rtt_ms_;
  int samples_ = 0;
  int rtt_samples_ = 0;
  int rate_samples_ = 0;
};

}  // namespace muster
