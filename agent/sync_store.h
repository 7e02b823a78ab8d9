// What the sync engine (SyncClient) needs of the agent's store: the outbox (SyncOutbox,
// implemented by Outbox) and the deliveries with their cursor (SyncStore, implemented by
// AgentStore). Fault tests wrap a real AgentStore and fail one call at a time, to show
// that no failure on the path of a record is swallowed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "muster/wire/records.h"
#include "muster/clock.h"
#include "muster/clock_offset.h"
#include "muster/protocol.h"
#include "muster/result.h"

namespace muster::agent {

// Lanes of the outbox: on a thin link lower numbers go first, and a batch never mixes
// lanes (docs/protocol.md §5).
enum Lane : int { kLaneSafety = 0, kLaneStatus = 1, kLaneFinding = 2, kLaneAttachment = 3 };

struct OutboxRecord {
  std::uint64_t seq = 0;
  std::string kind;  // wire::RecordKindName: status, finding, ... checklist
  std::string task;
  nlohmann::json body;
  int lane = kLaneStatus;
  Millis created_at = 0;
  std::optional<Millis> sent_at;
  std::optional<Millis> acked_at;
  std::string refusal;  // set when HQ held the record but refused its effect
};

// The lane each kind of record travels in.
constexpr Lane LaneOf(wire::RecordKind kind) {
  switch (kind) {
    case wire::RecordKind::kAlert:
    case wire::RecordKind::kTrigger:
    case wire::RecordKind::kWatchlistHit: return kLaneSafety;
    case wire::RecordKind::kStatus:
    case wire::RecordKind::kNote:
    case wire::RecordKind::kChecklist:
    case wire::RecordKind::kPosition: return kLaneStatus;
    case wire::RecordKind::kFinding: return kLaneFinding;
    case wire::RecordKind::kAttachmentChunk: return kLaneAttachment;
  }
  return kLaneStatus;
}

// One delivery from HQ, as it came in a DELIVER message.
using Delivery = wire::Entry;

struct OutboxStats {
  std::uint64_t pending = 0;
  std::uint64_t pending_bytes = 0;
  std::uint64_t sent_unacked = 0;
  std::uint64_t acked = 0;
  std::uint64_t refused = 0;
  std::uint64_t relay_held = 0;  // of pending: held by the team's field relay for HQ
};

// Seqs the agent knows HQ to hold (acknowledged) above its contiguous watermark, listed
// up to protocol::kMaxRanges ranges; |complete| is false when more were left out.
struct AckedAbove {
  protocol::SeqRanges ranges;
  bool complete = true;
};

// The outbox as the sync engine sees it: its cursors and its records. Outbox (outbox.h)
// implements it.
class SyncOutbox {
 public:
  virtual ~SyncOutbox() = default;

  // --- cursors ---
  // Every seq up to this one is acknowledged by HQ.
  virtual Result<std::uint64_t> AckedWatermark() = 0;
  virtual Result<std::uint64_t> Head() = 0;
  virtual Result<AckedAbove> AckedAboveWatermark() = 0;
  // Records handed to a socket, or held by the team's field relay, that HQ has not
  // acknowledged (at most kMaxRanges ranges).
  virtual Result<protocol::SeqRanges> SentUnacked() = 0;

  // --- records ---
  // Unacknowledged records of the lowest lane that has any, no higher than |max_lane|,
  // in sequence: at most |max_records| and about |max_bytes| of bodies, always at least
  // one. Attachment chunks come with their bytes, read from the stored copy.
  virtual Result<std::vector<OutboxRecord>> NextBatch(int max_lane, std::size_t max_records,
                                                      std::size_t max_bytes) = 0;
  // The lowest lane with unacknowledged records, or -1 when there are none.
  virtual Result<int> LowestPendingLane() = 0;
  virtual Status MarkSent(const std::vector<std::uint64_t>& seqs) = 0;
  virtual Status MarkAcked(const std::vector<std::uint64_t>& seqs) = 0;
  virtual Status MarkAckedRanges(const protocol::SeqRanges& ranges) = 0;
  // The same for those of |ranges| handed to this agent's own socket, not those that only
  // went to the team's field relay.
  virtual Status MarkAckedRangesSentHere(const protocol::SeqRanges& ranges) {
    return MarkAckedRanges(ranges);
  }
  virtual Status MarkRefused(std::uint64_t seq, const std::string& why) = 0;
  // HQ no longer holds these acknowledged records (it was restored from a backup): send
  // them again. Returns how many were re-queued.
  virtual Result<std::uint64_t> Requeue(const protocol::SeqRanges& ranges) = 0;
  // The same for every acknowledged record above |seq|.
  virtual Result<std::uint64_t> RequeueAbove(std::uint64_t seq) = 0;
  // HQ holds sequences this store never wrote (it was restored from a backup, or is new
  // for an old bundle): move unacknowledged records and the sequence past |hq_highest|
  // so that none is mistaken for a duplicate.
  virtual Status RebaseSequence(std::uint64_t hq_highest) = 0;
  virtual Result<OutboxStats> Stats() = 0;
};

// The store as the sync engine sees it: the agent's identity, its outbox, and the
// deliveries from HQ with their cursor. AgentStore implements it.
class SyncStore {
 public:
  virtual ~SyncStore() = default;

  virtual const std::string& agent_id() const = 0;
  virtual SyncOutbox& outbox() = 0;

  // --- deliveries ---
  virtual Result<std::uint64_t> AppliedWatermark() = 0;
  // Applies deliveries in sequence; skips what is already applied and stops at a gap.
  virtual Result<std::uint64_t> ApplyDeliveries(const std::vector<Delivery>& deliveries) = 0;
  // HQ cannot continue after this store's cursor (both sides were restored from
  // backups): the cursor moves to |seq| - 1 and a full view from HQ follows from |seq|.
  virtual Status RestartDeliveries(std::uint64_t seq) = 0;
  // What HQ said it had queued for this agent when it last welcomed it; the member's view
  // is behind while the applied cursor is below it.
  virtual Status SetDeliveryHead(std::uint64_t head) = 0;

  // --- time ---
  // The offset of HQ's clock from this laptop's, as last kept (clock_offset.h); none
  // before the first exchange with HQ.
  virtual Result<std::optional<ClockOffset>> ClockOffsetToHq() = 0;
  virtual Status SetClockOffsetToHq(const ClockOffset& offset) = 0;
};

}  // namespace muster::agent
