// Prepared statements kept per connection, so that a statement run once per record is
// parsed and planned once per process rather than once per record (profiling the ingest
// path showed SQL preparation as its largest single cost).
//
// Get() hands out a Lease: the statement, reset with no bindings when the lease ends, so
// that no statement stays active past its scope (an active statement would hold an open
// read snapshot on the connection). A statement already leased (the same SQL used again
// while its first use is still running, as in a nested call) is prepared afresh for the
// second lease and dropped after it.
//
// Thread-safety: like the connection it belongs to, one thread at a time.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <memory>
#include <string>
#include <unordered_map>

namespace muster {

class StatementCache {
 public:
  class Lease {
   public:
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease(Lease&& other) noexcept;
    ~Lease();
    SQLite::Statement* operator->() { return statement_; }
    SQLite::Statement& operator*() { return *statement_; }

   private:
    friend class StatementCache;
    Lease(SQLite::Statement* statement, bool* in_use, std::unique_ptr<SQLite::Statement> owned);
    SQLite::Statement* statement_;
    bool* in_use_;  // the cached entry's flag; null for a fresh statement
    std::unique_ptr<SQLite::Statement> owned_;
  };

  explicit StatementCache(SQLite::Database& db) : db_(db) {}

  // The prepared statement for |sql|; throws SQLite::Exception as preparing does.
  Lease Get(const std::string& sql);

 private:
  struct Entry {
    std::unique_ptr<SQLite::Statement> statement;
    bool in_use = false;
  };
  SQLite::Database& db_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace muster
