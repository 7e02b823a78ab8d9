#include "hq_store.h"

#include <SQLiteCpp/Statement.h>
#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>

#include "hq_columns.h"
#include "hq_schema.h"
#include "muster/keys.h"
#include "muster/playbook/load.h"
#include "muster/protocol.h"
#include "muster/sqlite_store.h"

namespace muster::hq {
namespace {

std::string RandomHex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string hex;
  char pair[3];
  for (unsigned char c : raw) {
    std::snprintf(pair, sizeof pair, "%02x", c);
    hex += pair;
  }
  return hex;
}

}  // namespace

HqStore::HqStore(std::unique_ptr<SQLite::Database> db, const Clock& clock, std::string hq_id)
    : db_(std::move(db)), statements_(*db_), clock_(clock), hq_id_(std::move(hq_id)) {}

Result<std::unique_ptr<HqStore>> HqStore::Open(const std::string& path, const Clock& clock) {
  if (sodium_init() < 0) return Status::Error("crypto_unavailable", "libsodium failed to start");
  auto db = OpenStore(path, HqMigrations());
  if (!db.ok()) return db.status();
  std::string hq_id;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement read(**db, "SELECT value FROM meta WHERE key='hq_id'");
    if (read.executeStep()) {
      hq_id = read.getColumn(0).getString();
      return Status::Ok();
    }
    hq_id = RandomHex(16);
    SQLite::Statement write(**db, "INSERT INTO meta(key, value) VALUES('hq_id', ?)");
    write.bind(1, hq_id);
    write.exec();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return std::unique_ptr<HqStore>(new HqStore(std::move(db).value(), clock, hq_id));
}

Status HqStore::AppendTimeline(const std::string& incident_id, const std::string& kind,
                               const std::string& actor, const std::string& text) {
  SQLite::Statement insert(
      *db_, "INSERT INTO timeline(incident_id, at, kind, actor, text) VALUES(?,?,?,?,?)");
  insert.bind(1, incident_id);
  insert.bind(2, static_cast<std::int64_t>(clock_.Now()));
  insert.bind(3, kind);
  insert.bind(4, actor);
  insert.bind(5, text);
  insert.exec();
  return Status::Ok();
}

Status HqStore::Audit(const AuditEntry& entry) {
  if (sqlite3_get_autocommit(db_->getHandle()) != 0) {
    return InTransaction(*db_, [&] { return AppendAudit(statements_, clock_.Now(), entry); });
  }
  return AppendAudit(statements_, clock_.Now(), entry);
}

Result<AuditVerdict> HqStore::VerifyAudit() { return hq::VerifyAudit(*db_); }

Result<json> HqStore::AuditLog(const AuditFilter& filter) { return QueryAudit(*db_, filter); }

Result<std::string> HqStore::EnrollAgent(const std::string& member_id,
                                         const std::string& public_key,
                                         const Actor& actor) {
  std::string agent_id;
  Status status = InTransaction(*db_, [&]() -> Status {
    SQLite::Statement member(*db_, "SELECT 1 FROM members WHERE id=?");
    member.bind(1, member_id);
    if (!member.executeStep()) {
      return Status::Error("not_found", "no member '" + member_id +
                                            "'; add one first with: muster member add " +
                                            member_id);
    }
    SQLite::Statement count(*db_, "SELECT COUNT(*) FROM agents WHERE member_id=?");
    count.bind(1, member_id);
    count.executeStep();
    agent_id = member_id + "-" + std::to_string(count.getColumn(0).getInt() + 1);
    SQLite::Statement insert(*db_,
                             "INSERT INTO agents(id, member_id, public_key, created_at) "
                             "VALUES(?,?,?,?)");
    insert.bind(1, agent_id);
    insert.bind(2, member_id);
    insert.bind(3, public_key);
    insert.bind(4, static_cast<std::int64_t>(clock_.Now()));
    insert.exec();
    MUSTER_RETURN_IF_ERROR(Audit({actor, "agent.enroll", agent_id,
                                  {{"member", member_id}, {"key", KeyFingerprint(public_key)}}}));
    // A member already deployed gets their work on the new laptop at its first sync.
    return QueueBacklog(agent_id, member_id);
  });
  if (!status.ok()) return status;
  return agent_id;
}

Result<json> HqStore::ListAgents() {
  json list = json::array();
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(
        *db_,
        "SELECT a.id, a.member_id, a.public_key, a.status, a.created_at, a.last_contact_at, "
        "a.applied, a.next_delivery - 1, "
        "(SELECT COUNT(*) FROM inbound i WHERE i.agent_id=a.id) "
        "FROM agents a ORDER BY a.id");
    while (query.executeStep()) {
      list.push_back({{"id", query.getColumn(0).getString()},
                      {"member", query.getColumn(1).getString()},
                      {"key", query.getColumn(2).getString().substr(0, 8)},
                      {"status", query.getColumn(3).getString()},
                      {"enrolled_at", query.getColumn(4).getInt64()},
                      {"last_contact_at", NullableInt(query.getColumn(5))},
                      {"deliveries_applied", query.getColumn(6).getInt64()},
                      {"deliveries_queued", query.getColumn(7).getInt64()},
                      {"records_received", query.getColumn(8).getInt64()}});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

Result<AgentRecord> HqStore::KnownAgent(const std::string& agent_id) {
  Result<std::optional<AgentRecord>> found = FindAgent(agent_id);
  if (!found.ok()) return found.status();
  const std::optional<AgentRecord>& agent = *found;
  if (!agent) {
    return Status::Error("not_found", "no agent '" + agent_id + "'; list them with: muster "
                                                                "agent list");
  }
  return *agent;
}

Result<json> HqStore::RevokeAgent(const std::string& agent_id, const Actor& actor) {
  json revoked;
  Status status = InTransaction(*db_, [&]() -> Status {
    Result<AgentRecord> agent = KnownAgent(agent_id);
    if (!agent.ok()) return agent.status();
    if (agent->status != "active") {
      return Status::Error("conflict", "agent " + agent_id + " is already revoked");
    }
    const Millis now = clock_.Now();
    SQLite::Statement update(*db_,
                             "UPDATE agents SET status='revoked', revoked_at=? WHERE id=?");
    update.bind(1, static_cast<std::int64_t>(now));
    update.bind(2, agent_id);
    update.exec();
    MUSTER_RETURN_IF_ERROR(Audit({actor, "agent.revoke", agent_id,
                                  {{"member", agent->member_id},
                                   {"key", KeyFingerprint(agent->public_key)}}}));
    revoked = {{"id", agent_id},
               {"member", agent->member_id},
               {"status", "revoked"},
               {"revoked_at", now}};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return revoked;
}

Result<std::string> HqStore::RotateAgentKey(const std::string& agent_id,
                                            const std::string& public_key, const Actor& actor) {
  std::string member;
  Status status = InTransaction(*db_, [&]() -> Status {
    Result<AgentRecord> agent = KnownAgent(agent_id);
    if (!agent.ok()) return agent.status();
    if (agent->status != "active") {
      return Status::Error("conflict", "agent " + agent_id +
                                           " is revoked and stays so; enrol a new one with: "
                                           "muster agent enroll " +
                                           agent->member_id + " --out BUNDLE");
    }
    SQLite::Statement update(*db_, "UPDATE agents SET public_key=? WHERE id=?");
    update.bind(1, public_key);
    update.bind(2, agent_id);
    update.exec();
    MUSTER_RETURN_IF_ERROR(Audit({actor, "agent.rotate", agent_id,
                                  {{"member", agent->member_id},
                                   {"old_key", KeyFingerprint(agent->public_key)},
                                   {"new_key", KeyFingerprint(public_key)}}}));
    member = agent->member_id;
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return member;
}

namespace {
std::optional<AgentRecord> ReadAgent(SQLite::Statement& query) {
  if (!query.executeStep()) return std::nullopt;
  return AgentRecord{query.getColumn(0).getString(), query.getColumn(1).getString(),
                     query.getColumn(2).getString(), query.getColumn(3).getString()};
}
}  // namespace

Result<std::optional<AgentRecord>> HqStore::FindAgentByKey(const std::string& public_key) {
  std::optional<AgentRecord> agent;
  Status status = Guarded([&]() -> Status {
    auto query =
        statements_.Get("SELECT id, member_id, public_key, status FROM agents WHERE public_key=?");
    query->bind(1, public_key);
    agent = ReadAgent(*query);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return agent;
}

Result<std::optional<AgentRecord>> HqStore::FindAgent(const std::string& agent_id) {
  std::optional<AgentRecord> agent;
  Status status = Guarded([&]() -> Status {
    auto query = statements_.Get("SELECT id, member_id, public_key, status FROM agents WHERE id=?");
    query->bind(1, agent_id);
    agent = ReadAgent(*query);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return agent;
}

Result<std::shared_ptr<const playbook::Playbook>> HqStore::PlaybookByHash(
    const std::string& hash) {
  auto cached = playbooks_.find(hash);
  if (cached != playbooks_.end()) return cached->second;
  std::string source;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_, "SELECT source FROM playbooks WHERE hash=?");
    query.bind(1, hash);
    if (!query.executeStep()) return Status::Error("not_found", "no playbook with hash " + hash);
    source = query.getColumn(0).getString();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  playbook::LoadResult loaded = playbook::LoadText(source, "playbook " + hash.substr(0, 12),
                                                   playbook::PublishedSourceOptions());
  if (!loaded.ok() || loaded.playbook->content_hash != hash) {
    return Status::Error("invalid_playbook",
                         "the stored playbook " + hash + " no longer loads or matches its hash");
  }
  auto parsed = std::make_shared<const playbook::Playbook>(std::move(*loaded.playbook));
  playbooks_[hash] = parsed;
  return std::shared_ptr<const playbook::Playbook>(parsed);
}

Result<json> HqStore::PublishPlaybook(const std::string& source, const std::string& file,
                                      const Actor& actor) {
  playbook::LoadResult loaded = playbook::LoadText(source, file.empty() ? "playbook" : file);
  if (!loaded.ok()) {
    std::string text;
    for (const auto& diagnostic : loaded.diagnostics) {
      if (diagnostic.severity == playbook::Severity::kError) text += diagnostic.ToString() + "\n";
    }
    return Status::Error("invalid_playbook", "the playbook does not pass lint:\n" + text);
  }
  const playbook::Playbook& book = *loaded.playbook;
  if (book.source.size() > protocol::kMaxEntryBytes) {
    return Status::Error("invalid_playbook",
                         "the playbook with its libraries is " +
                             std::to_string(book.source.size()) +
                             " bytes; agents accept at most " +
                             std::to_string(protocol::kMaxEntryBytes) + ": split it");
  }
  json published;
  Status status = InTransaction(*db_, [&]() -> Status {
    SQLite::Statement existing(*db_, "SELECT hash FROM playbooks WHERE id=? AND version=?");
    existing.bind(1, book.id);
    existing.bind(2, book.version);
    if (existing.executeStep()) {
      if (existing.getColumn(0).getString() != book.content_hash) {
        return Status::Error(
            "conflict", "playbook " + book.id + " version " + book.version +
                            " is already published with other content (hash " +
                            existing.getColumn(0).getString().substr(0, 12) +
                            "); published versions are immutable: raise the version");
      }
    } else {
      SQLite::Statement insert(*db_,
                               "INSERT INTO playbooks(id, version, hash, title, source, "
                               "published_at) VALUES(?,?,?,?,?,?)");
      insert.bind(1, book.id);
      insert.bind(2, book.version);
      insert.bind(3, book.content_hash);
      insert.bind(4, book.title);
      insert.bind(5, book.source);
      insert.bind(6, static_cast<std::int64_t>(clock_.Now()));
      insert.exec();
      MUSTER_RETURN_IF_ERROR(Audit({actor, "playbook.publish", book.id + "@" + book.version,
                                    {{"hash", book.content_hash}, {"file", file}}}));
    }
    published = {{"id", book.id},
                 {"version", book.version},
                 {"hash", book.content_hash},
                 {"title", book.title}};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return published;
}

}  // namespace muster::hq
