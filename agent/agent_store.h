// The agent's local store: what the member was assigned (tasks and the exact playbook
// versions they come from), everything the member recorded (the outbox, outbox.h, which
// is also the member's record with its receipts), and the sync cursors.
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
// The store's tables besides the outbox's: meta (identity, cursors, link state;
// store_sql.h), playbooks, tasks, inbox (the deliveries applied), fired_triggers and team
// (team.cc). Writes that add nothing to send (receipts, cursors, link state) do not wake
// the daemon; the outbox does when records are added (outbox.h).
#pragma once

#include <SQLiteCpp/Database.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "muster/bundle.h"
#include "muster/clock.h"
#include "muster/playbook/model.h"
#include "muster/playbook/schedule.h"
#include "muster/playbook/signature.h"
#include "muster/playbook/triggers.h"
#include "muster/protocol.h"
#include "muster/result.h"
#include "muster/sqlite_store.h"
#include "muster/watchlist/matcher.h"
#include "outbox.h"
#include "sync_store.h"

namespace muster::agent {

using nlohmann::json;

// The agent store's schema, as an ordered list of migrations (tests build older stores).
const std::vector<Migration>& AgentMigrations();

struct Task {
  std::string id;
  std::int64_t deployment = 0;
  std::string incident;
  std::string incident_title;
  bool exercise = false;  // of an exercise: every verb shows the mark (docs/programme.md)
  std::string step;
  std::string playbook;  // content hash
  std::string hq_state;
  bool dormant = false;
  std::string hq_reason;
  std::optional<Millis> due_at;
  std::optional<Millis> ready_at;  // HQ's clock; empty until HQ released it
  json waits_on = json::array();  // [{task, step, member, state}] as HQ last relayed
  std::string local_state;        // what the member did: acknowledged | in_progress | ...
  std::string local_reason;
  Millis updated_at = 0;
};

// A message HQ sent the member's role (wire::NoticeDelivery).
struct Notice {
  std::string role;
  std::string source;  // the trigger or escalation that sent it
  std::string text;
  Millis received_at = 0;
};

// The deployment's progress as HQ last relayed it (a "team" delivery; see team.cc).
struct TeamSnapshot {
  std::int64_t deployment = 0;
  Millis hq_at = 0;        // HQ's clock when it made the snapshot
  Millis received_at = 0;  // this laptop's clock when it arrived
  json body;               // {deployment, incident, playbook, at, members, tasks}
};

// What HQ or this laptop said of a playbook version its tasks come from.
struct PlaybookNotice {
  enum Kind { kRevoked, kRefused };
  Kind kind = kRevoked;
  std::string reason;
  Millis at = 0;
  std::string id;  // kRefused: the version refused, as its delivery named it
  std::string version;
  // "REVOKED playbook: REASON" or "REFUSED playbook: REASON", as tasks show it.
  std::string Text() const;
};

struct LinkState {
  bool connected = false;
  Millis daemon_seen_at = 0;  // the daemon writes this while it runs
  Millis last_sync_at = 0;    // the last ACK or DELIVER
  std::string last_error;
  bool refused = false;  // HQ refuses this agent (revoked, or its key replaced)
};

class AgentStore final : public SyncStore {
 public:
  // Opens DATA_DIR/agent.db, creating it on first use and recording the bundle's identity.
  // With the vault's |master| key (vault/vault.h) the store is sealed: every page on disk
  // is encrypted with its store subkey (muster/sealed_vfs.h); a store that the key does
  // not open is store_corrupt ("wrong passphrase or damaged file").
  static Result<std::unique_ptr<AgentStore>> Open(const std::string& data_dir, const Bundle& bundle,
                                                  const Clock& clock,
                                                  const SecretBytes* master = nullptr);

  const std::string& agent_id() const override { return agent_id_; }
  const std::string& member_id() const { return member_id_; }
  const std::string& data_dir() const { return data_dir_; }
  // The key that seals the attached files' copies (attachments.h); null for a plain store.
  const SecretBytes* copies_key() const { return copies_key_ ? &*copies_key_ : nullptr; }

  // What the member records and its receipts; the sync engine's side of it too.
  Outbox& outbox() override { return outbox_; }
  // The store's connection, for its companions that own tables of their own (the field
  // relay's queue, relay/relay_queue.h). Same thread rules as the store.
  SQLite::Database& database() { return *db_; }

  // --- tasks and playbooks ---
  Status SetLocalState(const std::string& task_id, const std::string& state,
                       const std::string& reason);
  Result<std::vector<Task>> Tasks();
  // A task by its id or, when unambiguous, by its step id.
  Result<Task> FindTask(const std::string& id_or_step);
  // The playbook |hash|, parsed once. Its text and signature are checked again when it is
  // read (the store is a file on a laptop): invalid_playbook when they no longer hold.
  Result<std::shared_ptr<const playbook::Playbook>> PlaybookByHash(const std::string& hash);
  // not_found while it has not arrived; invalid_playbook, saying why, when this laptop
  // refused it.
  Result<std::string> PlaybookSource(const std::string& hash);
  // The author's signature HQ sent with the playbook; empty when it came unsigned.
  Result<std::optional<playbook::Signature>> PlaybookSignature(const std::string& hash);
  // The versions HQ revoked and those this laptop refused, by content hash (a refusal
  // wins over a revocation of the same hash).
  Result<std::map<std::string, PlaybookNotice>> PlaybookNotices();
  // The state to show: HQ's decisions first, then the member's, then readiness.
  std::string DisplayState(const Task& task, const std::vector<Task>& all) const;
  // The latest value of every field recorded in a deployment, for triggers.
  Result<playbook::FindingValues> FindingValues(std::int64_t deployment);
  Result<std::vector<std::string>> FiredTriggers(std::int64_t deployment);
  Status MarkTriggerFired(std::int64_t deployment, const std::string& trigger_id);
  Status ActivateStep(std::int64_t deployment, const std::string& step);
  // The notices the member has not seen yet, oldest first, marked seen.
  Result<std::vector<Notice>> TakeUnseenNotices();
  // Adds occurrence |id| of recurring task |base| (schedule.h) as HQ would open it; false
  // when the laptop has it already (HQ's snapshot, or an earlier verb).
  Result<bool> AddOccurrence(const Task& base, const std::string& id,
                             const playbook::OccurrenceTimes& times);
  // A trigger's stand-down, offline: the member's open tasks of |step| show as cancelled
  // with |reason| at once; HQ cancels them for the whole team when the trigger reaches it.
  Status StandDownStep(std::int64_t deployment, const std::string& step,
                       const std::string& reason);

  // --- persons of interest (docs/programme.md) ---
  // The watchlist entries this laptop holds for |incident|.
  Result<std::vector<watchlist::Entry>> WatchlistOf(const std::string& incident);
  // What this laptop holds or withheld, by incident: held entries, and entries HQ sent that
  // a plain (unsealed) store refused to keep.
  struct WatchlistHolding {
    std::string incident;
    std::int64_t held = 0;
    std::int64_t withheld = 0;
  };
  Result<std::vector<WatchlistHolding>> WatchlistHoldings();
  // Whether the store is sealed (a passphrase is set): only a sealed store keeps a
  // watchlist.
  bool sealed() const { return copies_key_.has_value(); }

  // --- deliveries (sync_store.h) ---
  Result<std::uint64_t> ApplyDeliveries(const std::vector<Delivery>& deliveries) override;
  Result<std::uint64_t> AppliedWatermark() override;
  Status RestartDeliveries(std::uint64_t seq) override;
  Status SetDeliveryHead(std::uint64_t head) override;
  Result<std::optional<ClockOffset>> ClockOffsetToHq() override;
  Status SetClockOffsetToHq(const ClockOffset& offset) override;
  // What HQ said it had queued when it last welcomed this agent (0 before any WELCOME)
  // and when the view was last restarted by HQ (0: never).
  struct DeliveryState {
    std::uint64_t applied = 0;
    std::uint64_t hq_head = 0;
    Millis restarted_at = 0;
  };
  Result<DeliveryState> Deliveries();

  // --- the daemon's link, as `status` shows it ---
  Status SetLink(const LinkState& link);
  Result<LinkState> Link();

  // --- the team, as last relayed by HQ (team.cc) ---
  Result<std::vector<TeamSnapshot>> TeamSnapshots();

 private:
  AgentStore(std::unique_ptr<SQLite::Database> db, const Clock& clock, std::string data_dir,
             std::string agent_id, std::string member_id, std::optional<SecretBytes> copies_key);
  Status ApplyDelivery(const Delivery& delivery);
  // A "playbook" delivery: stored when its text hashes to its hash and its signature, if
  // any, verifies (playbook::VerifySource); otherwise refused: recorded in
  // playbook_refusals, not stored, and the delivery counts as applied.
  Status ApplyPlaybook(const json& body);
  // A "team" delivery queued at |at| (HQ's clock): the whole view, or changes to it.
  Status ApplyTeam(const json& body, Millis at);
  // A "watchlist" delivery: kept in a sealed store; in a plain one only counted as
  // withheld (persons of interest never rest unencrypted on a laptop).
  Status ApplyWatchlist(const json& body);

  std::unique_ptr<SQLite::Database> db_;
  const Clock& clock_;
  std::string data_dir_;
  std::string agent_id_;
  std::string member_id_;
  std::optional<SecretBytes> copies_key_;
  Outbox outbox_;  // over *db_ and copies_key_
  std::map<std::string, std::shared_ptr<const playbook::Playbook>> playbooks_;
};

}  // namespace muster::agent
