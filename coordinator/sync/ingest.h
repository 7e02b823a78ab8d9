// Ingesting what agents send: each batch in one transaction, duplicates recognised by
// (agent, seq), effects applied exactly once, refusals recorded rather than retried.
//
// A record is first logged in `inbound` (held: the agent may forget it once acknowledged),
// then its effect is applied by the handler of its kind (sync/ingest_records.cc). A
// record refused for what it says (forbidden, malformed, an invalid value...) stays held
// with its refusal and no effect; any other error rolls the whole batch back, and the
// agent sends it again. Thread: the router's.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "domain/agent_clocks.h"
#include "domain/agent_directory.h"
#include "domain/alerts.h"
#include "domain/attachments.h"
#include "domain/deployments.h"
#include "domain/playbook_library.h"
#include "domain/task_schedule.h"
#include "domain/timeline.h"
#include "muster/protocol.h"
#include "muster/result.h"
#include "muster/wire/records.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"
#include "sync/dispatch.h"

namespace muster::hq {

// One record an agent sent, as it came in a RECORDS message.
using InboundRecord = wire::Entry;

// What ingesting a batch produced: the sequences now durably held (new or duplicate),
// the agent's contiguous watermark, refusals to report back, and what the records set in
// motion (TaskEffects: agents to wake, team views to relay).
struct IngestOutcome : TaskEffects {
  std::vector<std::uint64_t> held;
  std::uint64_t ingested = 0;
  std::vector<std::pair<std::uint64_t, Status>> refused;
  // New records by kind: applied, or refused for what they say (for /metrics).
  std::map<std::string, std::uint64_t> applied_by_kind;
  std::map<std::string, std::uint64_t> refused_by_kind;
  // Deployments that received findings or completions: their triggers are evaluated once
  // per batch.
  std::set<std::int64_t> deployments_to_evaluate;
};

// One agent's batch of records, as a RECORDS message brought it.
struct IngestBatch {
  std::string agent_id;
  std::vector<InboundRecord> records;
  std::string peer;  // the address it came from, for the audit log
  // What the agent said of its clock in the same message: kept before the records are
  // placed in time.
  std::optional<ClockReport> clock = std::nullopt;
};

class Ingest : OverDatabase {
 public:
  struct Parts {
    AuditTrail& audit;
    Timeline& timeline;
    Alerts& alerts;
    PlaybookLibrary& playbooks;
    AgentDirectory& directory;
    Deployments& deployments;
    Dispatch& dispatch;
    Attachments& attachments;
    TaskSchedule& schedule;
    TeamRelay& team;
    AgentClocks& clocks;
    Watchlist& watchlist;
  };
  Ingest(HqDatabase& database, const Parts& parts)
      : OverDatabase(database),
        audit_(parts.audit),
        timeline_(parts.timeline),
        alerts_(parts.alerts),
        playbooks_(parts.playbooks),
        directory_(parts.directory),
        deployments_(parts.deployments),
        dispatch_(parts.dispatch),
        attachments_(parts.attachments),
        schedule_(parts.schedule),
        team_(parts.team),
        clocks_(parts.clocks),
        watchlist_(parts.watchlist) {}

  // Commits every record of a batch in one transaction and returns only after the
  // commit (a group of one). |peer| is the address the batch came from, for the audit
  // log. forbidden when the agent is not enrolled or revoked.
  Result<IngestOutcome> Commit(const std::string& agent_id,
                               const std::vector<InboundRecord>& records,
                               const std::string& peer = "");
  // Group commit: commits several agents' batches in one transaction (one fsync), each
  // under a savepoint of its own, and returns each batch's outcome in order after the
  // commit. A batch that fails is rolled back alone (its agent sends it again); when the
  // commit itself fails, every batch has that error.
  std::vector<Result<IngestOutcome>> CommitGroup(const std::vector<IngestBatch>& batches);
  // The agent's contiguous watermark: every seq up to it is held at HQ.
  Result<std::uint64_t> Watermark(const std::string& agent_id);
  // The highest seq held from the agent, contiguous or not (0 when none).
  Result<std::uint64_t> HighestHeld(const std::string& agent_id);
  // Which of |ranges| this store holds from the agent.
  Result<protocol::SeqRanges> HeldAmong(const std::string& agent_id,
                                        const protocol::SeqRanges& ranges);

 private:
  // The batch's work inside the transaction: each record logged and applied, the batch
  // audited, triggers evaluated, the watermark advanced.
  Status ApplyBatch(const IngestBatch& batch, const Actor& actor, IngestOutcome& outcome);
  // Logs one record and applies its effect under a savepoint, so that a refused record
  // leaves no half of its effect behind. Returns whether it was new.
  Result<bool> Take(const AgentRecord& agent, const InboundRecord& record, const Actor& actor,
                    Millis now, IngestOutcome& outcome);
  // Moves the agent's contiguous watermark over what is now held (|held|: the batch's
  // seqs, known held without a query); returns it.
  std::int64_t AdvanceWatermark(const std::string& agent_id, const std::vector<std::uint64_t>& held,
                                Millis now);

  // --- one handler per record kind (ingest_records.cc) ---
  // |at| is where the record stands in HQ's time (AgentClocks::Place).
  Status ApplyRecord(const AgentRecord& agent, const InboundRecord& record, Millis at,
                     IngestOutcome& outcome);
  Status ApplyStatus(const AgentRecord& agent, const InboundRecord& record, Millis at,
                     const wire::StatusRecord& status, IngestOutcome& outcome);
  Status ApplyFinding(const AgentRecord& agent, const InboundRecord& record, Millis at,
                      const wire::FindingRecord& finding, IngestOutcome& outcome);
  Status ApplyAlert(const AgentRecord& agent, const InboundRecord& record, Millis at,
                    const wire::AlertRecord& alert);
  Status ApplyTrigger(const AgentRecord& agent, const wire::TriggerRecord& trigger,
                      IngestOutcome& outcome);
  Status ApplyChecklist(const AgentRecord& agent, const InboundRecord& record, Millis at,
                        const wire::ChecklistRecord& tick);
  Status ApplyNote(const AgentRecord& agent, const InboundRecord& record, Millis at,
                   const wire::NoteRecord& note);
  Status ApplyAttachmentPiece(const AgentRecord& agent, const wire::AttachmentPiece& piece);
  Status ApplyPosition(const AgentRecord& agent, const InboundRecord& record, Millis at,
                       const wire::PositionRecord& position);
  Status ApplyWatchlistHit(const AgentRecord& agent, const InboundRecord& record, Millis at,
                           const wire::WatchlistHitRecord& hit);
  // The incident of the member's newest active deployment, for records without a task; a
  // real incident before an exercise, so that a safety alert is never taken for a drill.
  std::string IncidentOfMember(const std::string& member_id);

  AuditTrail& audit_;
  Timeline& timeline_;
  Alerts& alerts_;
  PlaybookLibrary& playbooks_;
  AgentDirectory& directory_;
  Deployments& deployments_;
  Dispatch& dispatch_;
  Attachments& attachments_;
  TaskSchedule& schedule_;
  TeamRelay& team_;
  AgentClocks& clocks_;
  Watchlist& watchlist_;
};

}  // namespace muster::hq
