#include "audit_commands.h"

#include <SQLiteCpp/Database.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <iostream>

#include "cli_support.h"
#include "muster/clock.h"
#include "muster/sqlite_store.h"
#include "table.h"

namespace muster::console {
namespace {

// Runs |body| on |db_path| opened read-only: a verification never changes what it checks.
Result<json> WithStoreFile(const std::string& db_path,
                           const std::function<Result<json>(SQLite::Database&)>& body) {
  std::unique_ptr<SQLite::Database> db;
  Status opened = Guarded([&]() -> Status {
    db = std::make_unique<SQLite::Database>(db_path, SQLite::OPEN_READONLY);
    db->setBusyTimeout(5000);
    return Status::Ok();
  });
  if (!opened.ok()) {
    return Status::Error(ErrorCode::kNotFound, "cannot open the store " + db_path + ": " +
                                                   opened.message() +
                                                   "; give the coordinator's DATA/muster.db");
  }
  return body(*db);
}

// --since: a duration back from now ("2h") or epoch milliseconds.
Result<Millis> ParseSince(const std::string& text) {
  if (text.empty()) return Millis{0};
  Millis value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc() && end == text.data() + text.size()) return value;
  const Millis back = ParseDuration(text);
  if (back <= 0) {
    return Status::Error(ErrorCode::kInvalidArgument, "--since '" + text +
                                                          "' is neither a duration such as 2h nor "
                                                          "epoch milliseconds");
  }
  return SystemClock().Now() - back;
}

std::string Cell(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

void PrintEntries(const json& entries, std::ostream& out) {
  if (entries.empty()) {
    out << "No audit entries match.\n";
    return;
  }
  Table table({"SEQ", "WHEN", "ACTOR", "ORIGIN", "ACTION", "SUBJECT", "DETAIL"});
  for (const json& entry : entries) {
    table.Add({Cell(entry["seq"]), FormatTimestamp(entry["at"].get<Millis>()),
               Cell(entry["actor"]), Cell(entry["origin"]), Cell(entry["action"]),
               Cell(entry["subject"]), entry["detail"].dump()});
  }
  table.Print(out);
}


std::string QueryString(const hq::AuditFilter& filter) {
  std::string query =
      "?limit=" + std::to_string(filter.limit) + "&since=" + std::to_string(filter.since);
  const std::pair<const char*, std::string> params[] = {
      {"actor", filter.actor}, {"action", filter.action}, {"subject", filter.subject}};
  for (const auto& [name, value] : params) {
    if (!value.empty()) query += std::string("&") + name + "=" + UrlEncode(value);
  }
  return query;
}

}  // namespace

Result<json> VerifyAuditFile(const std::string& db_path) {
  return WithStoreFile(db_path, [](SQLite::Database& db) -> Result<json> {
    Result<hq::AuditVerdict> verdict = hq::VerifyAudit(db);
    if (!verdict.ok()) return verdict.status();
    return hq::AuditVerdictJson(*verdict);
  });
}

Result<json> ShowAuditFile(const std::string& db_path, const hq::AuditFilter& filter) {
  return WithStoreFile(db_path,
                       [&](SQLite::Database& db) { return hq::QueryAudit(db, filter); });
}

int PrintAuditVerdict(const json& verdict, bool json_output, std::ostream& out) {
  const bool intact = verdict.value("intact", false);
  if (json_output) {
    out << verdict.dump(2) << "\n";
  } else if (intact) {
    out << "audit chain intact: " << verdict["entries"] << " entries, head "
        << verdict["head_hash"].get<std::string>() << "\n";
  } else {
    out << "audit chain BROKEN at entry " << verdict["broken_seq"] << ": "
        << verdict["problem"].get<std::string>() << " (" << verdict["entries"]
        << " entries before it verify)\n";
  }
  return intact ? 0 : 1;
}

void RegisterAuditCommands(CLI::App& app, Connector connect, const bool& json_output) {
  auto* audit = app.add_subcommand("audit", "HQ's hash-chained audit log");
  audit->require_subcommand(1);
  auto db_path = std::make_shared<std::string>();
  auto filter = std::make_shared<hq::AuditFilter>();
  auto since = std::make_shared<std::string>();

  auto* verify = audit->add_subcommand(
      "verify", "prove the chain intact, or name the first entry that is not");
  verify->add_option("--db", *db_path,
                     "check this store file directly (e.g. a copy of DATA/muster.db), "
                     "without the coordinator");
  verify->callback([connect, db_path, &json_output] {
    Result<json> verdict = json();
    if (!db_path->empty()) {
      verdict = VerifyAuditFile(*db_path);
    } else {
      auto api = connect();
      verdict = api.ok() ? api->Get("/v1/audit/verify") : Result<json>(api.status());
    }
    if (!verdict.ok()) Fail(json_output, verdict.status());
    const int code = PrintAuditVerdict(*verdict, json_output, std::cout);
    if (code != 0) throw CLI::RuntimeError(code);
  });

  auto* show = audit->add_subcommand("show", "list audit entries, oldest first");
  show->add_option("--actor", filter->actor, "only this operator or agent:ID");
  show->add_option("--action", filter->action,
                   "only this action (agent.revoke), or a family ending in '.' (agent.)");
  show->add_option("--subject", filter->subject, "only changes to this id");
  show->add_option("--since", *since, "a duration back from now (2h) or epoch milliseconds");
  show->add_option("--limit", filter->limit, "the newest N entries (default 100)")
      ->check(CLI::Range(1, 100'000));
  show->add_option("--db", *db_path, "read this store file directly, without the coordinator");
  show->callback([connect, db_path, filter, since, &json_output] {
    Result<Millis> from = ParseSince(*since);
    if (!from.ok()) Fail(json_output, from.status());
    filter->since = *from;
    Result<json> entries = json();
    if (!db_path->empty()) {
      entries = ShowAuditFile(*db_path, *filter);
    } else {
      auto api = connect();
      entries = api.ok() ? api->Get("/v1/audit" + QueryString(*filter))
                         : Result<json>(api.status());
    }
    if (!entries.ok()) Fail(json_output, entries.status());
    if (json_output) {
      std::cout << entries->dump(2) << "\n";
    } else {
      PrintEntries(*entries, std::cout);
    }
  });
}

}  // namespace muster::console
