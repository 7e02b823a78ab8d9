// A real AgentStore behind the SyncStore and SyncOutbox interfaces, with one operation
// made to fail on demand: the fault tests of the sync engine. Everything else goes to the
// real store and its outbox.
#pragma once

#include <set>
#include <string>

#include "agent_store.h"

namespace muster::agent::testing {

class FailingStore final : public SyncStore, public SyncOutbox {
 public:
  explicit FailingStore(AgentStore& real) : real_(real), outbox_(real.outbox()) {}

  // Operations named here fail (with "disk_full", as a full disk would) until Heal().
  void Fail(const std::string& operation) { failing_.insert(operation); }
  void Heal() { failing_.clear(); }

  const std::string& agent_id() const override { return real_.agent_id(); }
  SyncOutbox& outbox() override { return *this; }

  // --- the outbox (SyncOutbox) ---
  Result<std::uint64_t> AckedWatermark() override {
    return Failing("AckedWatermark") ? Failure() : outbox_.AckedWatermark();
  }
  Result<std::uint64_t> Head() override { return Failing("Head") ? Failure() : outbox_.Head(); }
  Result<AckedAbove> AckedAboveWatermark() override {
    if (Failing("AckedAboveWatermark")) return Failure();
    return outbox_.AckedAboveWatermark();
  }
  Result<protocol::SeqRanges> SentUnacked() override {
    if (Failing("SentUnacked")) return Failure();
    return outbox_.SentUnacked();
  }
  Result<std::vector<OutboxRecord>> NextBatch(int max_lane, std::size_t max_records,
                                              std::size_t max_bytes) override {
    if (Failing("NextBatch")) return Failure();
    return outbox_.NextBatch(max_lane, max_records, max_bytes);
  }
  Result<int> LowestPendingLane() override {
    if (Failing("LowestPendingLane")) return Failure();
    return outbox_.LowestPendingLane();
  }
  Status MarkSent(const std::vector<std::uint64_t>& seqs) override {
    return Failing("MarkSent") ? Failure() : outbox_.MarkSent(seqs);
  }
  Status MarkAcked(const std::vector<std::uint64_t>& seqs) override {
    return Failing("MarkAcked") ? Failure() : outbox_.MarkAcked(seqs);
  }
  Status MarkAckedRanges(const protocol::SeqRanges& ranges) override {
    return Failing("MarkAckedRanges") ? Failure() : outbox_.MarkAckedRanges(ranges);
  }
  Status MarkRefused(std::uint64_t seq, const std::string& why) override {
    return Failing("MarkRefused") ? Failure() : outbox_.MarkRefused(seq, why);
  }
  Result<std::uint64_t> Requeue(const protocol::SeqRanges& ranges) override {
    return Failing("Requeue") ? Failure() : outbox_.Requeue(ranges);
  }
  Result<std::uint64_t> RequeueAbove(std::uint64_t seq) override {
    return Failing("RequeueAbove") ? Failure() : outbox_.RequeueAbove(seq);
  }
  Status RebaseSequence(std::uint64_t hq_highest) override {
    return Failing("RebaseSequence") ? Failure() : outbox_.RebaseSequence(hq_highest);
  }
  Result<OutboxStats> Stats() override { return Failing("Stats") ? Failure() : outbox_.Stats(); }

  // --- the deliveries (SyncStore) ---
  Result<std::uint64_t> AppliedWatermark() override {
    return Failing("AppliedWatermark") ? Failure() : real_.AppliedWatermark();
  }
  Result<std::uint64_t> ApplyDeliveries(const std::vector<Delivery>& deliveries) override {
    return Failing("ApplyDeliveries") ? Failure() : real_.ApplyDeliveries(deliveries);
  }
  Status RestartDeliveries(std::uint64_t seq) override {
    return Failing("RestartDeliveries") ? Failure() : real_.RestartDeliveries(seq);
  }
  Status SetDeliveryHead(std::uint64_t head) override {
    return Failing("SetDeliveryHead") ? Failure() : real_.SetDeliveryHead(head);
  }
  Result<std::optional<ClockOffset>> ClockOffsetToHq() override {
    if (Failing("ClockOffsetToHq")) return Failure();
    return real_.ClockOffsetToHq();
  }
  Status SetClockOffsetToHq(const ClockOffset& offset) override {
    return Failing("SetClockOffsetToHq") ? Failure() : real_.SetClockOffsetToHq(offset);
  }

 private:
  bool Failing(const std::string& operation) const { return failing_.count(operation) > 0; }
  static Status Failure() {
    return Status::Error(ErrorCode::kDiskFull,
                         "no space left on the device holding the test store");
  }

  AgentStore& real_;
  Outbox& outbox_;  // real_'s
  std::set<std::string> failing_;
};

}  // namespace muster::agent::testing
