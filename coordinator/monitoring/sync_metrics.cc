#include "monitoring/sync_metrics.h"

#include <algorithm>

#include "muster/wire/records.h"

namespace muster::hq {
namespace {

// Kinds come from agents: one this build does not know is counted as "other", so that a
// hostile agent cannot grow the label set.
std::string KindLabel(const std::string& kind) {
  return wire::RecordKindFromName(kind) ? kind : "other";
}

}  // namespace

void SyncMetrics::SetAgentsConnected(std::uint64_t count) {
  std::lock_guard<std::mutex> lock(mutex_);
  counts_.agents_connected = count;
}

void SyncMetrics::CountRecords(const std::map<std::string, std::uint64_t>& applied,
                               const std::map<std::string, std::uint64_t>& refused) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [kind, count] : applied) counts_.records_applied[KindLabel(kind)] += count;
  for (const auto& [kind, count] : refused) counts_.records_refused[KindLabel(kind)] += count;
}

void SyncMetrics::CountRefusedMessage(ErrorCode code) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++counts_.messages_refused[std::string(WireName(code))];
}

void SyncMetrics::ObserveCommit(double seconds) {
  const auto bucket = std::lower_bound(kCommitBounds.begin(), kCommitBounds.end(), seconds);
  std::lock_guard<std::mutex> lock(mutex_);
  ++counts_.commit_buckets[static_cast<std::size_t>(bucket - kCommitBounds.begin())];
  counts_.commit_seconds_sum += seconds;
}

SyncMetrics::Snapshot SyncMetrics::Take() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_;
}

}  // namespace muster::hq
