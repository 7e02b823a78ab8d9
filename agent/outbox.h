// The agent's outbox: everything the member records, in the order it was recorded, until
// HQ holds it. It carries the agent's side of Muster's exactly-once promise:
// - Durable on return: Append() returns once its commit is on disk (WAL with
//   synchronous=FULL; agent_store.h); inside Transaction(), the records are on disk when
//   Transaction() returns Ok.
// - Sent until acknowledged: a record keeps acked_at NULL until HQ's ACK (MarkAcked,
//   MarkAckedRanges) and is in a batch again (NextBatch) on every new connection, after a
//   restart or a crash, until then. sent_at only says it was handed to a socket once.
// - Never duplicated at HQ: a record's seq is given once, at Append, and kept for life;
//   HQ keys what it holds by (agent, seq), so a record sent again (its ACK was lost) is
//   recognised and has its effect once.
// - Restores: HQ restored from an older backup no longer holds some acknowledged records:
//   Requeue()/RequeueAbove() clear their acked_at and they go again under the same seqs.
//   HQ holds seqs this store never wrote (this store was restored, or is new for an old
//   bundle): RebaseSequence() renumbers the unacknowledged records at or below HQ's
//   highest seq above it, in their order, and moves the sequence past it, so that none is
//   taken for a record HQ already holds.
//
// Tables: it owns `outbox` (one row a record; seq is AUTOINCREMENT, so never reused) and
// `attachments` (files queued to send; `cut` is how many of their bytes are already cut
// into outbox records). Their schema is AgentMigrations() (agent_store.cc), with the rest
// of the store's. Nothing else writes them; AgentStore::FindingValues reads the findings.
// MarkAcked() also notes the time in meta's last_sync_at (store_sql.h).
//
// Attached files: AddAttachment() queues a file whole; its pieces are cut when they are
// sent (NextBatch), sized to what the link takes then, and each piece is an outbox record
// of kind attachment_chunk from that moment on, acknowledged, resumed and ordered like the
// others. Their bytes stay in the stored copy (attachments.h) and are read into the batch.
//
// Waking the daemon (store_watch.h): after every commit that added something to send
// (records, an attached file), the outbox touches DATA_DIR/outbox.signal, strictly after
// the commit returned, and the daemon's StoreWatch wakes on it. Append() or
// AddAttachment() outside a transaction signals after its own commit; inside
// Transaction() they signal once, after that commit, and never when it rolls back.
// Writes that add nothing to send (receipts, and the pieces cut while sending) do not
// signal. A signal that cannot be written is logged at warn and does not fail the write:
// the records are committed, and the daemon sees them at its next refresh (at most 60 s).
//
// Threads and transactions: one thread at a time, like the connection it shares with its
// AgentStore (each process, each verb, opens its own store; SQLite serialises writers
// across them). Append() and AddAttachment() join a transaction that is open on the
// connection (Transaction()); every other write is one transaction of its own, so call
// them outside Transaction().
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "attachments.h"
#include "muster/clock.h"
#include "muster/protocol.h"
#include "muster/result.h"
#include "sync_store.h"

namespace muster::agent {

using nlohmann::json;

// The largest record a member can make (HQ refuses larger ones too): a batch of them
// always fits a protocol frame.
inline constexpr std::size_t kMaxRecordBytes = protocol::kMaxRecordBodyBytes;

// How far an attached file has travelled: its bytes sent and acknowledged by HQ.
struct AttachmentProgress {
  std::string sha256;
  std::string name;
  std::uint64_t size = 0;
  std::string task;
  std::uint64_t sent = 0;   // bytes
  std::uint64_t acked = 0;  // bytes
  Millis created_at = 0;
  std::optional<Millis> last_acked_at;
  std::string refusal;  // why HQ refused a chunk (e.g. the stored copy is damaged)
};

class Outbox final : public SyncOutbox {
 public:
  // |db| is the agent store's connection, its schema up to date; it and |clock| must
  // outlive the outbox. |data_dir| holds the stored copies and the outbox signal;
  // |copies_key| (may be null: plain copies) seals the copies (attachments.h) and must
  // outlive the outbox too.
  Outbox(SQLite::Database& db, const Clock& clock, std::string data_dir,
         const SecretBytes* copies_key = nullptr);

  // --- what the member records (durable on return; wakes the daemon, above) ---
  // Appends one record of a wire::*Record type in its kind's lane; returns its seq.
  template <typename T>
  Result<std::uint64_t> Append(const T& record) {
    std::string task;  // a check-in concerns no task
    if constexpr (requires { record.task; }) task = record.task;
    return Append(wire::RecordKindName(T::kKind), task, record.Encode(), LaneOf(T::kKind));
  }
  // Appends a record whose body is given as it is: for tests that must send what no verb
  // would (hostile or malformed bodies). The product appends typed records only.
  Result<std::uint64_t> Append(const std::string& kind, const std::string& task, const json& body,
                               int lane);
  // Queues an imported attachment (attachments.h) for the attachment lane. Call inside
  // Transaction() with the finding that refers to it; a file already attached before is
  // not queued twice.
  Status AddAttachment(const Attachment& attachment, const std::string& task);
  // Runs |body| in one transaction of the connection: the records it appends and what
  // else it writes in the store (a task's local state, fired triggers) commit together.
  // What it adds to send wakes the daemon once, after the commit. Not nested.
  Status Transaction(const std::function<Status()>& body);

  // --- the member's record with its receipts ---
  // Records of one task (or all when |task| is empty), oldest first. Attachment pieces
  // are not listed; Attachments() sums them up per file.
  Result<std::vector<OutboxRecord>> Records(const std::string& task);
  // Attached files of one task (or all when |task| is empty), oldest first.
  Result<std::vector<AttachmentProgress>> Attachments(const std::string& task);

  // --- sync (sync_store.h) ---
  Result<std::vector<OutboxRecord>> NextBatch(int max_lane, std::size_t max_records,
                                              std::size_t max_bytes) override;
  // NextBatch over every lane.
  Result<std::vector<OutboxRecord>> NextBatch(std::size_t max_records, std::size_t max_bytes) {
    return NextBatch(kLaneAttachment, max_records, max_bytes);
  }
  Result<int> LowestPendingLane() override;
  Status MarkSent(const std::vector<std::uint64_t>& seqs) override;
  Status MarkAcked(const std::vector<std::uint64_t>& seqs) override;
  Status MarkAckedRanges(const protocol::SeqRanges& ranges) override;
  Status MarkAckedRangesSentHere(const protocol::SeqRanges& ranges) override;
  Status MarkRefused(std::uint64_t seq, const std::string& why) override;
  Result<std::uint64_t> AckedWatermark() override;
  Result<std::uint64_t> Head() override;
  Result<AckedAbove> AckedAboveWatermark() override;
  Result<protocol::SeqRanges> SentUnacked() override;
  Result<std::uint64_t> Requeue(const protocol::SeqRanges& ranges) override;
  Result<std::uint64_t> RequeueAbove(std::uint64_t seq) override;
  Status RebaseSequence(std::uint64_t hq_highest) override;
  Result<OutboxStats> Stats() override;

  // --- the team's field relay (relay/relay_link.h) ---
  // Records neither HQ nor the relay holds yet, in sequence, at most |max_records| and
  // about |max_bytes|, always at least one; attachment pieces already cut come with their
  // bytes.
  Result<std::vector<OutboxRecord>> NextForRelay(std::size_t max_records, std::size_t max_bytes);
  // Cuts the next pieces of attached files for the relay, while this laptop's own link to
  // HQ is not cutting them: at most |max_records| pieces of about |max_bytes| in all (the
  // relay forwards each piece whole, so they stay small enough for a thin link).
  Result<std::vector<OutboxRecord>> CutPiecesForRelay(std::size_t max_records,
                                                      std::size_t max_bytes) {
    return CutPieces(max_records, max_bytes);
  }
  // The relay acknowledged these: it holds them for HQ. The next HELLO to HQ lists them
  // with what was sent (`sent`), so that HQ says which it already has from the relay; they
  // stay unacknowledged until HQ says so.
  Status MarkRelayHeld(const std::vector<std::uint64_t>& seqs);
  // These carry work the playbook keeps from the team (TLP:RED): never offered to the
  // relay; they wait for HQ's own link (relay_held_at 0).
  Status MarkNotForRelay(const std::vector<std::uint64_t>& seqs);

  // --- retention (docs/agent.md, "what the laptop keeps") ---
  struct Pruned {
    std::uint64_t records = 0;
    std::uint64_t files = 0;
    std::uint64_t relayed = 0;  // teammates' records the field relay held (Pruner)
  };
  // Deletes what HQ acknowledged before |cutoff| and this laptop no longer needs: records
  // (attachment pieces with their file) at or below the acknowledged watermark, of tasks
  // whose deployment has no task left open here (HQ's state not completed, cancelled or
  // reassigned: the playbook's triggers and required fields read the findings of an
  // open deployment), and the stored copies of files whose every piece went so. Never a
  // record not acknowledged, and never the newest record: the sequence continues from
  // it (AUTOINCREMENT keeps it too), so no seq is ever given twice and Head() and
  // AckedWatermark() say what they said before. Stats() counts pruned records as
  // acknowledged. Its own transaction.
  Result<Pruned> Prune(Millis cutoff);

 private:
  // A queued file not yet all cut into pieces.
  struct PendingFile {
    std::string sha256, name, task;
    std::uint64_t size = 0, cut = 0;
  };

  // MarkAckedRanges, of the records handed to this agent's own socket only when
  // |sent_here|.
  Status MarkAckedAmong(const protocol::SeqRanges& ranges, bool sent_here);
  // Reads records from |query| (kRecordColumns) into |batch| while they fit |max_bytes|
  // (always one), attachment pieces with their bytes; returns the bytes counted. Throws
  // SQLite's errors.
  std::size_t ReadBatch(SQLite::Statement& query, std::size_t max_bytes,
                        std::vector<OutboxRecord>& batch);
  // Cuts new pieces from files not yet all cut, up to |max_bytes| in all and
  // |max_records| pieces: each becomes an outbox record (in one transaction) and is
  // returned with its bytes.
  Result<std::vector<OutboxRecord>> CutPieces(std::size_t max_records, std::size_t max_bytes);
  // The queued files not yet all cut, oldest first (throws SQLite's errors).
  std::vector<PendingFile> PendingFiles();
  // Cuts the next piece of |file|, at most about |room| bytes with its description:
  // appends it, advances the file's `cut`, and returns it with its bytes. A file whose
  // stored copy no longer matches its sha256 is cut as one damaged piece, which tells HQ.
  Result<OutboxRecord> CutPiece(PendingFile& file, std::size_t room);
  // Reads the next piece of |file| into |data|, and its length and sha256 into |cut|; an
  // error when the stored copy is damaged (checked whole before its first piece).
  Status ReadNextPiece(const PendingFile& file, std::size_t room, wire::AttachmentPiece& cut,
                       std::string& data);
  // Adds the file's name and size and the piece's bytes to an attachment_chunk record, or
  // marks it damaged when the stored copy cannot be read or no longer matches.
  void FillPiece(OutboxRecord& record);
  // Notes on a piece that it went without its bytes, for |why| (throws SQLite's errors).
  void MarkNotSent(std::uint64_t seq, const std::string& why);
  // Work for the daemon was just written (records, a file to send): signals at once when
  // it is committed (autocommit), else when the open Transaction() commits.
  void WorkAdded();
  // Touches the outbox signal (store_watch.h); call after the commit returned.
  void SignalOutbox();

  SQLite::Database& db_;
  const Clock& clock_;
  std::string data_dir_;
  const SecretBytes* copies_key_;
  // Stored copies checked against their sha256 since this outbox was made (a copy is
  // hashed whole once before its first piece is cut, not once per piece).
  std::set<std::string> verified_copies_;
  bool to_signal_ = false;  // the open Transaction() added work for the daemon
};

}  // namespace muster::agent
