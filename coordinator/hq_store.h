// Headquarters' system of record: incidents, roster, agents, playbooks, deployments,
// tasks, findings, alerts, and the two sync logs (inbound records from agents, outbound
// deliveries to agents). One SQLite file in WAL mode.
//
// Thread-safety: one HqStore per thread. The router thread and the API thread each open
// their own; SQLite serialises writers and WAL lets readers run beside them.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hq_audit.h"
#include "muster/clock.h"
#include "muster/playbook/model.h"
#include "muster/protocol.h"
#include "muster/result.h"
#include "muster/statement_cache.h"
#include "muster/wire/deliveries.h"
#include "muster/wire/records.h"

namespace muster::hq {

using nlohmann::json;

struct IncidentInput {
  std::string id;  // empty: the next INC-NNNN
  std::string title;
  std::vector<std::string> hazards;
  std::string location;
  std::string severity = "medium";
};

// What an officer changes in an incident: an empty optional keeps the value.
struct IncidentChange {
  std::optional<std::string> title;
  std::optional<std::vector<std::string>> hazards;
  std::optional<std::string> location;
  std::optional<std::string> severity;
  std::optional<std::string> status;  // "open" | "closed"
};

// A tactical report: what an officer sees (conditions), what the team is doing
// (actions) and what it needs.
struct ReportInput {
  std::string conditions;
  std::string actions;
  std::vector<std::string> needs;
};

struct MemberInput {
  std::string id;
  std::string name;
  std::vector<std::string> roles;
  std::vector<std::string> qualifications;
  std::string contact;
  Millis checkin_interval_ms = 3'600'000;
};

// What an officer changes in a member's roster entry: an empty optional keeps the value.
struct MemberChange {
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> roles;
  std::optional<std::vector<std::string>> qualifications;
  std::optional<std::string> contact;
  std::optional<Millis> checkin_interval_ms;
};

struct AgentRecord {
  std::string id;
  std::string member_id;
  std::string public_key;
  std::string status;  // "active" | "revoked"
};

struct DeployInput {
  std::string incident_id;
  std::string playbook_source;  // self-contained playbook text (Playbook::source)
  std::string playbook_file;    // for diagnostics only
  std::map<std::string, std::vector<std::string>> assign;  // role -> member ids
  Actor actor;
};

// One record an agent sent, as it came in a RECORDS message.
using InboundRecord = wire::Entry;

// What ingesting a batch produced: the sequences now durably held (new or duplicate),
// the agent's contiguous watermark, refusals to report back, and the agents that now
// have deliveries waiting.
struct IngestOutcome {
  std::vector<std::uint64_t> held;
  std::uint64_t ingested = 0;
  std::vector<std::pair<std::uint64_t, Status>> refused;
  std::vector<std::string> agents_to_notify;
  // Deployments that received findings: their triggers are evaluated once per batch.
  std::set<std::int64_t> deployments_with_findings;
  // Deployments where a task changed state: their teams get a fresh snapshot.
  std::set<std::int64_t> team_changed;
};

// One delivery queued for an agent.
using Delivery = wire::Entry;

// The id of the task of |step| held by |member| in a deployment: d<deployment>.<step>.<member>.
std::string TaskIdFor(std::int64_t deployment_id, const std::string& step,
                      const std::string& member);

class HqStore {
 public:
  // Opens or creates DATA_DIR/muster.db and migrates it. |clock| must outlive the store.
  static Result<std::unique_ptr<HqStore>> Open(const std::string& path, const Clock& clock);

  // A random id made when the store was created; agents use it to tell two HQs apart.
  const std::string& hq_id() const { return hq_id_; }

  // --- roster and incidents (the console's verbs) ---
  Result<json> CreateIncident(const IncidentInput& input, const Actor& actor);
  Result<json> ListIncidents();
  // One incident with its deployments (playbook, status, team, open tasks). not_found.
  Result<json> Incident(const std::string& incident_id);
  // Changes an incident; the timeline and the audit log record each field's old and new
  // value. Closing is refused (conflict) while a deployment of it is active.
  Result<json> UpdateIncident(const std::string& incident_id, const IncidentChange& change,
                              const Actor& actor);
  // Files a tactical report on an incident (timeline and audit too). invalid_argument
  // when it says nothing, not_found.
  Result<json> CreateReport(const std::string& incident_id, const ReportInput& input,
                            const Actor& actor);
  // An incident's tactical reports, newest first. not_found.
  Result<json> ListReports(const std::string& incident_id);
  Result<json> CreateMember(const MemberInput& input, const Actor& actor);
  Result<json> ListMembers();
  // Changes a member's roster entry (a new check-in interval applies from the next sweep).
  // not_found, invalid_argument.
  Result<json> UpdateMember(const std::string& member_id, const MemberChange& change,
                            const Actor& actor);
  // Registers a new agent key for |member_id| and returns its id.
  Result<std::string> EnrollAgent(const std::string& member_id, const std::string& public_key,
                                  const Actor& actor);
  Result<json> ListAgents();
  // Revokes an agent: from the commit on, its key is refused at the handshake and on any
  // open connection (coordinator.cc). What HQ received from it stays. not_found,
  // conflict (already revoked).
  Result<json> RevokeAgent(const std::string& agent_id, const Actor& actor);
  // Replaces an active agent's key with |public_key|; the id, and so the sequences of its
  // records and deliveries, stay. The old key is refused from the commit on. Returns the
  // agent's member. not_found, conflict (revoked agents stay revoked: enrol a new one).
  Result<std::string> RotateAgentKey(const std::string& agent_id, const std::string& public_key,
                                     const Actor& actor);
  // The agent holding |public_key| (or with |agent_id|); nullopt when there is none. A
  // store error is an error, never "no agent": the caller answers it as internal (retry).
  Result<std::optional<AgentRecord>> FindAgentByKey(const std::string& public_key);
  Result<std::optional<AgentRecord>> FindAgent(const std::string& agent_id);

  // --- playbooks and deployments ---
  // Publishes a playbook version. The same id and version with other content is refused.
  Result<json> PublishPlaybook(const std::string& source, const std::string& file,
                               const Actor& actor);
  Result<json> Deploy(const DeployInput& input, std::vector<std::string>* agents_to_notify);
  Result<json> IncidentStatus(const std::string& incident_id);
  Result<json> IncidentFindings(const std::string& incident_id);
  // An attached file's description and progress; its bytes once verified.
  Result<json> Attachment(std::int64_t id);
  Result<std::string> AttachmentContent(std::int64_t id);

  // --- operations on running deployments (hq_ops.cc). Each change is queued to the
  // affected agents (|agents_to_notify|) and written to the incident timeline. ---
  Result<json> CancelTask(const std::string& task_id, const std::string& reason,
                          const Actor& actor, std::vector<std::string>* agents_to_notify);
  Result<json> ReassignTask(const std::string& task_id, const std::string& member_id,
                            const Actor& actor, std::vector<std::string>* agents_to_notify);
  Result<json> AddDeploymentMember(std::int64_t deployment_id, const std::string& role,
                                   const std::string& member_id, const Actor& actor,
                                   std::vector<std::string>* agents_to_notify);
  // Closes a deployment as "cancelled" or "demobilised": every open task is cancelled at
  // HQ and on the agents; the answer lists the tasks that were still open.
  Result<json> CloseDeployment(std::int64_t deployment_id, const std::string& outcome,
                               const Actor& actor,
                               std::vector<std::string>* agents_to_notify);

  // --- alerts, timeline and the SITREP (hq_alerts.cc, hq_sitrep.cc) ---
  // Raises the time-based alerts that are due at the clock's now: overdue tasks and
  // members not heard from within their check-in interval. Returns how many were new.
  Result<int> SweepAlerts();
  Result<json> ListAlerts(const std::string& incident_id, bool open_only);
  Result<json> AckAlert(std::int64_t alert_id, const Actor& actor);
  Result<json> IncidentTimeline(const std::string& incident_id);
  // Timeline entries with id > |after| (of one incident, or all when empty), oldest first.
  Result<json> Events(std::int64_t after, const std::string& incident_id, int limit);
  Result<json> Sitrep(const std::string& incident_id);

  // --- sync ---
  // Commits every record of a batch in one transaction; duplicates are recognised by
  // (agent, seq) and ignored. Returns only after the commit. |peer| is the address the
  // batch came from, for the audit log.
  Result<IngestOutcome> Ingest(const std::string& agent_id,
                               const std::vector<InboundRecord>& records,
                               const std::string& peer = "");
  // The agent's contiguous watermark: every seq up to it is held at HQ.
  Result<std::uint64_t> IngestedWatermark(const std::string& agent_id);
  // The highest seq held from the agent, contiguous or not (0 when none).
  Result<std::uint64_t> HighestHeld(const std::string& agent_id);
  // A delivery as queued, with the length of its body's JSON text (what a message's
  // budget counts).
  struct QueuedDelivery {
    Delivery entry;
    std::size_t text_bytes = 0;
  };
  // Deliveries for |agent_id| with seq > |after|, oldest first, at most |max|. A large
  // body queued to many agents (a playbook) is parsed once and copied after that.
  Result<std::vector<QueuedDelivery>> PendingDeliveries(const std::string& agent_id,
                                                        std::uint64_t after, std::size_t max);
  // The agent has durably applied every delivery up to |applied|.
  Status MarkApplied(const std::string& agent_id, std::uint64_t applied);
  // Where an agent's deliveries continue after a HELLO (docs/protocol.md §6).
  struct DeliveryCursor {
    std::uint64_t head = 0;  // the last delivery queued for the agent
    // Set when the agent's cursor cannot be continued: deliveries restart here with a
    // full view of the agent's tasks, playbooks and teams.
    std::optional<std::uint64_t> restart_from;
    bool hq_restored = false;  // this store numbered fewer than the agent applied
  };
  // Brings this store's delivery numbering and the agent's cursor |agent_applied|
  // together. When the agent is ahead (this store was restored from an older backup),
  // numbering continues after the agent's cursor with a full view queued there. When the
  // deliveries after the agent's cursor are not all here (both sides were restored), the
  // agent restarts at the first full view after the last gap, queued now if none is.
  Result<DeliveryCursor> ReconcileDeliveries(const std::string& agent_id,
                                             std::uint64_t agent_applied);
  // Which of |ranges| this store holds from the agent.
  Result<protocol::SeqRanges> HeldAmong(const std::string& agent_id,
                                        const protocol::SeqRanges& ranges);
  Result<std::uint64_t> AppliedWatermark(const std::string& agent_id);
  // Records that HQ heard from |agent_id| now.
  // How often an agent may be sent its team's changes: nullopt while it is offline (then
  // only once it has applied the previous change, so that changes coalesce while it is
  // away); otherwise every |pace| ms, the first change waiting a third of that for
  // others to join it (0: at every relay).
  using RelayPace = std::function<std::optional<Millis>(const std::string& agent_id)>;
  // Relays the changes of every active deployment whose tasks changed (Ingest marks them)
  // to its team's agents as |pace| allows (an empty function: every agent offline), in
  // one transaction (hq_team.cc); a change that must wait joins the next. The router
  // calls it about once a second. Returns the agents with new deliveries.
  Result<std::vector<std::string>> RelayTeams(const RelayPace& pace = {});
  Status TouchAgent(const std::string& agent_id);
  // Records several agents' last contacts (agent -> when) in one transaction: one commit
  // for a whole second of PINGs. A time older than the one stored is ignored.
  Status RecordContacts(const std::map<std::string, Millis>& contacts);
  // The same, and the agents' applied watermarks (agent -> applied, as MarkApplied), all
  // in one transaction: the router's once-a-second write of what it heard.
  Status RecordProgress(const std::map<std::string, Millis>& contacts,
                        const std::map<std::string, std::uint64_t>& applied);

  // --- audit (hq_audit.h) ---
  // Records one change in the hash-chained audit log. Every mutation at HQ calls it
  // inside the same transaction as the change (InTransaction), so the entry is committed
  // exactly when the change is; called outside a transaction it makes its own. Say who
  // (|entry.actor|: name and origin), what (|action|, dotted: "deployment.create") and
  // on what (|subject|: an id); put the rest in |detail|, never a secret.
  //   MUSTER_RETURN_IF_ERROR(Audit({actor, "alert.ack", std::to_string(id), {{"note", n}}}));
  Status Audit(const AuditEntry& entry);
  // Walks the chain; names the first entry that does not verify.
  Result<AuditVerdict> VerifyAudit();
  Result<json> AuditLog(const AuditFilter& filter);

  SQLite::Database& db() { return *db_; }

 private:
  HqStore(std::unique_ptr<SQLite::Database> db, const Clock& clock, std::string hq_id);

  // Sets the agent's applied watermark (inside a transaction) and marks the ready tasks
  // whose snapshots it covers as delivered.
  Status WriteApplied(const std::string& agent_id, std::uint64_t applied);
  // Parsed playbooks by content hash; parsing YAML per record would be wasteful.
  Result<std::shared_ptr<const playbook::Playbook>> PlaybookByHash(const std::string& hash);
  Status AppendTimeline(const std::string& incident_id, const std::string& kind,
                        const std::string& actor, const std::string& text);
  // Queues one delivery (a wire::*Delivery, TeamView or TeamChange) for an agent.
  template <typename T>
  Status Queue(const std::string& agent_id, const T& delivery) {
    return QueueDeliveryText(agent_id, wire::DeliveryKindName(T::kKind), delivery.Encode().dump());
  }
  // The same with the body already serialized (one body queued to many agents).
  Status QueueDeliveryText(const std::string& agent_id, const std::string& kind,
                           const std::string& body);
  // Sends each task's current snapshot to the agent of its member.
  Status QueueTaskSnapshots(const std::vector<std::string>& task_ids,
                            std::vector<std::string>* agents_to_notify);
  // The task as its member's agent is sent it; nullopt when there is no such task.
  std::optional<wire::TaskDelivery> TaskSnapshot(const std::string& task_id);
  // The deployment's whole team view (every task with its member and state, in the view's
  // order), stamped with HQ's time and the view's version. Call inside a transaction: it
  // advances the view first.
  std::optional<wire::TeamView> TeamSnapshot(std::int64_t deployment_id);
  // Brings the deployment's team view up to date (new tasks get a place, changed states
  // the next version) and returns its version. Inside a transaction.
  Result<std::int64_t> AdvanceTeamView(std::int64_t deployment_id);
  // Queues the whole team view to every member's agent (or only |only_agent|).
  Status QueueTeamSnapshot(std::int64_t deployment_id,
                           const std::optional<std::string>& only_agent,
                           std::vector<std::string>* agents_to_notify);
  // The agent will hold |version| of the team's view once it applied its last delivery.
  Status NoteTeamView(const std::string& agent_id, std::int64_t deployment_id,
                      std::int64_t version);
  std::vector<std::string> TeamAgents(std::int64_t deployment_id);
  enum class RelayOutcome { kNothing, kQueued, kWaiting };
  // Queues the team's changes since what |agent_id| holds, when it may have them now.
  Result<RelayOutcome> RelayTo(const std::string& agent_id, std::int64_t deployment_id,
                               std::int64_t version, Millis now, const RelayPace& pace);
  std::optional<std::string> ActiveAgentOf(const std::string& member_id);
  // The agent |agent_id|, or not_found naming how to list them.
  Result<AgentRecord> KnownAgent(const std::string& agent_id);
  // Queues every playbook and task snapshot of |member_id|'s active deployments to
  // |agent_id|: a newly enrolled agent, or one whose deliveries this store lost.
  Status QueueBacklog(const std::string& agent_id, const std::string& member_id);
  // Recomputes waiting/ready for the tasks of a deployment; returns the ones that changed.
  Result<std::vector<std::string>> ReleaseReadyTasks(std::int64_t deployment_id);
  // After a task of |step| changed hands or state: releases what became ready and queues
  // the snapshots of |changed|, of the released tasks and of the step's dependents.
  // Returns the released tasks.
  Result<std::vector<std::string>> RequeueAround(std::int64_t deployment_id,
                                                 const playbook::Playbook& book,
                                                 const std::string& step,
                                                 std::vector<std::string> changed,
                                                 std::vector<std::string>* agents_to_notify);
  // The live tasks of every step that depends on |step|: their waits_on changed.
  std::vector<std::string> DependentTasks(std::int64_t deployment_id,
                                          const playbook::Playbook& book,
                                          const std::string& step);
  Status QueuePlaybook(const std::string& agent_id, const playbook::Playbook& book);
  bool AlertExists(const std::string& dedupe);
  Status ApplyRecord(const AgentRecord& agent, const InboundRecord& record,
                     IngestOutcome& outcome);
  Status ApplyStatus(const AgentRecord& agent, const InboundRecord& record,
                     const wire::StatusRecord& status, IngestOutcome& outcome);
  Status ApplyFinding(const AgentRecord& agent, const InboundRecord& record,
                      const wire::FindingRecord& finding, IngestOutcome& outcome);
  Status ApplyAlert(const AgentRecord& agent, const InboundRecord& record,
                    const wire::AlertRecord& alert);
  Status ApplyTrigger(const AgentRecord& agent, const wire::TriggerRecord& trigger,
                      IngestOutcome& outcome);
  Status ApplyNote(const AgentRecord& agent, const wire::NoteRecord& note);
  Status ApplyAttachmentPiece(const AgentRecord& agent, const wire::AttachmentPiece& piece);
  // Registers an attached file (idempotent) and returns its id; a second description
  // that disagrees with the first is refused.
  Result<std::int64_t> DeclareAttachment(const std::string& agent_id, const std::string& task_id,
                                         const wire::AttachedFile& file);
  // Stores one piece of a file (checked against its own sha256; overlapping pieces are
  // fine) and verifies the file once its pieces cover it.
  Status StoreAttachmentPiece(const std::string& agent_id, const wire::AttachmentPiece& piece);
  // Checks the whole file against its sha256 once its pieces cover it.
  Status VerifyAttachment(std::int64_t id);
  // Reads the file's bytes from its pieces in order (the parts of a piece that an earlier
  // one already covered are skipped), handing each run to |sink|.
  void ReadPieces(std::int64_t id, const std::function<void(std::string_view)>& sink);
  Status RaiseAttachmentAlert(std::int64_t id, const std::string& kind,
                              const std::string& message);
  static json AttachmentJson(SQLite::Statement& row);
  Result<json> AttachmentsOf(const std::string& agent_id, const std::vector<std::string>& sha256s);
  // Fires |trigger_id| once per deployment: activates steps, raises alerts, notifies.
  Status FireTrigger(std::int64_t deployment_id, const playbook::Playbook& book,
                     const std::string& trigger_id, const std::string& source,
                     IngestOutcome& outcome);
  // The incident of the member's newest active deployment, for records without a task.
  std::string IncidentOfMember(const std::string& member_id);
  Status EvaluateDeploymentTriggers(std::int64_t deployment_id, const std::string& source,
                                    IngestOutcome& outcome);
  Status RaiseAlert(const std::string& incident_id, std::optional<std::int64_t> deployment_id,
                    const std::string& kind, const std::string& severity,
                    const std::string& message, const std::string& source,
                    const std::string& dedupe);

  std::unique_ptr<SQLite::Database> db_;
  StatementCache statements_;  // the statements run per record or per message
  const Clock& clock_;
  std::string hq_id_;
  std::map<std::string, std::shared_ptr<const playbook::Playbook>> playbooks_;
  // Large delivery bodies by their text, parsed (PendingDeliveries); a handful at most.
  std::map<std::string, json> parsed_bodies_;
  // "agent#deployment" -> when that agent may be sent the team's changes again, and when
  // the changes it has not been sent yet began to gather.
  std::map<std::string, Millis> next_relay_at_;
  std::map<std::string, Millis> gathering_since_;
};

}  // namespace muster::hq
