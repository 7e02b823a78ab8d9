// What the classes over the agent's one SQLite connection (AgentStore, Outbox) share:
// the meta table, a key-value list of the store's identity, cursors and link state, and
// reading a nullable time column. Call inside Guarded() or InTransaction()
// (core/sqlite_store.h): these throw SQLite's exceptions.
#pragma once

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Database.h>

#include <optional>
#include <string>

#include "muster/clock.h"

namespace muster::agent {

// The value of |key| in the meta table, or |fallback| when it has none.
std::string Meta(SQLite::Database& db, const std::string& key, const std::string& fallback);
void SetMeta(SQLite::Database& db, const std::string& key, const std::string& value);

// A time column that may be NULL (not sent yet, not acknowledged yet, no due time).
std::optional<Millis> OptionalMillis(const SQLite::Column& column);

}  // namespace muster::agent
