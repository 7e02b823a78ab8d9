#include "domain/timeline.h"

#include <SQLiteCpp/Statement.h>

#include "muster/sqlite_store.h"
#include "store/lookups.h"

namespace muster::hq {
namespace {

json EventFromRow(SQLite::Statement& row) {
  return {{"id", row.getColumn(0).getInt64()},     {"incident", row.getColumn(1).getString()},
          {"at", row.getColumn(2).getInt64()},     {"kind", row.getColumn(3).getString()},
          {"actor", row.getColumn(4).getString()}, {"text", row.getColumn(5).getString()}};
}

}  // namespace

Result<json> Timeline::OfIncident(const std::string& incident_id) {
  json list = json::array();
  Status status = Guarded([&]() -> Status {
    MUSTER_RETURN_IF_ERROR(RequireIncident(*db_, incident_id));
    SQLite::Statement query(*db_,
                            "SELECT id, incident_id, at, kind, actor, text FROM timeline WHERE "
                            "incident_id=? ORDER BY at, id");
    query.bind(1, incident_id);
    while (query.executeStep()) list.push_back(EventFromRow(query));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

Result<json> Timeline::Events(std::int64_t after, const std::string& incident_id, int limit) {
  json list = json::array();
  Status status = Guarded([&]() -> Status {
    if (!incident_id.empty()) MUSTER_RETURN_IF_ERROR(RequireIncident(*db_, incident_id));
    // A negative |after| asks for the newest entries: the last -after of them.
    SQLite::Statement query(
        *db_, after < 0 ? "SELECT * FROM (SELECT id, incident_id, at, kind, actor, text FROM "
                          "timeline WHERE (?1='' OR incident_id=?1) ORDER BY id DESC LIMIT ?3) "
                          "ORDER BY id"
                        : "SELECT id, incident_id, at, kind, actor, text FROM timeline WHERE "
                          "(?1='' OR incident_id=?1) AND id > ?2 ORDER BY id LIMIT ?3");
    query.bind(1, incident_id);
    query.bind(2, after);
    query.bind(3, after < 0 ? static_cast<int>(-after) : limit);
    while (query.executeStep()) list.push_back(EventFromRow(query));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

Status Timeline::Append(const std::string& incident_id, const std::string& kind,
                        const std::string& actor, const std::string& text,
                        const std::optional<RecordStamp>& from) {
  auto insert = statements_.Get(
      "INSERT INTO timeline(incident_id, at, kind, actor, text, agent_id, seq) "
      "VALUES(?,?,?,?,?,?,?)");
  insert->bind(1, incident_id);
  insert->bind(2, static_cast<std::int64_t>(from ? from->at : clock_.Now()));
  insert->bind(3, kind);
  insert->bind(4, actor);
  insert->bind(5, text);
  if (from) {
    insert->bind(6, from->agent_id);
    insert->bind(7, static_cast<std::int64_t>(from->seq));
  } else {
    insert->bind(6);
    insert->bind(7);
  }
  insert->exec();
  return Status::Ok();
}

}  // namespace muster::hq
