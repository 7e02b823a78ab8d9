// Checks that several of HQ's classes make before they act on an id an officer typed.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <string>

#include "muster/result.h"

namespace muster::hq {

// Ok when the incident exists; otherwise not_found, naming how to list them.
inline Status RequireIncident(SQLite::Database& db, const std::string& incident_id) {
  SQLite::Statement exists(db, "SELECT 1 FROM incidents WHERE id=?");
  exists.bind(1, incident_id);
  if (exists.executeStep()) return Status::Ok();
  return Status::Error(ErrorCode::kNotFound,
                       "no incident '" + incident_id + "'; list them with: muster incident list");
}

// Whether the incident was opened as an exercise (false for an unknown one).
inline bool IsExercise(SQLite::Database& db, const std::string& incident_id) {
  SQLite::Statement query(db, "SELECT exercise FROM incidents WHERE id=?");
  query.bind(1, incident_id);
  return query.executeStep() && query.getColumn(0).getInt() != 0;
}

}  // namespace muster::hq
