// HQ's one SQLite file (DATA_DIR/muster.db, WAL), opened and migrated, with the cache of
// the statements run per record or per message, the clock and HQ's identity. Every class
// of HQ's core (service/headquarters.h) works over one HqDatabase.
//
// Threads: one HqDatabase per thread. The router, the API and the ZAP thread each open
// their own; SQLite serialises writers and WAL lets readers run beside them. Nothing here
// opens a transaction: the classes above it do (InTransaction in muster/sqlite_store.h).
#pragma once

#include <SQLiteCpp/Database.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "muster/clock.h"
#include "muster/result.h"
#include "muster/statement_cache.h"

namespace muster::hq {

using nlohmann::json;

class HqDatabase {
 public:
  // Opens or creates the file at |path| and migrates it (store/schema.h). |clock| must
  // outlive the database.
  static Result<std::unique_ptr<HqDatabase>> Open(const std::string& path, const Clock& clock);

  HqDatabase(const HqDatabase&) = delete;
  HqDatabase& operator=(const HqDatabase&) = delete;

  SQLite::Database& db() { return *db_; }
  StatementCache& statements() { return statements_; }
  const Clock& clock() const { return clock_; }
  // A random id made when the file was created; agents use it to tell two HQs apart.
  const std::string& hq_id() const { return hq_id_; }

 private:
  HqDatabase(std::unique_ptr<SQLite::Database> db, const Clock& clock, std::string hq_id);

  std::unique_ptr<SQLite::Database> db_;
  StatementCache statements_;
  const Clock& clock_;
  std::string hq_id_;
};

// The base of every class of HQ's core: the connection, its statement cache and the clock,
// borrowed from one HqDatabase that outlives it.
class OverDatabase {
 protected:
  explicit OverDatabase(HqDatabase& database)
      : db_(&database.db()), statements_(database.statements()), clock_(database.clock()) {}

  SQLite::Database* db_;
  StatementCache& statements_;
  const Clock& clock_;
};

}  // namespace muster::hq
