// What the router thread counts for /metrics: agents connected (said HELLO and sent a
// message in the last 5 minutes), records applied and
// refused by kind, messages refused before decoding by error code, and how long each
// ingest group took to commit. Counters start at zero with the process, as Prometheus
// counters do.
//
// Thread-safe: the router thread records, the API thread takes snapshots.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "muster/error_code.h"

namespace muster::hq {

class SyncMetrics {
 public:
  // Upper bounds of the commit latency histogram's buckets, in seconds.
  static constexpr std::array<double, 12> kCommitBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

  struct Snapshot {
    std::uint64_t agents_connected = 0;
    std::map<std::string, std::uint64_t> records_applied;   // by record kind
    std::map<std::string, std::uint64_t> records_refused;   // by record kind
    std::map<std::string, std::uint64_t> messages_refused;  // by error code's wire name
    std::array<std::uint64_t, kCommitBounds.size() + 1> commit_buckets{};  // last: +Inf
    double commit_seconds_sum = 0;
  };

  void SetAgentsConnected(std::uint64_t count);
  void CountRecords(const std::map<std::string, std::uint64_t>& applied,
                    const std::map<std::string, std::uint64_t>& refused);
  void CountRefusedMessage(ErrorCode code);
  void ObserveCommit(double seconds);

  Snapshot Take() const;

 private:
  mutable std::mutex mutex_;
  Snapshot counts_;
};

}  // namespace muster::hq
