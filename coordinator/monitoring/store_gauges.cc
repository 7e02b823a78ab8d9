#include "monitoring/store_gauges.h"

#include <SQLiteCpp/Statement.h>

#include "muster/sqlite_store.h"

namespace muster::hq {
namespace {

std::map<std::string, std::uint64_t> CountsBy(SQLite::Database& db, const char* sql) {
  std::map<std::string, std::uint64_t> counts;
  SQLite::Statement query(db, sql);
  while (query.executeStep()) {
    counts[query.getColumn(0).getString()] =
        static_cast<std::uint64_t>(query.getColumn(1).getInt64());
  }
  return counts;
}

}  // namespace

Result<StoreGauges> StoreGaugeReader::Read() {
  StoreGauges gauges;
  Status read = Guarded([&]() -> Status {
    // An exercise's alerts are counted apart, so that a drill never pages anyone.
    // (An alert filed under no incident, such as a safety alert from a member deployed
    // nowhere, is real.)
    gauges.alerts_open = CountsBy(
        *db_, "SELECT a.severity, COUNT(*) FROM alerts a LEFT JOIN incidents i ON "
              "i.id=a.incident_id WHERE a.acked_at IS NULL AND COALESCE(i.exercise, 0)=0 "
              "GROUP BY a.severity");
    gauges.exercise_alerts_open = CountsBy(
        *db_, "SELECT a.severity, COUNT(*) FROM alerts a JOIN incidents i ON i.id=a.incident_id "
              "WHERE a.acked_at IS NULL AND i.exercise=1 GROUP BY a.severity");
    gauges.agents = CountsBy(*db_, "SELECT status, COUNT(*) FROM agents GROUP BY status");
    SQLite::Statement pending(*db_,
                              "SELECT COALESCE(SUM(MAX(next_delivery - 1 - applied, 0)), 0) "
                              "FROM agents WHERE status='active'");
    pending.executeStep();
    gauges.deliveries_pending = static_cast<std::uint64_t>(pending.getColumn(0).getInt64());
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return gauges;
}

}  // namespace muster::hq
