// The agent's local store: what the member was assigned (tasks and the exact playbook
// versions they come from), everything the member recorded (the outbox, which is also
// the member's record with its receipts), and the sync cursors.
//
// Every verb opens its own AgentStore; the daemon holds one for its life. SQLite (WAL)
// serialises the writers and lets readers run beside them, so the CLI works whether or
// not the daemon runs.
//
// Durability (OpenStore in core/sqlite_store.h): WAL with synchronous=FULL. In WAL mode
// FULL syncs the log at every commit, so a record is on disk when the verb prints
// "recorded", and a commit cut short by a crash or a power loss is an incomplete tail of
// the log that SQLite discards on the next open (its frames' checksums do not match).
// NORMAL would sync only at checkpoints and could lose the last records the member was
// told were recorded. tests/agent/store_faults_test.cc kills writers mid-commit and fills
// the disk for real.
//
// Waking the daemon (store_watch.h): after every commit that added something to send
// (outbox records, an attached file), the store touches DATA_DIR/outbox.signal, strictly
// after the commit returned, and the daemon's StoreWatch wakes on it. Append() or
// AddAttachment() outside a transaction signals after its own commit; inside
// Transaction() they signal once, after that commit, and never when it rolls back.
// Writes that add nothing to send (the daemon's receipts, cursors, link state, and the
// pieces it cuts while sending) do not signal. A signal that cannot be written is logged
// at warn and does not fail the write: the records are committed, and the daemon sees
// them at its next refresh (at most 60 s).
#pragma once

#include <SQLiteCpp/Database.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attachments.h"
#include "muster/bundle.h"
#include "muster/clock.h"
#include "muster/playbook/model.h"
#include "muster/playbook/triggers.h"
#include "muster/protocol.h"
#include "muster/result.h"
#include "muster/sqlite_store.h"
#include "sync_store.h"

namespace muster::agent {

using nlohmann::json;

// The agent store's schema, as an ordered list of migrations (tests build older stores).
const std::vector<Migration>& AgentMigrations();

// The largest record a member can make (HQ refuses larger ones too): a batch of them
// always fits a protocol frame.
inline constexpr std::size_t kMaxRecordBytes = protocol::kMaxRecordBodyBytes;

struct Task {
  std::string id;
  std::int64_t deployment = 0;
  std::string incident;
  std::string incident_title;
  std::string step;
  std::string playbook;  // content hash
  std::string hq_state;
  bool dormant = false;
  std::string hq_reason;
  std::optional<Millis> due_at;
  json waits_on = json::array();  // [{task, step, member, state}] as HQ last relayed
  std::string local_state;        // what the member did: acknowledged | in_progress | ...
  std::string local_reason;
  Millis updated_at = 0;
};

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


// The deployment's progress as HQ last relayed it (a "team" delivery; see team.cc).
struct TeamSnapshot {
  std::int64_t deployment = 0;
  Millis hq_at = 0;        // HQ's clock when it made the snapshot
  Millis received_at = 0;  // this laptop's clock when it arrived
  json body;               // {deployment, incident, playbook, at, members, tasks}
};

struct LinkState {
  bool connected = false;
  Millis daemon_seen_at = 0;  // the daemon writes this while it runs
  Millis last_sync_at = 0;    // the last ACK or DELIVER
  std::string last_error;
};

class AgentStore final : public SyncStore {
 public:
  // Opens DATA_DIR/agent.db, creating it on first use and recording the bundle's identity.
  static Result<std::unique_ptr<AgentStore>> Open(const std::string& data_dir,
                                                  const Bundle& bundle, const Clock& clock);

  const std::string& agent_id() const override { return agent_id_; }
  const std::string& member_id() const { return member_id_; }
  const std::string& data_dir() const { return data_dir_; }

  // --- what the member records (each call is one transaction, durable on return) ---
  // Wakes the daemon after the commit (above); inside Transaction(), after its commit.
  // Appends one record of a wire::*Record type in its kind's lane.
  template <typename T>
  Result<std::uint64_t> Append(const T& record) {
    return Append(wire::RecordKindName(T::kKind), record.task, record.Encode(), LaneOf(T::kKind));
  }
  // Appends a record whose body is given as it is: for tests that must send what no verb
  // would (hostile or malformed bodies). The product appends typed records only.
  Result<std::uint64_t> Append(const std::string& kind, const std::string& task,
                               const json& body, int lane);
  Status SetLocalState(const std::string& task_id, const std::string& state,
                       const std::string& reason);
  // Queues an imported attachment (see attachments.h) for the attachment lane. Call
  // inside Transaction() with the finding that refers to it; a file already attached
  // before is not queued twice. Its pieces are cut when they are sent (NextBatch), sized
  // to the link then, and each piece is an outbox record from that moment on.
  Status AddAttachment(const Attachment& attachment, const std::string& task);
  // Appends several records and a local state change atomically (e.g. `done` with fields).
  // What |body| adds to send wakes the daemon once, after the commit. Verbs group
  // records only through this (not nested).
  Status Transaction(const std::function<Status()>& body);

  // --- tasks and playbooks ---
  Result<std::vector<Task>> Tasks();
  // A task by its id or, when unambiguous, by its step id.
  Result<Task> FindTask(const std::string& id_or_step);
  Result<std::shared_ptr<const playbook::Playbook>> PlaybookByHash(const std::string& hash);
  Result<std::string> PlaybookSource(const std::string& hash);
  // The state to show: HQ's decisions first, then the member's, then readiness.
  std::string DisplayState(const Task& task, const std::vector<Task>& all) const;
  // The latest value of every field recorded in a deployment, for triggers.
  Result<playbook::FindingValues> FindingValues(std::int64_t deployment);
  Result<std::vector<std::string>> FiredTriggers(std::int64_t deployment);
  Status MarkTriggerFired(std::int64_t deployment, const std::string& trigger_id);
  Status ActivateStep(std::int64_t deployment, const std::string& step);
  // Records of one task (or all when |task| is empty), oldest first.
  // Attachment chunks are not listed; Attachments() sums them up per file.
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
  Status MarkRefused(std::uint64_t seq, const std::string& why) override;
  Result<std::uint64_t> AckedWatermark() override;
  Result<std::uint64_t> Head() override;
  Result<AckedAbove> AckedAboveWatermark() override;
  Result<protocol::SeqRanges> SentUnacked() override;
  Result<std::uint64_t> Requeue(const protocol::SeqRanges& ranges) override;
  Result<std::uint64_t> RequeueAbove(std::uint64_t seq) override;
  Status RebaseSequence(std::uint64_t hq_highest) override;
  Result<std::uint64_t> ApplyDeliveries(const std::vector<Delivery>& deliveries) override;
  Result<std::uint64_t> AppliedWatermark() override;
  Status RestartDeliveries(std::uint64_t seq) override;
  Status SetDeliveryHead(std::uint64_t head) override;
  // What HQ said it had queued when it last welcomed this agent (0 before any WELCOME)
  // and when the view was last restarted by HQ (0: never).
  struct DeliveryState {
    std::uint64_t applied = 0;
    std::uint64_t hq_head = 0;
    Millis restarted_at = 0;
  };
  Result<DeliveryState> Deliveries();
  Result<OutboxStats> Stats() override;
  Status SetLink(const LinkState& link);
  Result<LinkState> Link();

  // --- the team, as last relayed by HQ (team.cc) ---
  Result<std::vector<TeamSnapshot>> TeamSnapshots();

 private:
  AgentStore(std::unique_ptr<SQLite::Database> db, const Clock& clock, std::string data_dir,
             std::string agent_id, std::string member_id);
  // Adds the file's name and size and the piece's bytes to an attachment_chunk record, or
  // marks it damaged when the stored copy cannot be read or no longer matches.
  void FillPiece(OutboxRecord& record);
  // Cuts new pieces from files not yet all cut, up to |max_bytes| in all and |max_records|
  // pieces: each becomes an outbox record (in one transaction) and is returned with its
  // bytes. A file whose stored copy no longer matches its sha256 is cut as one damaged
  // piece, which tells HQ.
  Result<std::vector<OutboxRecord>> CutPieces(std::size_t max_records, std::size_t max_bytes);
  Status ApplyDelivery(const Delivery& delivery);
  // A "team" delivery queued at |at| (HQ's clock): the whole view, or changes to it.
  Status ApplyTeam(const json& body, Millis at);
  std::string Meta(const std::string& key, const std::string& fallback);
  void SetMeta(const std::string& key, const std::string& value);
  // Work for the daemon was just written (records, a file to send): signals at once when
  // it is committed (autocommit), else when the open Transaction() commits.
  void WorkAdded();
  // Touches the outbox signal (store_watch.h); call after the commit returned.
  void SignalOutbox();

  std::unique_ptr<SQLite::Database> db_;
  const Clock& clock_;
  std::string data_dir_;
  std::string agent_id_;
  std::string member_id_;
  std::map<std::string, std::shared_ptr<const playbook::Playbook>> playbooks_;
  // Stored copies checked against their sha256 since this store was opened (a copy is
  // hashed whole once before its first piece is cut, not once per piece).
  std::set<std::string> verified_copies_;
  bool to_signal_ = false;  // the open Transaction() added work for the daemon
};

}  // namespace muster::agent
