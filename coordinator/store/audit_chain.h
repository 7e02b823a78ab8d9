// The HQ audit log: an append-only, hash-chained table (schema v3). Each entry's hash is
// SHA-256 over a canonical encoding of its fields and the previous entry's hash, so that
// editing, removing or reordering any entry breaks the chain from that entry on.
//
// These functions work on an open database and take no locks of their own: append inside
// the caller's transaction (AuditTrail::Record does), so that an entry exists exactly when
// the change it describes was committed. The console links this unit alone to verify a
// copy of the store offline.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "muster/clock.h"
#include "muster/result.h"
#include "muster/statement_cache.h"

namespace muster::hq {

// Who changed something and from where. |name| is the logged-in operator (or
// "break-glass", "server"), or "agent:ID"; |origin| is "api 127.0.0.1:51234" or
// "agent:ID@10.0.0.5". Converts from a plain name, for callers that have only that.
struct Actor {
  std::string name = "console";
  std::string origin = "local";
  Actor() = default;
  Actor(std::string actor_name, std::string actor_origin = "local")  // NOLINT: implicit
      : name(std::move(actor_name)), origin(std::move(actor_origin)) {}
  Actor(const char* actor_name) : name(actor_name) {}  // NOLINT: implicit
};

// One change to record. |action| is a dotted verb ("incident.create", "agent.revoke",
// "records.ingest", "record.refused"); |subject| what it changed ("INC-0001", "amira-1").
struct AuditEntry {
  Actor actor;
  std::string action;
  std::string subject;
  nlohmann::json detail = nlohmann::json::object();
};

// The 64-hex-digit hash that precedes the first entry.
extern const char* const kAuditGenesis;

// The entry's hash: SHA-256 (hex) over a length-prefixed encoding of seq, at, actor,
// origin, action, subject, detail (as stored) and prev_hash.
std::string AuditHash(std::int64_t seq, std::int64_t at, const std::string& actor,
                      const std::string& origin, const std::string& action,
                      const std::string& subject, const std::string& detail,
                      const std::string& prev_hash);

// Appends |entry| at time |now| after the current head. Call inside a transaction.
Status AppendAudit(StatementCache& statements, Millis now, const AuditEntry& entry);

// The result of walking the chain from the first entry.
struct AuditVerdict {
  std::int64_t entries = 0;                // entries checked
  std::string head_hash;                   // the last entry's hash (kAuditGenesis when empty)
  std::optional<std::int64_t> broken_seq;  // the first entry that does not verify
  std::string problem;                     // what is wrong with it, for people
  bool intact() const { return !broken_seq.has_value(); }
};
Result<AuditVerdict> VerifyAudit(SQLite::Database& db);
// {"intact", "entries", "head_hash", "broken_seq" (null when intact), "problem"}.
nlohmann::json AuditVerdictJson(const AuditVerdict& verdict);

struct AuditFilter {
  std::string actor;
  std::string action;  // exact, or a prefix ending in '.' ("agent.")
  std::string subject;
  Millis since = 0;  // entries at or after this time
  int limit = 100;   // the newest |limit| entries, oldest first
};
// Entries matching |filter| as a JSON array of objects.
Result<nlohmann::json> QueryAudit(SQLite::Database& db, const AuditFilter& filter);

}  // namespace muster::hq
