#include "agent_store.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <set>
#include <utility>

#include "muster/log.h"
#include "muster/playbook/fields.h"
#include "muster/playbook/load.h"
#include "muster/playbook/signature.h"
#include "muster/protocol.h"
#include "muster/sqlite_store.h"
#include "muster/wire/deliveries.h"
#include "relay/site_view.h"
#include "store_sql.h"
#include "vault/vault.h"

namespace muster::agent {

const std::vector<Migration>& AgentMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, R"sql(
CREATE TABLE meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
CREATE TABLE playbooks(
  hash TEXT PRIMARY KEY,
  id TEXT NOT NULL,
  version TEXT NOT NULL,
  source TEXT NOT NULL,
  received_at INTEGER NOT NULL);
CREATE TABLE tasks(
  id TEXT PRIMARY KEY,
  deployment INTEGER NOT NULL,
  incident TEXT NOT NULL,
  incident_title TEXT NOT NULL,
  step TEXT NOT NULL,
  playbook TEXT NOT NULL,
  hq_state TEXT NOT NULL,
  dormant INTEGER NOT NULL DEFAULT 0,
  hq_reason TEXT NOT NULL DEFAULT '',
  due_at INTEGER,
  waits_on TEXT NOT NULL DEFAULT '[]',
  local_state TEXT NOT NULL DEFAULT '',
  local_reason TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL);
CREATE TABLE outbox(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  task TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL,
  lane INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  acked_at INTEGER,
  refusal TEXT NOT NULL DEFAULT '');
CREATE INDEX outbox_unacked ON outbox(lane, seq) WHERE acked_at IS NULL;
CREATE TABLE inbox(
  seq INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  applied_at INTEGER NOT NULL);
CREATE TABLE fired_triggers(
  deployment INTEGER NOT NULL,
  trigger_id TEXT NOT NULL,
  fired_at INTEGER NOT NULL,
  PRIMARY KEY(deployment, trigger_id));
)sql"},
      // Version 2: the latest team snapshot per deployment, as HQ relayed it.
      {2, R"sql(
CREATE TABLE team(
  deployment INTEGER PRIMARY KEY,
  hq_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  body TEXT NOT NULL);
)sql"},
      // Version 3: attached files. The bytes live in DATA_DIR/attachments/<sha256>; each
      // chunk is an outbox record of kind attachment_chunk, so that chunks are
      // acknowledged, resumed and ordered like every other record.
      {3, R"sql(
CREATE TABLE attachments(
  sha256 TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  size INTEGER NOT NULL,
  chunk_bytes INTEGER NOT NULL,
  chunks INTEGER NOT NULL,
  task TEXT NOT NULL,
  created_at INTEGER NOT NULL);
)sql"},
      // Version 4: pieces sized to the link. A file is cut into pieces when they are sent
      // (`cut`: the bytes already cut into outbox records); each piece names its offset
      // and length. Files attached before were cut into fixed chunks already: their
      // records take the offset form, and the fixed chunking goes.
      {4, R"sql(
ALTER TABLE attachments ADD COLUMN cut INTEGER NOT NULL DEFAULT 0;
UPDATE attachments SET cut=size;
UPDATE outbox SET body=json_set(json_remove(body, '$.index', '$.bytes'),
    '$.offset', json_extract(body, '$.index') * (SELECT chunk_bytes FROM attachments a
                                                 WHERE a.sha256=json_extract(outbox.body, '$.attachment')),
    '$.length', json_extract(body, '$.bytes'))
  WHERE kind='attachment_chunk';
ALTER TABLE attachments DROP COLUMN chunk_bytes;
ALTER TABLE attachments DROP COLUMN chunks;
)sql"},
      // Version 5: when HQ made a task ready (HQ's clock): a recurring step's occurrences
      // count from it, on this laptop as at HQ.
      {5, R"sql(
ALTER TABLE tasks ADD COLUMN ready_at INTEGER;
)sql"},
      // Version 6: playbook governance. The author's signature of each playbook kept (its
      // JSON; NULL when HQ sent it unsigned), the playbooks this laptop refused (their
      // text, hash or signature did not hold; never stored), and HQ's revocations.
      {6, R"sql(
ALTER TABLE playbooks ADD COLUMN signature TEXT;
CREATE TABLE playbook_refusals(
  hash TEXT PRIMARY KEY,
  id TEXT NOT NULL,
  version TEXT NOT NULL,
  reason TEXT NOT NULL,
  refused_at INTEGER NOT NULL);
CREATE TABLE playbook_revocations(
  hash TEXT PRIMARY KEY,
  revoked_at INTEGER NOT NULL,
  revoked_by TEXT NOT NULL,
  reason TEXT NOT NULL);
)sql"},
      // Version 7: notices HQ sent the member's role (a playbook's notify ... to: ROLE),
      // shown once at the next command.
      {7, R"sql(
CREATE TABLE notices(
  id INTEGER PRIMARY KEY,
  deployment INTEGER NOT NULL,
  role TEXT NOT NULL,
  source TEXT NOT NULL,
  text TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  seen_at INTEGER);
)sql"},
      // Version 8: the team's field relay (relay/). On a member's laptop: which records
      // the relay holds (outbox.relay_held_at) and the team's state as the relay last
      // told it (site). On the relay's: the members' records it holds for HQ (relayed,
      // each as it came, with its author's tag; what HQ refused of them, hq_code and
      // hq_refusal, until the author is told).
      {8, R"sql(
ALTER TABLE outbox ADD COLUMN relay_held_at INTEGER;
CREATE INDEX outbox_for_relay ON outbox(seq) WHERE acked_at IS NULL AND relay_held_at IS NULL;
CREATE TABLE relayed(
  agent TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  task TEXT NOT NULL DEFAULT '',
  state TEXT,
  at INTEGER NOT NULL,
  entry BLOB NOT NULL,
  received_at INTEGER NOT NULL,
  hq_at INTEGER,
  hq_refusal TEXT NOT NULL DEFAULT '',
  hq_code TEXT NOT NULL DEFAULT '',
  told INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(agent, seq));
CREATE INDEX relayed_for_hq ON relayed(received_at) WHERE hq_at IS NULL;
CREATE TABLE site(
  task TEXT PRIMARY KEY,
  deployment INTEGER NOT NULL,
  state TEXT NOT NULL,
  on_site INTEGER NOT NULL,
  findings INTEGER NOT NULL DEFAULT 0,
  relay TEXT NOT NULL,
  received_at INTEGER NOT NULL);
)sql"},
      // Version 9: persons of interest (docs/programme.md): the watchlist entries of each
      // incident the member serves in, kept only in a sealed store; what a plain store
      // refused to keep is counted in watchlist_withheld, for `status` to say so.
      {9, R"sql(
CREATE TABLE watchlist(
  incident TEXT NOT NULL,
  notice TEXT NOT NULL,
  entry TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY(incident, notice)) WITHOUT ROWID;
CREATE TABLE watchlist_withheld(
  incident TEXT PRIMARY KEY,
  entries INTEGER NOT NULL,
  at INTEGER NOT NULL);
)sql"},
      // Version 10: tasks of an exercise (docs/programme.md), which every verb marks.
      {10, R"sql(
ALTER TABLE tasks ADD COLUMN exercise INTEGER NOT NULL DEFAULT 0;
)sql"},
  };
  return kMigrations;
}

namespace {

constexpr const char* kTaskColumns =
    "id, deployment, incident, incident_title, step, playbook, hq_state, dormant, hq_reason, "
    "due_at, waits_on, local_state, local_reason, updated_at, ready_at, exercise";

Task ReadTask(SQLite::Statement& query) {
  Task task;
  task.id = query.getColumn(0).getString();
  task.deployment = query.getColumn(1).getInt64();
  task.incident = query.getColumn(2).getString();
  task.incident_title = query.getColumn(3).getString();
  task.step = query.getColumn(4).getString();
  task.playbook = query.getColumn(5).getString();
  task.hq_state = query.getColumn(6).getString();
  task.dormant = query.getColumn(7).getInt() != 0;
  task.hq_reason = query.getColumn(8).getString();
  task.due_at = OptionalMillis(query.getColumn(9));
  task.waits_on = json::parse(query.getColumn(10).getString(), nullptr, false);
  if (!task.waits_on.is_array()) task.waits_on = json::array();
  task.local_state = query.getColumn(11).getString();
  task.local_reason = query.getColumn(12).getString();
  task.updated_at = query.getColumn(13).getInt64();
  task.ready_at = OptionalMillis(query.getColumn(14));
  task.exercise = query.getColumn(15).getInt() != 0;
  return task;
}

// The dependencies of a task snapshot, keeping only well-formed entries: every reader
// can then rely on maps of strings, whatever a coordinator sent.
// The tasks a task waits on, as the agent keeps them for `muster-agent show`.
json WaitsOnJson(const std::vector<wire::WaitsOn>& waits_on) {
  json list = json::array();
  for (const wire::WaitsOn& entry : waits_on) {
    // No task: a step of an empty role that says `when_empty: wait` ("unfilled").
    if (entry.task.empty() && entry.state != "unfilled") continue;
    list.push_back({{"task", entry.task},
                    {"step", entry.step},
                    {"member", entry.member},
                    {"name", entry.name},
                    {"state", entry.state}});
    if (entry.any) list.back()["completion"] = "any";
  }
  return list;
}

}  // namespace

AgentStore::AgentStore(std::unique_ptr<SQLite::Database> db, const Clock& clock,
                       std::string data_dir, std::string agent_id, std::string member_id,
                       std::optional<SecretBytes> copies_key)
    : db_(std::move(db)), clock_(clock), data_dir_(std::move(data_dir)),
      agent_id_(std::move(agent_id)), member_id_(std::move(member_id)),
      copies_key_(std::move(copies_key)),
      outbox_(*db_, clock_, data_dir_, copies_key_ ? &*copies_key_ : nullptr) {}

Result<std::unique_ptr<AgentStore>> AgentStore::Open(const std::string& data_dir,
                                                     const Bundle& bundle, const Clock& clock,
                                                     const SecretBytes* master) {
  std::optional<SecretBytes> store_key;
  if (master != nullptr) store_key = DeriveSubkey(*master, Subkey::kStore);
  auto db = OpenStore(data_dir + "/agent.db", AgentMigrations(),
                      store_key ? &*store_key : nullptr);
  if (!db.ok()) return db.status();
  std::unique_ptr<AgentStore> store(
      new AgentStore(std::move(db).value(), clock, data_dir, bundle.agent_id, bundle.member_id,
                     master != nullptr ? std::optional(DeriveSubkey(*master, Subkey::kAttachments))
                                       : std::nullopt));
  // A store that already knows its agent is only read: opening it must not wait for the
  // write lock while another process records a long backlog.
  std::string known;
  Status read = Guarded([&]() -> Status {
    known = Meta(*store->db_, "agent_id", "");
    return Status::Ok();
  });
  if (!read.ok()) return read;
  if (known == bundle.agent_id) return store;
  Status status = InTransaction(*store->db_, [&]() -> Status {
    const std::string existing = Meta(*store->db_, "agent_id", "");
    if (existing.empty()) {
      SetMeta(*store->db_, "agent_id", bundle.agent_id);
      SetMeta(*store->db_, "member_id", bundle.member_id);
      SetMeta(*store->db_, "hq_id", bundle.hq_id);
      SetMeta(*store->db_, "applied", "0");
    } else if (existing != bundle.agent_id) {
      return Status::Error(ErrorCode::kWrongStore, data_dir + " belongs to agent " + existing +
                                                       ", not " + bundle.agent_id +
                                                       "; give each bundle its own data_dir");
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return store;
}

Status AgentStore::SetLocalState(const std::string& task_id, const std::string& state,
                                 const std::string& reason) {
  return Guarded(*db_, [&]() -> Status {
    SQLite::Statement update(*db_,
                             "UPDATE tasks SET local_state=?, local_reason=?, updated_at=? "
                             "WHERE id=?");
    update.bind(1, state);
    update.bind(2, reason);
    update.bind(3, static_cast<std::int64_t>(clock_.Now()));
    update.bind(4, task_id);
    if (update.exec() == 0) return Status::Error(ErrorCode::kNotFound, "no task " + task_id);
    return Status::Ok();
  });
}

Result<std::vector<Task>> AgentStore::Tasks() {
  std::vector<Task> tasks;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_, std::string("SELECT ") + kTaskColumns +
                                      " FROM tasks ORDER BY deployment, rowid");
    while (query.executeStep()) tasks.push_back(ReadTask(query));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  // A teammate's progress the field relay reported on site counts before HQ relays it
  // (relay/site_view.h), when it is ahead of what HQ said (AheadOf).
  auto site = SiteView(*db_, clock_).States();
  if (!site.ok()) return site.status();
  for (Task& task : tasks) {
    for (json& dependency : task.waits_on) {
      auto known = site->find(dependency.value("task", ""));
      if (known == site->end() || !known->second.on_site ||
          !AheadOf(known->second.state, dependency.value("state", ""))) {
        continue;
      }
      dependency["state"] = known->second.state;
      dependency["on_site"] = true;
    }
  }
  return tasks;
}

Result<Task> AgentStore::FindTask(const std::string& id_or_step) {
  auto tasks = Tasks();
  if (!tasks.ok()) return tasks.status();
  std::vector<Task> by_step;
  for (const Task& task : *tasks) {
    if (task.id == id_or_step) return task;
    if (task.step == id_or_step) by_step.push_back(task);
  }
  if (by_step.size() == 1) return by_step.front();
  if (by_step.size() > 1) {
    std::string ids;
    for (const Task& task : by_step) ids += " " + task.id;
    return Status::Error(ErrorCode::kAmbiguous,
                         "'" + id_or_step + "' names several tasks:" + ids + "; give the task id");
  }
  return Status::Error(ErrorCode::kNotFound,
                       "no task '" + id_or_step +
                           "' is assigned to you; list yours with: muster-agent "
                           "tasks");
}

Result<std::string> AgentStore::PlaybookSource(const std::string& hash) {
  std::string source;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_, "SELECT source FROM playbooks WHERE hash=?");
    query.bind(1, hash);
    if (query.executeStep()) {
      source = query.getColumn(0).getString();
      return Status::Ok();
    }
    SQLite::Statement refused(*db_, "SELECT reason FROM playbook_refusals WHERE hash=?");
    refused.bind(1, hash);
    if (refused.executeStep()) {
      return Status::Error(ErrorCode::kInvalidPlaybook,
                           "this laptop REFUSED the playbook of this task: " +
                               refused.getColumn(0).getString() +
                               "; tell HQ (muster-agent status says so too)");
    }
    return Status::Error(ErrorCode::kNotFound,
                         "the playbook of this task has not arrived yet; sync when a link exists");
  });
  if (!status.ok()) return status;
  return source;
}

Result<std::optional<playbook::Signature>> AgentStore::PlaybookSignature(const std::string& hash) {
  std::optional<playbook::Signature> signature;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_, "SELECT signature FROM playbooks WHERE hash=?");
    query.bind(1, hash);
    if (!query.executeStep() || query.getColumn(0).isNull()) return Status::Ok();
    auto decoded = playbook::Signature::Decode(
        json::parse(query.getColumn(0).getString(), nullptr, false));
    if (!decoded.ok()) {
      return Status::Error(ErrorCode::kInvalidPlaybook,
                           "the stored signature of playbook " + hash.substr(0, 12) +
                               " is damaged: " + decoded.status().message());
    }
    signature = std::move(decoded).value();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return signature;
}

Result<std::map<std::string, PlaybookNotice>> AgentStore::PlaybookNotices() {
  std::map<std::string, PlaybookNotice> notices;
  Status status = Guarded([&]() -> Status {
    // Revocations first: a refusal says more (the laptop holds no text to work from).
    SQLite::Statement query(*db_,
                            "SELECT 0, hash, reason, revoked_at, '', '' "
                            "FROM playbook_revocations UNION ALL "
                            "SELECT 1, hash, reason, refused_at, id, version "
                            "FROM playbook_refusals ORDER BY 1");
    while (query.executeStep()) {
      notices[query.getColumn(1).getString()] = {
          query.getColumn(0).getInt() == 0 ? PlaybookNotice::kRevoked : PlaybookNotice::kRefused,
          query.getColumn(2).getString(), query.getColumn(3).getInt64(),
          query.getColumn(4).getString(), query.getColumn(5).getString()};
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return notices;
}

std::string PlaybookNotice::Text() const {
  return std::string(kind == kRefused ? "REFUSED" : "REVOKED") + " playbook: " + reason;
}

Result<std::shared_ptr<const playbook::Playbook>> AgentStore::PlaybookByHash(
    const std::string& hash) {
  auto cached = playbooks_.find(hash);
  if (cached != playbooks_.end()) return cached->second;
  auto source = PlaybookSource(hash);
  if (!source.ok()) return source.status();
  // Checked again on every read: the store is a file a laptop's user can edit.
  auto signature = PlaybookSignature(hash);
  if (!signature.ok()) return signature.status();
  if (Status held = playbook::VerifySource(*source, hash, *signature); !held.ok()) {
    return Status::Error(ErrorCode::kInvalidPlaybook,
                         "the stored playbook " + hash.substr(0, 12) +
                             " does not hold any more: " + held.message() +
                             "; HQ's copy is intact: restore the store or enrol again");
  }
  playbook::LoadResult loaded = playbook::LoadText(*source, "playbook " + hash.substr(0, 12),
                                                   playbook::PublishedSourceOptions());
  if (!loaded.ok() || loaded.playbook->content_hash != hash) {
    return Status::Error(ErrorCode::kInvalidPlaybook, "the playbook " + hash.substr(0, 12) +
                                                          " from HQ does not load on this agent or "
                                                          "does not match its hash");
  }
  auto parsed = std::make_shared<const playbook::Playbook>(std::move(*loaded.playbook));
  playbooks_[hash] = parsed;
  return std::shared_ptr<const playbook::Playbook>(parsed);
}

std::string AgentStore::DisplayState(const Task& task, const std::vector<Task>& all) const {
  if (task.hq_state == "cancelled" || task.hq_state == "reassigned") return task.hq_state;
  if (!task.local_state.empty()) return task.local_state;
  // HQ already holds the member's progress (a new laptop, or HQ's backlog after a restore).
  static const std::set<std::string> kReported = {"acknowledged", "in_progress", "blocked",
                                                  "completed"};
  if (kReported.count(task.hq_state)) return task.hq_state;
  if (task.dormant) return "dormant";
  // Per step it waits on: every task completed or cancelled (a cancelled task blocks
  // nothing, as at HQ), or, for `completion: any`, one of them completed.
  struct Tally {
    bool all_done = true;
    bool one_completed = false;
    bool any = false;
  };
  std::map<std::string, Tally> steps;
  for (const json& dependency : task.waits_on) {
    const std::string dep_task = dependency.value("task", "");
    std::string state = dependency.value("state", "");
    // Our own tasks: what the member did here counts at once, offline.
    auto own = std::find_if(all.begin(), all.end(),
                            [&](const Task& other) { return other.id == dep_task; });
    if (own != all.end() && !own->local_state.empty()) state = own->local_state;
    Tally& tally = steps[dependency.value("step", "")];
    tally.all_done = tally.all_done && (state == "completed" || state == "cancelled");
    tally.one_completed = tally.one_completed || state == "completed";
    tally.any = tally.any || dependency.value("completion", "") == "any";
  }
  for (const auto& [step, tally] : steps) {
    if (!tally.all_done && !(tally.any && tally.one_completed)) return "waiting";
  }
  return "ready";
}

Result<playbook::FindingValues> AgentStore::FindingValues(std::int64_t deployment) {
  playbook::FindingValues values;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT t.step, o.body FROM outbox o JOIN tasks t ON t.id=o.task "
                            "WHERE o.kind='finding' AND t.deployment=? ORDER BY o.seq");
    query.bind(1, deployment);
    while (query.executeStep()) {
      const std::string step = query.getColumn(0).getString();
      json body = json::parse(query.getColumn(1).getString(), nullptr, false);
      if (!body.is_object() || !body.contains("values")) continue;
      for (auto& [name, value] : body["values"].items()) {
        if (auto typed = playbook::ValueFromJson(value)) values[step + "." + name] = *typed;
      }
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return values;
}

Result<std::vector<std::string>> AgentStore::FiredTriggers(std::int64_t deployment) {
  std::vector<std::string> fired;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_, "SELECT trigger_id FROM fired_triggers WHERE deployment=?");
    query.bind(1, deployment);
    while (query.executeStep()) fired.push_back(query.getColumn(0).getString());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return fired;
}

Status AgentStore::MarkTriggerFired(std::int64_t deployment, const std::string& trigger_id) {
  return Guarded([&]() -> Status {
    SQLite::Statement insert(*db_,
                             "INSERT OR IGNORE INTO fired_triggers(deployment, trigger_id, "
                             "fired_at) VALUES(?,?,?)");
    insert.bind(1, deployment);
    insert.bind(2, trigger_id);
    insert.bind(3, static_cast<std::int64_t>(clock_.Now()));
    insert.exec();
    return Status::Ok();
  });
}

Status AgentStore::ActivateStep(std::int64_t deployment, const std::string& step) {
  return Guarded([&]() -> Status {
    SQLite::Statement update(*db_,
                             "UPDATE tasks SET dormant=0, updated_at=? WHERE deployment=? AND "
                             "step=?");
    update.bind(1, static_cast<std::int64_t>(clock_.Now()));
    update.bind(2, deployment);
    update.bind(3, step);
    update.exec();
    return Status::Ok();
  });
}

Result<std::vector<Notice>> AgentStore::TakeUnseenNotices() {
  std::vector<Notice> notices;
  Status status = Guarded([&]() -> Status {
    SQLite::Transaction transaction(*db_);
    SQLite::Statement query(*db_,
                            "SELECT role, source, text, received_at FROM notices WHERE seen_at "
                            "IS NULL ORDER BY id");
    while (query.executeStep()) {
      notices.push_back({query.getColumn(0).getString(), query.getColumn(1).getString(),
                         query.getColumn(2).getString(), query.getColumn(3).getInt64()});
    }
    SQLite::Statement seen(*db_, "UPDATE notices SET seen_at=? WHERE seen_at IS NULL");
    seen.bind(1, static_cast<std::int64_t>(clock_.Now()));
    seen.exec();
    transaction.commit();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return notices;
}

Result<bool> AgentStore::AddOccurrence(const Task& base, const std::string& id,
                                       const playbook::OccurrenceTimes& times) {
  bool added = false;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement insert(
        *db_,
        "INSERT OR IGNORE INTO tasks(id, deployment, incident, incident_title, step, playbook, "
        "hq_state, dormant, due_at, ready_at, updated_at, exercise) "
        "VALUES(?,?,?,?,?,?, 'ready', 0, ?,?,?,?)");
    insert.bind(1, id);
    insert.bind(2, base.deployment);
    insert.bind(3, base.incident);
    insert.bind(4, base.incident_title);
    insert.bind(5, base.step);
    insert.bind(6, base.playbook);
    insert.bind(7, static_cast<std::int64_t>(times.due_at));
    insert.bind(8, static_cast<std::int64_t>(times.opens_at));
    insert.bind(9, static_cast<std::int64_t>(clock_.Now()));
    insert.bind(10, base.exercise ? 1 : 0);
    added = insert.exec() > 0;
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return added;
}

Status AgentStore::StandDownStep(std::int64_t deployment, const std::string& step,
                                 const std::string& reason) {
  return Guarded([&]() -> Status {
    SQLite::Statement update(
        *db_,
        "UPDATE tasks SET local_state='cancelled', local_reason=?, updated_at=? WHERE "
        "deployment=? AND step=? AND local_state NOT IN ('completed','cancelled') AND "
        "hq_state NOT IN ('completed','cancelled','reassigned')");
    update.bind(1, reason);
    update.bind(2, static_cast<std::int64_t>(clock_.Now()));
    update.bind(3, deployment);
    update.bind(4, step);
    update.exec();
    return Status::Ok();
  });
}

Result<std::uint64_t> AgentStore::AppliedWatermark() {
  std::uint64_t applied = 0;
  Status status = Guarded([&]() -> Status {
    applied = std::stoull(Meta(*db_, "applied", "0"));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return applied;
}

Status AgentStore::RestartDeliveries(std::uint64_t seq) {
  return InTransaction(*db_, [&]() -> Status {
    SetMeta(*db_, "applied", std::to_string(seq == 0 ? 0 : seq - 1));
    SetMeta(*db_, "restarted_at", std::to_string(clock_.Now()));
    return Status::Ok();
  });
}

Status AgentStore::SetDeliveryHead(std::uint64_t head) {
  return Guarded(*db_, [&]() -> Status {
    SetMeta(*db_, "hq_head", std::to_string(head));
    return Status::Ok();
  });
}

Result<std::optional<ClockOffset>> AgentStore::ClockOffsetToHq() {
  std::optional<ClockOffset> offset;
  Status status = Guarded([&]() -> Status {
    const std::string measured_at = Meta(*db_, "clock_measured_at", "");
    if (measured_at.empty()) return Status::Ok();
    offset = ClockOffset{std::stoll(Meta(*db_, "clock_offset_ms", "0")),
                         std::stoll(Meta(*db_, "clock_rtt_ms", "0")), std::stoll(measured_at)};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return offset;
}

Status AgentStore::SetClockOffsetToHq(const ClockOffset& offset) {
  return InTransaction(*db_, [&]() -> Status {
    SetMeta(*db_, "clock_offset_ms", std::to_string(offset.offset_ms));
    SetMeta(*db_, "clock_rtt_ms", std::to_string(offset.rtt_ms));
    SetMeta(*db_, "clock_measured_at", std::to_string(offset.measured_at));
    return Status::Ok();
  });
}

Result<AgentStore::DeliveryState> AgentStore::Deliveries() {
  DeliveryState state;
  Status status = Guarded([&]() -> Status {
    state.applied = std::stoull(Meta(*db_, "applied", "0"));
    state.hq_head = std::stoull(Meta(*db_, "hq_head", "0"));
    state.restarted_at = std::stoll(Meta(*db_, "restarted_at", "0"));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return state;
}

Status AgentStore::ApplyDelivery(const Delivery& delivery) {
  const std::optional<wire::DeliveryKind> kind = wire::DeliveryKindFromName(delivery.kind);
  if (!kind) return Status::Ok();  // a kind from a newer coordinator: logged in the inbox, no effect
  switch (*kind) {
    case wire::DeliveryKind::kPlaybook: return ApplyPlaybook(delivery.body);
    case wire::DeliveryKind::kPlaybookStatus: {
      auto notice = wire::PlaybookStatusDelivery::Decode(delivery.body);
      if (!notice.ok()) return notice.status();
      SQLite::Statement insert(*db_,
                               "INSERT OR REPLACE INTO playbook_revocations(hash, revoked_at, "
                               "revoked_by, reason) VALUES(?,?,?,?)");
      insert.bind(1, notice->hash);
      insert.bind(2, static_cast<std::int64_t>(notice->revoked_at));
      insert.bind(3, notice->revoked_by);
      insert.bind(4, notice->reason);
      insert.exec();
      return Status::Ok();
    }
    case wire::DeliveryKind::kTask: {
      auto task = wire::TaskDelivery::Decode(delivery.body);
      if (!task.ok()) return task.status();
      SQLite::Statement upsert(
          *db_,
          "INSERT INTO tasks(id, deployment, incident, incident_title, step, playbook, hq_state, "
          "dormant, hq_reason, due_at, waits_on, updated_at, ready_at, exercise) "
          "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
          "ON CONFLICT(id) DO UPDATE SET hq_state=excluded.hq_state, exercise=excluded.exercise, "
          "ready_at=COALESCE(excluded.ready_at, tasks.ready_at), "
          "dormant=MIN(tasks.dormant, excluded.dormant), hq_reason=excluded.hq_reason, "
          "due_at=excluded.due_at, waits_on=excluded.waits_on, updated_at=excluded.updated_at, "
          // A stand-down made on this laptop holds until HQ speaks of the task: HQ's word
          // wins (it says cancelled too once the trigger reaches it).
          "local_reason=CASE WHEN tasks.local_state='cancelled' THEN '' ELSE tasks.local_reason END, "
          "local_state=CASE WHEN tasks.local_state='cancelled' THEN '' ELSE tasks.local_state END");
      upsert.bind(1, task->task);
      upsert.bind(2, task->deployment);
      upsert.bind(3, task->incident);
      upsert.bind(4, task->incident_title);
      upsert.bind(5, task->step);
      upsert.bind(6, task->playbook);
      upsert.bind(7, task->state);
      upsert.bind(8, task->dormant ? 1 : 0);
      upsert.bind(9, task->reason);
      if (task->due_at) {
        upsert.bind(10, *task->due_at);
      } else {
        upsert.bind(10);
      }
      upsert.bind(11, WaitsOnJson(task->waits_on).dump());
      upsert.bind(12, static_cast<std::int64_t>(clock_.Now()));
      if (task->ready_at) {
        upsert.bind(13, *task->ready_at);
      } else {
        upsert.bind(13);
      }
      upsert.bind(14, task->exercise ? 1 : 0);
      upsert.exec();
      return Status::Ok();
    }
    case wire::DeliveryKind::kTeam: return ApplyTeam(delivery.body, delivery.at);
    case wire::DeliveryKind::kWatchlist: return ApplyWatchlist(delivery.body);
    case wire::DeliveryKind::kNotice: {
      auto notice = wire::NoticeDelivery::Decode(delivery.body);
      if (!notice.ok()) return notice.status();
      SQLite::Statement insert(*db_,
                               "INSERT INTO notices(deployment, role, source, text, received_at) "
                               "VALUES(?,?,?,?,?)");
      insert.bind(1, notice->deployment);
      insert.bind(2, notice->role);
      insert.bind(3, notice->source);
      insert.bind(4, notice->text);
      insert.bind(5, static_cast<std::int64_t>(clock_.Now()));
      insert.exec();
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status AgentStore::ApplyWatchlist(const json& body) {
  auto delivery = wire::WatchlistDelivery::Decode(body);
  if (!delivery.ok()) return delivery.status();
  if (!sealed()) {
    // An empty whole list (the member left the incident) clears the count too.
    SQLite::Statement withheld(*db_,
                               "INSERT INTO watchlist_withheld(incident, entries, at) "
                               "VALUES(?1,?2,?3) ON CONFLICT(incident) DO UPDATE SET "
                               "entries=CASE WHEN ?4 THEN excluded.entries ELSE "
                               "watchlist_withheld.entries + excluded.entries END, at=excluded.at");
    withheld.bind(1, delivery->incident);
    withheld.bind(2, static_cast<std::int64_t>(delivery->entries.size()));
    withheld.bind(3, static_cast<std::int64_t>(clock_.Now()));
    withheld.bind(4, delivery->whole ? 1 : 0);
    withheld.exec();
    Logger("agent")->warn(
        "event=watchlist_withheld incident={} entries={} reason=\"the store is not sealed\"",
        delivery->incident, delivery->entries.size());
    return Status::Ok();
  }
  SQLite::Statement kept(*db_, "DELETE FROM watchlist_withheld WHERE incident=?");
  kept.bind(1, delivery->incident);
  kept.exec();
  if (delivery->whole) {
    SQLite::Statement clear(*db_, "DELETE FROM watchlist WHERE incident=?");
    clear.bind(1, delivery->incident);
    clear.exec();
  }
  for (const std::string& notice : delivery->removed) {
    SQLite::Statement erase(*db_, "DELETE FROM watchlist WHERE incident=? AND notice=?");
    erase.bind(1, delivery->incident);
    erase.bind(2, notice);
    erase.exec();
  }
  for (const watchlist::Entry& entry : delivery->entries) {
    SQLite::Statement upsert(*db_,
                             "INSERT OR REPLACE INTO watchlist(incident, notice, entry, "
                             "received_at) VALUES(?,?,?,?)");
    upsert.bind(1, delivery->incident);
    upsert.bind(2, entry.notice_id);
    upsert.bind(3, wire::EncodeWatchlistEntry(entry).dump());
    upsert.bind(4, static_cast<std::int64_t>(clock_.Now()));
    upsert.exec();
  }
  return Status::Ok();
}

Result<std::vector<watchlist::Entry>> AgentStore::WatchlistOf(const std::string& incident) {
  std::vector<watchlist::Entry> entries;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_, "SELECT entry FROM watchlist WHERE incident=? ORDER BY notice");
    query.bind(1, incident);
    while (query.executeStep()) {
      auto entry = wire::DecodeWatchlistEntry(
          json::parse(query.getColumn(0).getString(), nullptr, false));
      if (entry.ok()) entries.push_back(std::move(*entry));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return entries;
}

Result<std::vector<AgentStore::WatchlistHolding>> AgentStore::WatchlistHoldings() {
  std::vector<WatchlistHolding> holdings;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(
        *db_,
        "SELECT incident, SUM(held), SUM(withheld) FROM (SELECT incident, COUNT(*) AS held, 0 "
        "AS withheld FROM watchlist GROUP BY incident UNION ALL SELECT incident, 0, entries "
        "FROM watchlist_withheld) GROUP BY incident ORDER BY incident");
    while (query.executeStep()) {
      holdings.push_back({query.getColumn(0).getString(), query.getColumn(1).getInt64(),
                          query.getColumn(2).getInt64()});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return holdings;
}

Status AgentStore::ApplyPlaybook(const json& body) {
  auto book = wire::PlaybookDelivery::Decode(body);
  Status held = book.ok() ? playbook::VerifySource(book->source, book->hash, book->signature)
                          : book.status();
  if (!held.ok()) {
    // Refused: never stored, never applied; its tasks and `status` say why. Without a hash
    // there is nothing to name: the delivery is skipped as malformed.
    // Read leniently: the body may be what failed to decode.
    const auto text = [&body](const char* field) {
      auto it = body.is_object() ? body.find(field) : body.end();
      return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const std::string hash = text("hash");
    if (hash.empty()) return held;
    SQLite::Statement refuse(*db_,
                             "INSERT OR REPLACE INTO playbook_refusals(hash, id, version, reason, "
                             "refused_at) VALUES(?,?,?,?,?)");
    refuse.bind(1, hash);
    refuse.bind(2, text("id"));
    refuse.bind(3, text("version"));
    refuse.bind(4, held.message());
    refuse.bind(5, static_cast<std::int64_t>(clock_.Now()));
    refuse.exec();
    Logger("agent")->error("event=playbook_refused hash={} reason=\"{}\"", hash, held.message());
    return Status::Ok();
  }
  SQLite::Statement insert(*db_,
                           "INSERT OR IGNORE INTO playbooks(hash, id, version, source, "
                           "received_at, signature) VALUES(?,?,?,?,?,?)");
  insert.bind(1, book->hash);
  insert.bind(2, book->id);
  insert.bind(3, book->version);
  insert.bind(4, book->source);
  insert.bind(5, static_cast<std::int64_t>(clock_.Now()));
  if (book->signature) {
    insert.bind(6, book->signature->Encode().dump());
  } else {
    insert.bind(6);
  }
  insert.exec();
  // A good copy after a refused one (HQ sent it again): the refusal is over.
  SQLite::Statement cleared(*db_, "DELETE FROM playbook_refusals WHERE hash=?");
  cleared.bind(1, book->hash);
  cleared.exec();
  return Status::Ok();
}

Result<std::uint64_t> AgentStore::ApplyDeliveries(const std::vector<Delivery>& deliveries) {
  std::uint64_t applied = 0;
  std::vector<std::pair<std::uint64_t, std::string>> skipped;
  Status status = InTransaction(*db_, [&]() -> Status {
    applied = std::stoull(Meta(*db_, "applied", "0"));
    SQLite::Statement log(*db_, "INSERT INTO inbox(seq, kind, applied_at) VALUES(?,?,?)");
    for (const Delivery& delivery : deliveries) {
      if (delivery.seq <= applied) continue;      // a duplicate: already applied
      if (delivery.seq != applied + 1) break;     // a gap: HQ sends again from our cursor
      // A delivery this agent cannot use (a field of the wrong type) is logged in the
      // inbox and skipped: refusing it would stop every later delivery for good.
      db_->exec("SAVEPOINT delivery");
      Status done;
      try {
        done = ApplyDelivery(delivery);
      } catch (const json::exception& error) {  // text that is not UTF-8, say
        done = Status::Error(ErrorCode::kMalformed, error.what());
      }
      if (!done.ok() && done.code() != ErrorCode::kMalformed) return done;
      if (!done.ok()) {
        db_->exec("ROLLBACK TO delivery");
        skipped.emplace_back(delivery.seq, done.message());
      }
      db_->exec("RELEASE delivery");
      log.bind(1, static_cast<std::int64_t>(delivery.seq));
      log.bind(2, delivery.kind);
      log.bind(3, static_cast<std::int64_t>(clock_.Now()));
      log.exec();
      log.reset();
      applied = delivery.seq;
    }
    SetMeta(*db_, "applied", std::to_string(applied));
    SetMeta(*db_, "last_sync_at", std::to_string(clock_.Now()));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  for (const auto& [seq, why] : skipped) {
    Logger("agent")->warn("event=delivery_skipped seq={} reason=malformed_body error=\"{}\"", seq,
                          why);
  }
  return applied;
}

Status AgentStore::SetLink(const LinkState& link) {
  return InTransaction(*db_, [&]() -> Status {
    SetMeta(*db_, "connected", link.connected ? "1" : "0");
    SetMeta(*db_, "daemon_seen_at", std::to_string(link.daemon_seen_at));
    SetMeta(*db_, "last_error", link.last_error);
    SetMeta(*db_, "refused", link.refused ? "1" : "0");
    return Status::Ok();
  });
}

Result<LinkState> AgentStore::Link() {
  LinkState link;
  Status status = Guarded([&]() -> Status {
    link.connected = Meta(*db_, "connected", "0") == "1";
    link.daemon_seen_at = std::stoll(Meta(*db_, "daemon_seen_at", "0"));
    link.last_sync_at = std::stoll(Meta(*db_, "last_sync_at", "0"));
    link.last_error = Meta(*db_, "last_error", "");
    link.refused = Meta(*db_, "refused", "0") == "1";
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return link;
}

}  // namespace muster::agent
