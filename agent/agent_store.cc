#include "agent_store.h"

#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "attachments.h"
#include "muster/digest.h"
#include "muster/log.h"
#include "muster/playbook/fields.h"
#include "muster/playbook/load.h"
#include "muster/sqlite_store.h"
#include "muster/protocol.h"
#include "muster/wire/deliveries.h"
#include "store_watch.h"

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
  };
  return kMigrations;
}

namespace {

std::optional<Millis> OptionalInt(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getInt64();
}

constexpr const char* kTaskColumns =
    "id, deployment, incident, incident_title, step, playbook, hq_state, dormant, hq_reason, "
    "due_at, waits_on, local_state, local_reason, updated_at";

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
  task.due_at = OptionalInt(query.getColumn(9));
  task.waits_on = json::parse(query.getColumn(10).getString(), nullptr, false);
  if (!task.waits_on.is_array()) task.waits_on = json::array();
  task.local_state = query.getColumn(11).getString();
  task.local_reason = query.getColumn(12).getString();
  task.updated_at = query.getColumn(13).getInt64();
  return task;
}

OutboxRecord ReadRecord(SQLite::Statement& query) {
  OutboxRecord record;
  record.seq = static_cast<std::uint64_t>(query.getColumn(0).getInt64());
  record.kind = query.getColumn(1).getString();
  record.task = query.getColumn(2).getString();
  record.body = json::parse(query.getColumn(3).getString(), nullptr, false);
  record.lane = query.getColumn(4).getInt();
  record.created_at = query.getColumn(5).getInt64();
  record.sent_at = OptionalInt(query.getColumn(6));
  record.acked_at = OptionalInt(query.getColumn(7));
  record.refusal = query.getColumn(8).getString();
  return record;
}

// The dependencies of a task snapshot, keeping only well-formed entries: every reader
// can then rely on maps of strings, whatever a coordinator sent.
// The tasks a task waits on, as the agent keeps them for `muster-agent show`.
json WaitsOnJson(const std::vector<wire::WaitsOn>& waits_on) {
  json list = json::array();
  for (const wire::WaitsOn& entry : waits_on) {
    if (entry.task.empty()) continue;
    list.push_back({{"task", entry.task},
                    {"step", entry.step},
                    {"member", entry.member},
                    {"name", entry.name},
                    {"state", entry.state}});
  }
  return list;
}

constexpr const char* kRecordColumns =
    "seq, kind, task, body, lane, created_at, sent_at, acked_at, refusal";

}  // namespace

AgentStore::AgentStore(std::unique_ptr<SQLite::Database> db, const Clock& clock,
                       std::string data_dir, std::string agent_id, std::string member_id)
    : db_(std::move(db)), clock_(clock), data_dir_(std::move(data_dir)),
      agent_id_(std::move(agent_id)), member_id_(std::move(member_id)) {}

Result<std::unique_ptr<AgentStore>> AgentStore::Open(const std::string& data_dir,
                                                     const Bundle& bundle, const Clock& clock) {
  auto db = OpenStore(data_dir + "/agent.db", AgentMigrations());
  if (!db.ok()) return db.status();
  std::unique_ptr<AgentStore> store(
      new AgentStore(std::move(db).value(), clock, data_dir, bundle.agent_id, bundle.member_id));
  // A store that already knows its agent is only read: opening it must not wait for the
  // write lock while another process records a long backlog.
  std::string known;
  Status read = Guarded([&]() -> Status {
    known = store->Meta("agent_id", "");
    return Status::Ok();
  });
  if (!read.ok()) return read;
  if (known == bundle.agent_id) return store;
  Status status = InTransaction(*store->db_, [&]() -> Status {
    const std::string existing = store->Meta("agent_id", "");
    if (existing.empty()) {
      store->SetMeta("agent_id", bundle.agent_id);
      store->SetMeta("member_id", bundle.member_id);
      store->SetMeta("hq_id", bundle.hq_id);
      store->SetMeta("applied", "0");
    } else if (existing != bundle.agent_id) {
      return Status::Error("wrong_store",
                           data_dir + " belongs to agent " + existing + ", not " +
                               bundle.agent_id + "; give each bundle its own data_dir");
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return store;
}

std::string AgentStore::Meta(const std::string& key, const std::string& fallback) {
  SQLite::Statement query(*db_, "SELECT value FROM meta WHERE key=?");
  query.bind(1, key);
  return query.executeStep() ? query.getColumn(0).getString() : fallback;
}

void AgentStore::SetMeta(const std::string& key, const std::string& value) {
  SQLite::Statement upsert(*db_,
                           "INSERT INTO meta(key, value) VALUES(?,?) ON CONFLICT(key) DO UPDATE "
                           "SET value=excluded.value");
  upsert.bind(1, key);
  upsert.bind(2, value);
  upsert.exec();
}

Status AgentStore::Transaction(const std::function<Status()>& body) {
  to_signal_ = false;  // left over from a transaction of the store's own (CutPieces)
  Status status = InTransaction(*db_, body);
  // Committed or rolled back, the transaction is over: signal only what was committed.
  if (std::exchange(to_signal_, false) && status.ok()) SignalOutbox();
  return status;
}

void AgentStore::WorkAdded() {
  if (sqlite3_get_autocommit(db_->getHandle()) != 0) {
    SignalOutbox();
  } else {
    to_signal_ = true;
  }
}

void AgentStore::SignalOutbox() {
  Status status = SignalOutboxChanged(data_dir_);
  if (!status.ok()) {
    Logger("agent")->warn("event=outbox_signal_failed error=\"{}\" effect=\"the daemon sends "
                          "the records at its next refresh\"",
                          status.message());
  }
}

Result<std::uint64_t> AgentStore::Append(const std::string& kind, const std::string& task,
                                         const json& body, int lane) {
  std::string text;
  try {
    text = body.dump();
  } catch (const json::exception&) {
    return Status::Error("invalid_value",
                         "the text is not valid UTF-8; set the terminal to UTF-8 and type it "
                         "again");
  }
  if (text.size() > kMaxRecordBytes) {
    return Status::Error("too_large", "this record is " + std::to_string(text.size()) +
                                          " bytes; the limit is " +
                                          std::to_string(kMaxRecordBytes) +
                                          ": shorten the text or attach a file instead");
  }
  std::uint64_t seq = 0;
  Status status = Guarded(*db_, [&]() -> Status {
    SQLite::Statement insert(*db_,
                             "INSERT INTO outbox(kind, task, body, lane, created_at) "
                             "VALUES(?,?,?,?,?)");
    insert.bind(1, kind);
    insert.bind(2, task);
    insert.bind(3, text);
    insert.bind(4, lane);
    insert.bind(5, static_cast<std::int64_t>(clock_.Now()));
    insert.exec();
    seq = static_cast<std::uint64_t>(db_->getLastInsertRowid());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  WorkAdded();
  return seq;
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
    if (update.exec() == 0) return Status::Error("not_found", "no task " + task_id);
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
    return Status::Error("ambiguous", "'" + id_or_step + "' names several tasks:" + ids +
                                          "; give the task id");
  }
  return Status::Error("not_found", "no task '" + id_or_step +
                                        "' is assigned to you; list yours with: muster-agent "
                                        "tasks");
}

Result<std::string> AgentStore::PlaybookSource(const std::string& hash) {
  std::string source;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_, "SELECT source FROM playbooks WHERE hash=?");
    query.bind(1, hash);
    if (!query.executeStep()) {
      return Status::Error("not_found", "the playbook of this task has not arrived yet; sync "
                                        "when a link exists");
    }
    source = query.getColumn(0).getString();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return source;
}

Result<std::shared_ptr<const playbook::Playbook>> AgentStore::PlaybookByHash(
    const std::string& hash) {
  auto cached = playbooks_.find(hash);
  if (cached != playbooks_.end()) return cached->second;
  auto source = PlaybookSource(hash);
  if (!source.ok()) return source.status();
  playbook::LoadResult loaded = playbook::LoadText(*source, "playbook " + hash.substr(0, 12),
                                                   playbook::PublishedSourceOptions());
  if (!loaded.ok() || loaded.playbook->content_hash != hash) {
    return Status::Error("invalid_playbook", "the playbook " + hash.substr(0, 12) +
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
  for (const json& dependency : task.waits_on) {
    const std::string dep_task = dependency.value("task", "");
    std::string state = dependency.value("state", "");
    // Our own tasks: what the member did here counts at once, offline.
    auto own = std::find_if(all.begin(), all.end(),
                            [&](const Task& other) { return other.id == dep_task; });
    if (own != all.end() && !own->local_state.empty()) state = own->local_state;
    if (state != "completed") return "waiting";
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

Result<std::vector<OutboxRecord>> AgentStore::Records(const std::string& task) {
  std::vector<OutboxRecord> records;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_, std::string("SELECT ") + kRecordColumns +
                                      " FROM outbox WHERE kind != 'attachment_chunk' AND (?='' OR task=?) "
                                      "ORDER BY seq");
    query.bind(1, task);
    query.bind(2, task);
    while (query.executeStep()) records.push_back(ReadRecord(query));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return records;
}

Result<int> AgentStore::LowestPendingLane() {
  int lane = -1;
  Status status = Guarded([&]() -> Status {
    // A file not yet all cut into pieces waits in the attachment lane too.
    SQLite::Statement query(*db_,
                            "SELECT MIN(lane) FROM (SELECT lane FROM outbox WHERE acked_at IS "
                            "NULL UNION ALL SELECT 3 FROM attachments WHERE cut<size)");
    if (query.executeStep() && !query.getColumn(0).isNull()) lane = query.getColumn(0).getInt();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return lane;
}

Result<std::vector<OutboxRecord>> AgentStore::NextBatch(int max_lane, std::size_t max_records,
                                                        std::size_t max_bytes) {
  std::vector<OutboxRecord> batch;
  std::size_t bytes = 0;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(
        *db_, std::string("SELECT ") + kRecordColumns +
                  " FROM outbox WHERE acked_at IS NULL AND lane=(SELECT MIN(lane) FROM outbox "
                  "WHERE acked_at IS NULL AND lane<=?) ORDER BY seq LIMIT ?");
    query.bind(1, max_lane);
    query.bind(2, static_cast<std::int64_t>(max_records));
    while (query.executeStep()) {
      OutboxRecord record = ReadRecord(query);
      std::size_t size = record.body.dump().size();
      if (record.kind == "attachment_chunk") size += record.body.value("length", std::size_t{0});
      if (!batch.empty() && bytes + size > max_bytes) break;
      bytes += size;
      batch.push_back(std::move(record));
    }
    for (OutboxRecord& record : batch) {
      if (record.kind == "attachment_chunk") FillPiece(record);
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  // Room left in the attachment lane: new pieces, cut to what remains of the budget.
  const bool attachments = batch.empty() ? max_lane >= kLaneAttachment
                                         : batch.front().lane == kLaneAttachment;
  if (attachments && batch.size() < max_records && (batch.empty() || bytes < max_bytes)) {
    auto cut = CutPieces(max_records - batch.size(), batch.empty() ? max_bytes : max_bytes - bytes);
    if (!cut.ok()) return cut.status();
    for (OutboxRecord& piece : *cut) batch.push_back(std::move(piece));
  }
  return batch;
}

Result<std::vector<OutboxRecord>> AgentStore::CutPieces(std::size_t max_records,
                                                        std::size_t max_bytes) {
  // What a piece's description costs besides its bytes, and the smallest piece worth
  // its description.
  constexpr std::size_t kDescriptionBytes = 256;
  constexpr std::size_t kSmallestPiece = 512;
  std::vector<OutboxRecord> pieces;
  std::size_t room = max_bytes;
  Status status = InTransaction(*db_, [&]() -> Status {
    SQLite::Statement files(*db_,
                            "SELECT sha256, name, size, cut, task FROM attachments WHERE "
                            "cut<size ORDER BY created_at, sha256");
    struct File {
      std::string sha256, name, task;
      std::uint64_t size, cut;
    };
    std::vector<File> todo;
    while (files.executeStep()) {
      todo.push_back({files.getColumn(0).getString(), files.getColumn(1).getString(),
                      files.getColumn(4).getString(),
                      static_cast<std::uint64_t>(files.getColumn(2).getInt64()),
                      static_cast<std::uint64_t>(files.getColumn(3).getInt64())});
    }
    files.reset();
    SQLite::Statement advance(*db_, "UPDATE attachments SET cut=? WHERE sha256=?");
    for (File& file : todo) {
      while (file.cut < file.size && pieces.size() < max_records &&
             (pieces.empty() || room >= kDescriptionBytes + kSmallestPiece)) {
        wire::AttachmentPiece cut;
        cut.task = file.task;
        cut.attachment = file.sha256;
        cut.offset = file.cut;
        std::uint64_t length = file.size - file.cut;
        std::string data;
        Status copy = verified_copies_.count(file.sha256) ? Status::Ok()
                                                          : VerifyCopy(data_dir_, file.sha256);
        if (copy.ok()) {
          verified_copies_.insert(file.sha256);
          const std::size_t fits = room > kDescriptionBytes + kSmallestPiece
                                       ? room - kDescriptionBytes
                                       : kSmallestPiece;
          length = std::min<std::uint64_t>({length, fits, protocol::kMaxAttachmentChunkBytes});
          auto read = ReadPiece(data_dir_, file.sha256, file.cut, length);
          if (read.ok()) {
            data = std::move(*read);
            cut.sha256 = Sha256Hex(data);
          } else {
            copy = read.status();
          }
        }
        if (!copy.ok()) {
          // Whatever is left of the file goes as one damaged piece: HQ says so rather
          // than wait for bytes that will never come.
          Logger("attachments")->error("event=copy_damaged sha256={} error=\"{}\"",
                                       file.sha256, copy.message());
          length = file.size - file.cut;
          cut.damaged = copy.message();
        }
        cut.length = length;
        auto seq = Append(cut);
        if (!seq.ok()) return seq.status();
        if (!copy.ok()) {
          SQLite::Statement mark(*db_, "UPDATE outbox SET refusal=? WHERE seq=?");
          mark.bind(1, "not sent: " + copy.message());
          mark.bind(2, static_cast<std::int64_t>(*seq));
          mark.exec();
        }
        file.cut += length;
        advance.bind(1, static_cast<std::int64_t>(file.cut));
        advance.bind(2, file.sha256);
        advance.exec();
        advance.reset();
        cut.name = file.name;
        cut.size = file.size;
        if (!data.empty()) cut.data = std::move(data);
        OutboxRecord piece;
        piece.seq = *seq;
        piece.kind = wire::RecordKindName(wire::AttachmentPiece::kKind);
        piece.task = file.task;
        piece.lane = kLaneAttachment;
        piece.created_at = clock_.Now();
        piece.body = cut.Encode();
        room = room > length + kDescriptionBytes ? room - length - kDescriptionBytes : 0;
        pieces.push_back(std::move(piece));
      }
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return pieces;
}

void AgentStore::FillPiece(OutboxRecord& record) {
  auto cut = wire::AttachmentPiece::DecodeCut(record.body);
  if (!cut.ok() || !cut->damaged.empty()) return;  // cut as damaged: sent as it is
  const auto damaged = [&](const std::string& why) {
    // Sent without its bytes, so that HQ holds the sequence and reports the damage.
    Logger("attachments")->error("event=piece_unreadable seq={} error=\"{}\"", record.seq, why);
    cut->damaged = why;
    cut->data.reset();
    record.body = cut->Encode();
    SQLite::Statement mark(*db_, "UPDATE outbox SET refusal=? WHERE seq=?");
    mark.bind(1, "not sent: " + why);
    mark.bind(2, static_cast<std::int64_t>(record.seq));
    mark.exec();
  };
  SQLite::Statement query(*db_, "SELECT name, size FROM attachments WHERE sha256=?");
  query.bind(1, cut->attachment);
  if (!query.executeStep()) {
    cut->damaged = "this laptop's store has no attachment " + cut->attachment;
    record.body = cut->Encode();
    return;
  }
  cut->name = query.getColumn(0).getString();
  cut->size = static_cast<std::uint64_t>(query.getColumn(1).getInt64());
  auto data = ReadPiece(data_dir_, cut->attachment, cut->offset, cut->length);
  if (!data.ok()) return damaged(data.status().message());
  if (Sha256Hex(*data) != cut->sha256) {
    return damaged("the stored copy of " + cut->name +
                   " changed after this piece was cut; it is damaged: attach the original "
                   "file again");
  }
  cut->data = std::move(*data);
  record.body = cut->Encode();
}

Status AgentStore::AddAttachment(const Attachment& attachment, const std::string& task) {
  return Guarded(*db_, [&]() -> Status {
    // The same file attached again (to another finding) is already on its way.
    SQLite::Statement insert(*db_,
                             "INSERT OR IGNORE INTO attachments(sha256, name, size, task, "
                             "created_at, cut) VALUES(?,?,?,?,?,0)");
    insert.bind(1, attachment.sha256);
    insert.bind(2, attachment.name);
    insert.bind(3, static_cast<std::int64_t>(attachment.size));
    insert.bind(4, task);
    insert.bind(5, static_cast<std::int64_t>(clock_.Now()));
    if (insert.exec() > 0) WorkAdded();
    return Status::Ok();
  });
}

Result<std::vector<AttachmentProgress>> AgentStore::Attachments(const std::string& task) {
  std::vector<AttachmentProgress> list;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(
        *db_,
        "SELECT a.sha256, a.name, a.size, a.task, a.created_at, "
        "COALESCE(SUM(CASE WHEN o.sent_at IS NOT NULL THEN json_extract(o.body, '$.length') "
        "END), 0), COALESCE(SUM(CASE WHEN o.acked_at IS NOT NULL THEN "
        "json_extract(o.body, '$.length') END), 0), "
        "MAX(o.acked_at), COALESCE(MAX(o.refusal), '') FROM attachments a LEFT JOIN outbox o "
        "ON o.kind='attachment_chunk' AND json_extract(o.body, '$.attachment')=a.sha256 "
        "WHERE ?='' OR a.task=? GROUP BY a.sha256 ORDER BY a.created_at, a.sha256");
    query.bind(1, task);
    query.bind(2, task);
    while (query.executeStep()) {
      AttachmentProgress item;
      item.sha256 = query.getColumn(0).getString();
      item.name = query.getColumn(1).getString();
      item.size = static_cast<std::uint64_t>(query.getColumn(2).getInt64());
      item.task = query.getColumn(3).getString();
      item.created_at = query.getColumn(4).getInt64();
      item.sent = static_cast<std::uint64_t>(query.getColumn(5).getInt64());
      item.acked = static_cast<std::uint64_t>(query.getColumn(6).getInt64());
      item.last_acked_at = OptionalInt(query.getColumn(7));
      item.refusal = query.getColumn(8).getString();
      list.push_back(std::move(item));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

Status AgentStore::MarkSent(const std::vector<std::uint64_t>& seqs) {
  return InTransaction(*db_, [&]() -> Status {
    SQLite::Statement update(*db_,
                             "UPDATE outbox SET sent_at=COALESCE(sent_at, ?) WHERE seq=?");
    for (std::uint64_t seq : seqs) {
      update.bind(1, static_cast<std::int64_t>(clock_.Now()));
      update.bind(2, static_cast<std::int64_t>(seq));
      update.exec();
      update.reset();
    }
    return Status::Ok();
  });
}

Status AgentStore::MarkAcked(const std::vector<std::uint64_t>& seqs) {
  return InTransaction(*db_, [&]() -> Status {
    const auto now = static_cast<std::int64_t>(clock_.Now());
    SQLite::Statement update(*db_,
                             "UPDATE outbox SET acked_at=?, sent_at=COALESCE(sent_at, ?) "
                             "WHERE seq=? AND acked_at IS NULL");
    for (std::uint64_t seq : seqs) {
      update.bind(1, now);
      update.bind(2, now);
      update.bind(3, static_cast<std::int64_t>(seq));
      update.exec();
      update.reset();
    }
    SetMeta("last_sync_at", std::to_string(now));
    return Status::Ok();
  });
}

Status AgentStore::MarkRefused(std::uint64_t seq, const std::string& why) {
  return Guarded([&]() -> Status {
    SQLite::Statement update(*db_, "UPDATE outbox SET refusal=? WHERE seq=?");
    update.bind(1, why);
    update.bind(2, static_cast<std::int64_t>(seq));
    update.exec();
    return Status::Ok();
  });
}

Status AgentStore::MarkAckedRanges(const protocol::SeqRanges& ranges) {
  std::vector<std::uint64_t> seqs;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT seq FROM outbox WHERE seq BETWEEN ? AND ? AND acked_at IS NULL");
    for (const protocol::SeqRange& range : ranges) {
      query.bind(1, static_cast<std::int64_t>(range.first));
      query.bind(2, static_cast<std::int64_t>(range.last));
      while (query.executeStep()) seqs.push_back(static_cast<std::uint64_t>(query.getColumn(0).getInt64()));
      query.reset();
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return MarkAcked(seqs);
}

namespace {

// The seqs one query returns, as at most protocol::kMaxRanges ranges; |complete| says
// whether all of them fitted.
Result<std::pair<protocol::SeqRanges, bool>> SeqRangesOf(SQLite::Statement& query) {
  protocol::SeqRanges ranges;
  while (query.executeStep()) {
    const auto seq = static_cast<std::uint64_t>(query.getColumn(0).getInt64());
    if (!ranges.empty() && seq == ranges.back().last + 1) {
      ranges.back().last = seq;
      continue;
    }
    if (ranges.size() == protocol::kMaxRanges) return std::make_pair(ranges, false);
    ranges.push_back({seq, seq});
  }
  return std::make_pair(ranges, true);
}

}  // namespace

Result<AckedAbove> AgentStore::AckedAboveWatermark() {
  auto watermark = AckedWatermark();
  if (!watermark.ok()) return watermark.status();
  AckedAbove above;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT seq FROM outbox WHERE seq>? AND acked_at IS NOT NULL ORDER "
                            "BY seq");
    query.bind(1, static_cast<std::int64_t>(*watermark));
    auto ranges = SeqRangesOf(query);
    above.ranges = std::move(ranges->first);
    above.complete = ranges->second;
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return above;
}

Result<protocol::SeqRanges> AgentStore::SentUnacked() {
  protocol::SeqRanges sent;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT seq FROM outbox WHERE acked_at IS NULL AND sent_at IS NOT "
                            "NULL ORDER BY seq");
    sent = SeqRangesOf(query)->first;
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return sent;
}

Result<std::uint64_t> AgentStore::AckedWatermark() {
  std::uint64_t watermark = 0;
  Status status = Guarded([&]() -> Status {
    watermark = static_cast<std::uint64_t>(
        db_->execAndGet("SELECT COALESCE((SELECT MIN(seq) - 1 FROM outbox WHERE acked_at IS "
                        "NULL), (SELECT MAX(seq) FROM outbox), 0)")
            .getInt64());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return watermark;
}

Result<std::uint64_t> AgentStore::Head() {
  std::uint64_t head = 0;
  Status status = Guarded([&]() -> Status {
    head = static_cast<std::uint64_t>(
        db_->execAndGet("SELECT COALESCE(MAX(seq), 0) FROM outbox").getInt64());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return head;
}

Result<std::uint64_t> AgentStore::Requeue(const protocol::SeqRanges& ranges) {
  std::uint64_t count = 0;
  Status status = InTransaction(*db_, [&]() -> Status {
    SQLite::Statement update(*db_,
                             "UPDATE outbox SET acked_at=NULL WHERE seq BETWEEN ? AND ? AND "
                             "acked_at IS NOT NULL");
    for (const protocol::SeqRange& range : ranges) {
      update.bind(1, static_cast<std::int64_t>(range.first));
      update.bind(2, static_cast<std::int64_t>(std::min<std::uint64_t>(range.last, INT64_MAX)));
      count += static_cast<std::uint64_t>(update.exec());
      update.reset();
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return count;
}

Result<std::uint64_t> AgentStore::RequeueAbove(std::uint64_t seq) {
  return Requeue({{seq + 1, static_cast<std::uint64_t>(INT64_MAX)}});
}

Status AgentStore::RebaseSequence(std::uint64_t hq_highest) {
  return InTransaction(*db_, [&]() -> Status {
    // Renumber in sequence order so that per-task order is kept.
    SQLite::Statement move(*db_, std::string("SELECT ") + kRecordColumns +
                                     " FROM outbox WHERE seq<=? AND acked_at IS NULL ORDER BY seq");
    move.bind(1, static_cast<std::int64_t>(hq_highest));
    std::vector<OutboxRecord> records;
    while (move.executeStep()) records.push_back(ReadRecord(move));
    // sqlite_sequence has no row for the outbox until its first insert.
    SQLite::Statement bump(*db_,
                           "UPDATE sqlite_sequence SET seq=MAX(seq, ?1) WHERE name='outbox'");
    bump.bind(1, static_cast<std::int64_t>(hq_highest));
    if (bump.exec() == 0) {
      SQLite::Statement create(*db_,
                               "INSERT INTO sqlite_sequence(name, seq) VALUES('outbox', ?)");
      create.bind(1, static_cast<std::int64_t>(hq_highest));
      create.exec();
    }
    SQLite::Statement remove(*db_, "DELETE FROM outbox WHERE seq=?");
    SQLite::Statement insert(*db_,
                             "INSERT INTO outbox(kind, task, body, lane, created_at) "
                             "VALUES(?,?,?,?,?)");
    for (const OutboxRecord& record : records) {
      remove.bind(1, static_cast<std::int64_t>(record.seq));
      remove.exec();
      remove.reset();
      insert.bind(1, record.kind);
      insert.bind(2, record.task);
      insert.bind(3, record.body.dump());
      insert.bind(4, record.lane);
      insert.bind(5, static_cast<std::int64_t>(record.created_at));
      insert.exec();
      insert.reset();
    }
    return Status::Ok();
  });
}

Result<std::uint64_t> AgentStore::AppliedWatermark() {
  std::uint64_t applied = 0;
  Status status = Guarded([&]() -> Status {
    applied = std::stoull(Meta("applied", "0"));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return applied;
}

Status AgentStore::RestartDeliveries(std::uint64_t seq) {
  return InTransaction(*db_, [&]() -> Status {
    SetMeta("applied", std::to_string(seq == 0 ? 0 : seq - 1));
    SetMeta("restarted_at", std::to_string(clock_.Now()));
    return Status::Ok();
  });
}

Status AgentStore::SetDeliveryHead(std::uint64_t head) {
  return Guarded(*db_, [&]() -> Status {
    SetMeta("hq_head", std::to_string(head));
    return Status::Ok();
  });
}

Result<AgentStore::DeliveryState> AgentStore::Deliveries() {
  DeliveryState state;
  Status status = Guarded([&]() -> Status {
    state.applied = std::stoull(Meta("applied", "0"));
    state.hq_head = std::stoull(Meta("hq_head", "0"));
    state.restarted_at = std::stoll(Meta("restarted_at", "0"));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return state;
}

Status AgentStore::ApplyDelivery(const Delivery& delivery) {
  const std::optional<wire::DeliveryKind> kind = wire::DeliveryKindFromName(delivery.kind);
  if (!kind) return Status::Ok();  // a kind from a newer coordinator: logged in the inbox, no effect
  switch (*kind) {
    case wire::DeliveryKind::kPlaybook: {
      auto book = wire::PlaybookDelivery::Decode(delivery.body);
      if (!book.ok()) return book.status();
      SQLite::Statement insert(*db_,
                               "INSERT OR IGNORE INTO playbooks(hash, id, version, source, "
                               "received_at) VALUES(?,?,?,?,?)");
      insert.bind(1, book->hash);
      insert.bind(2, book->id);
      insert.bind(3, book->version);
      insert.bind(4, book->source);
      insert.bind(5, static_cast<std::int64_t>(clock_.Now()));
      insert.exec();
      return Status::Ok();
    }
    case wire::DeliveryKind::kTask: {
      auto task = wire::TaskDelivery::Decode(delivery.body);
      if (!task.ok()) return task.status();
      SQLite::Statement upsert(
          *db_,
          "INSERT INTO tasks(id, deployment, incident, incident_title, step, playbook, hq_state, "
          "dormant, hq_reason, due_at, waits_on, updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?) "
          "ON CONFLICT(id) DO UPDATE SET hq_state=excluded.hq_state, "
          "dormant=MIN(tasks.dormant, excluded.dormant), hq_reason=excluded.hq_reason, "
          "due_at=excluded.due_at, waits_on=excluded.waits_on, updated_at=excluded.updated_at");
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
      upsert.exec();
      return Status::Ok();
    }
    case wire::DeliveryKind::kTeam: return ApplyTeam(delivery.body, delivery.at);
  }
  return Status::Ok();
}

Result<std::uint64_t> AgentStore::ApplyDeliveries(const std::vector<Delivery>& deliveries) {
  std::uint64_t applied = 0;
  std::vector<std::pair<std::uint64_t, std::string>> skipped;
  Status status = InTransaction(*db_, [&]() -> Status {
    applied = std::stoull(Meta("applied", "0"));
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
        done = Status::Error(protocol::errors::kMalformed, error.what());
      }
      if (!done.ok() && done.code() != protocol::errors::kMalformed) return done;
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
    SetMeta("applied", std::to_string(applied));
    SetMeta("last_sync_at", std::to_string(clock_.Now()));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  for (const auto& [seq, why] : skipped) {
    Logger("agent")->warn("event=delivery_skipped seq={} reason=malformed_body error=\"{}\"", seq,
                          why);
  }
  return applied;
}

Result<OutboxStats> AgentStore::Stats() {
  OutboxStats stats;
  Status status = Guarded([&]() -> Status {
    // A file not yet all cut into pieces counts as one record waiting, with the bytes
    // still to cut.
    SQLite::Statement query(
        *db_,
        "SELECT COALESCE(SUM(acked_at IS NULL), 0) + (SELECT COUNT(*) FROM attachments WHERE "
        "cut<size), COALESCE(SUM(CASE WHEN acked_at IS NULL THEN length(body) + CASE kind WHEN "
        "'attachment_chunk' THEN json_extract(body, '$.length') ELSE 0 END END), 0) + (SELECT "
        "COALESCE(SUM(size-cut), 0) FROM attachments), COALESCE(SUM(acked_at IS NULL AND "
        "sent_at IS NOT NULL), 0), COALESCE(SUM(acked_at IS NOT NULL), 0), "
        "COALESCE(SUM(refusal != ''), 0) FROM outbox");
    query.executeStep();
    stats.pending = static_cast<std::uint64_t>(query.getColumn(0).getInt64());
    stats.pending_bytes = static_cast<std::uint64_t>(query.getColumn(1).getInt64());
    stats.sent_unacked = static_cast<std::uint64_t>(query.getColumn(2).getInt64());
    stats.acked = static_cast<std::uint64_t>(query.getColumn(3).getInt64());
    stats.refused = static_cast<std::uint64_t>(query.getColumn(4).getInt64());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return stats;
}

Status AgentStore::SetLink(const LinkState& link) {
  return InTransaction(*db_, [&]() -> Status {
    SetMeta("connected", link.connected ? "1" : "0");
    SetMeta("daemon_seen_at", std::to_string(link.daemon_seen_at));
    SetMeta("last_error", link.last_error);
    return Status::Ok();
  });
}

Result<LinkState> AgentStore::Link() {
  LinkState link;
  Status status = Guarded([&]() -> Status {
    link.connected = Meta("connected", "0") == "1";
    link.daemon_seen_at = std::stoll(Meta("daemon_seen_at", "0"));
    link.last_sync_at = std::stoll(Meta("last_sync_at", "0"));
    link.last_error = Meta("last_error", "");
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return link;
}

}  // namespace muster::agent
