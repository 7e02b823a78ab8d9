#include "store_sql.h"

#include <SQLiteCpp/Statement.h>

namespace muster::agent {

std::string Meta(SQLite::Database& db, const std::string& key, const std::string& fallback) {
  SQLite::Statement query(db, "SELECT value FROM meta WHERE key=?");
  query.bind(1, key);
  return query.executeStep() ? query.getColumn(0).getString() : fallback;
}

void SetMeta(SQLite::Database& db, const std::string& key, const std::string& value) {
  SQLite::Statement upsert(db,
                           "INSERT INTO meta(key, value) VALUES(?,?) ON CONFLICT(key) DO UPDATE "
                           "SET value=excluded.value");
  upsert.bind(1, key);
  upsert.bind(2, value);
  upsert.exec();
}

std::optional<Millis> OptionalMillis(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getInt64();
}

}  // namespace muster::agent
