#include "store/audit_chain.h"

#include <SQLiteCpp/Statement.h>
#include <sodium.h>

#include "muster/sqlite_store.h"

namespace muster::hq {

const char* const kAuditGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

namespace {

// Netstring-like: "LENGTH:BYTES;" per field, so that no choice of field contents can make
// two different rows encode alike.
void AppendField(std::string& out, const std::string& field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ';';
}

}  // namespace

std::string AuditHash(std::int64_t seq, std::int64_t at, const std::string& actor,
                      const std::string& origin, const std::string& action,
                      const std::string& subject, const std::string& detail,
                      const std::string& prev_hash) {
  std::string encoded = "muster-audit-v1;";
  for (const std::string& field : {std::to_string(seq), std::to_string(at), actor, origin, action,
                                   subject, detail, prev_hash}) {
    AppendField(encoded, field);
  }
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(encoded.data()),
                     encoded.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

Status AppendAudit(StatementCache& statements, Millis now, const AuditEntry& entry) {
  return Guarded([&]() -> Status {
    std::int64_t seq = 1;
    std::string prev_hash = kAuditGenesis;
    {
      auto head = statements.Get("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
      if (head->executeStep()) {
        seq = head->getColumn(0).getInt64() + 1;
        prev_hash = head->getColumn(1).getString();
      }
    }
    const std::string detail = entry.detail.dump();
    auto insert = statements.Get(
        "INSERT INTO audit(seq, at, actor, origin, action, subject, detail, prev_hash, hash) "
        "VALUES(?,?,?,?,?,?,?,?,?)");
    insert->bind(1, seq);
    insert->bind(2, static_cast<std::int64_t>(now));
    insert->bind(3, entry.actor.name);
    insert->bind(4, entry.actor.origin);
    insert->bind(5, entry.action);
    insert->bind(6, entry.subject);
    insert->bind(7, detail);
    insert->bind(8, prev_hash);
    insert->bind(9, AuditHash(seq, now, entry.actor.name, entry.actor.origin, entry.action,
                              entry.subject, detail, prev_hash));
    insert->exec();
    return Status::Ok();
  });
}

Result<AuditVerdict> VerifyAudit(SQLite::Database& db) {
  AuditVerdict verdict;
  verdict.head_hash = kAuditGenesis;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement rows(db,
                           "SELECT seq, at, actor, origin, action, subject, detail, prev_hash, "
                           "hash FROM audit ORDER BY seq");
    std::int64_t expected_seq = 1;
    while (rows.executeStep()) {
      const std::int64_t seq = rows.getColumn(0).getInt64();
      const std::string prev_hash = rows.getColumn(7).getString();
      const std::string hash = rows.getColumn(8).getString();
      auto broken = [&](std::int64_t at_seq, std::string problem) {
        verdict.broken_seq = at_seq;
        verdict.problem = std::move(problem);
        return Status::Ok();
      };
      if (seq != expected_seq) {
        return broken(expected_seq, "entry " + std::to_string(expected_seq) +
                                        " is missing (the next entry is " + std::to_string(seq) +
                                        "): entries were deleted");
      }
      if (prev_hash != verdict.head_hash) {
        return broken(seq, "entry " + std::to_string(seq) +
                               " does not follow the hash of the entry before it: an entry "
                               "was removed, inserted or reordered");
      }
      const std::string recomputed =
          AuditHash(seq, rows.getColumn(1).getInt64(), rows.getColumn(2).getString(),
                    rows.getColumn(3).getString(), rows.getColumn(4).getString(),
                    rows.getColumn(5).getString(), rows.getColumn(6).getString(), prev_hash);
      if (recomputed != hash) {
        return broken(seq, "entry " + std::to_string(seq) +
                               " does not match its hash: its content was edited after it "
                               "was written");
      }
      verdict.head_hash = hash;
      ++verdict.entries;
      ++expected_seq;
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return verdict;
}

nlohmann::json AuditVerdictJson(const AuditVerdict& verdict) {
  return {
      {"intact", verdict.intact()},
      {"entries", verdict.entries},
      {"head_hash", verdict.head_hash},
      {"broken_seq", verdict.broken_seq ? nlohmann::json(*verdict.broken_seq) : nlohmann::json()},
      {"problem", verdict.problem}};
}

Result<nlohmann::json> QueryAudit(SQLite::Database& db, const AuditFilter& filter) {
  nlohmann::json entries = nlohmann::json::array();
  Status status = Guarded([&]() -> Status {
    std::string sql =
        "SELECT seq, at, actor, origin, action, subject, detail, hash FROM audit WHERE at >= ?";
    if (!filter.actor.empty()) sql += " AND actor = ?";
    if (!filter.action.empty() && filter.action.back() == '.') {
      sql += " AND substr(action, 1, ?) = ?";
    } else if (!filter.action.empty()) {
      sql += " AND action = ?";
    }
    if (!filter.subject.empty()) sql += " AND subject = ?";
    sql += " ORDER BY seq DESC LIMIT ?";
    SQLite::Statement query(db, "SELECT * FROM (" + sql + ") ORDER BY seq");
    int index = 1;
    query.bind(index++, static_cast<std::int64_t>(filter.since));
    if (!filter.actor.empty()) query.bind(index++, filter.actor);
    if (!filter.action.empty() && filter.action.back() == '.') {
      query.bind(index++, static_cast<int>(filter.action.size()));
    }
    if (!filter.action.empty()) query.bind(index++, filter.action);
    if (!filter.subject.empty()) query.bind(index++, filter.subject);
    query.bind(index, filter.limit > 0 ? filter.limit : 100);
    while (query.executeStep()) {
      nlohmann::json detail = nlohmann::json::parse(query.getColumn(6).getString(), nullptr, false);
      entries.push_back({{"seq", query.getColumn(0).getInt64()},
                         {"at", query.getColumn(1).getInt64()},
                         {"actor", query.getColumn(2).getString()},
                         {"origin", query.getColumn(3).getString()},
                         {"action", query.getColumn(4).getString()},
                         {"subject", query.getColumn(5).getString()},
                         {"detail", detail.is_discarded() ? nlohmann::json() : detail},
                         {"hash", query.getColumn(7).getString()}});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return entries;
}

}  // namespace muster::hq
