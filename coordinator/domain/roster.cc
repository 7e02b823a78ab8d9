#include "domain/roster.h"

#include <SQLiteCpp/Statement.h>

#include <regex>

#include "domain/change_note.h"
#include "muster/sqlite_store.h"
#include "muster/text_limits.h"
#include "store/columns.h"

namespace muster::hq {
namespace {

bool IsSlug(const std::string& id) {
  static const std::regex kSlug("^[a-z0-9][a-z0-9_-]{0,62}$");
  return std::regex_match(id, kSlug);
}

Status CheckCheckinInterval(Millis interval) {
  if (interval > 0) return Status::Ok();
  return Status::Error(ErrorCode::kInvalidArgument, "the check-in interval must be positive");
}

}  // namespace

Result<json> Roster::Add(const MemberInput& input, const Actor& actor) {
  if (!IsSlug(input.id)) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "member id '" + input.id +
                             "' must be lowercase letters, digits, '-' or '_' (e.g. 'alice')");
  }
  MUSTER_RETURN_IF_ERROR(CheckCheckinInterval(input.checkin_interval_ms));
  MUSTER_RETURN_IF_ERROR(limits::CheckLength("the name", input.name, limits::kShort));
  MUSTER_RETURN_IF_ERROR(limits::CheckLength("the contact", input.contact, limits::kShort));
  Status status = InTransaction(*db_, [&]() -> Status {
    SQLite::Statement exists(*db_, "SELECT 1 FROM members WHERE id=?");
    exists.bind(1, input.id);
    if (exists.executeStep()) {
      return Status::Error(ErrorCode::kConflict, "member " + input.id + " already exists");
    }
    SQLite::Statement insert(*db_,
                             "INSERT INTO members(id, name, roles, qualifications, contact, "
                             "checkin_interval_ms, created_at) VALUES(?,?,?,?,?,?,?)");
    insert.bind(1, input.id);
    insert.bind(2, input.name.empty() ? input.id : input.name);
    insert.bind(3, json(input.roles).dump());
    insert.bind(4, json(input.qualifications).dump());
    insert.bind(5, input.contact);
    insert.bind(6, static_cast<std::int64_t>(input.checkin_interval_ms));
    insert.bind(7, static_cast<std::int64_t>(clock_.Now()));
    insert.exec();
    return audit_.Record({actor, "member.create", input.id, {{"roles", input.roles}}});
  });
  if (!status.ok()) return status;
  return json{{"id", input.id},           {"name", input.name.empty() ? input.id : input.name},
              {"roles", input.roles},     {"qualifications", input.qualifications},
              {"contact", input.contact}, {"checkin_interval_ms", input.checkin_interval_ms}};
}

Result<json> Roster::List() {
  json list = json::array();
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(
        *db_,
        "SELECT m.id, m.name, m.roles, m.qualifications, m.contact, m.checkin_interval_ms, "
        "(SELECT MAX(last_contact_at) FROM agents a WHERE a.member_id=m.id) "
        "FROM members m ORDER BY m.id");
    while (query.executeStep()) {
      list.push_back({{"id", query.getColumn(0).getString()},
                      {"name", query.getColumn(1).getString()},
                      {"roles", ParseJsonColumn(query.getColumn(2))},
                      {"qualifications", ParseJsonColumn(query.getColumn(3))},
                      {"contact", query.getColumn(4).getString()},
                      {"checkin_interval_ms", query.getColumn(5).getInt64()},
                      {"last_contact_at", NullableInt(query.getColumn(6))}});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

Result<json> Roster::Update(const std::string& member_id, const MemberChange& change,
                            const Actor& actor) {
  if (change.name && change.name->empty()) {
    return Status::Error(ErrorCode::kInvalidArgument, "a member's name cannot be empty");
  }
  if (change.name) {
    MUSTER_RETURN_IF_ERROR(limits::CheckLength("the name", *change.name, limits::kShort));
  }
  if (change.contact) {
    MUSTER_RETURN_IF_ERROR(limits::CheckLength("the contact", *change.contact, limits::kShort));
  }
  if (change.checkin_interval_ms) {
    MUSTER_RETURN_IF_ERROR(CheckCheckinInterval(*change.checkin_interval_ms));
  }
  json after;
  Status status = InTransaction(*db_, [&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT name, roles, qualifications, contact, checkin_interval_ms "
                            "FROM members WHERE id=?");
    query.bind(1, member_id);
    if (!query.executeStep()) {
      return Status::Error(ErrorCode::kNotFound,
                           "no member '" + member_id + "'; list them with: muster member list");
    }
    const json before = {{"name", query.getColumn(0).getString()},
                         {"roles", ParseJsonColumn(query.getColumn(1))},
                         {"qualifications", ParseJsonColumn(query.getColumn(2))},
                         {"contact", query.getColumn(3).getString()},
                         {"checkin_interval_ms", query.getColumn(4).getInt64()}};
    query.reset();
    after = before;
    if (change.name) after["name"] = *change.name;
    if (change.roles) after["roles"] = *change.roles;
    if (change.qualifications) after["qualifications"] = *change.qualifications;
    if (change.contact) after["contact"] = *change.contact;
    if (change.checkin_interval_ms) after["checkin_interval_ms"] = *change.checkin_interval_ms;
    json changes = json::object();
    std::string summary;
    for (const char* field :
         {"name", "roles", "qualifications", "contact", "checkin_interval_ms"}) {
      NoteChange(field, before[field], after[field], changes, summary);
    }
    after["id"] = member_id;
    if (changes.empty()) return Status::Ok();
    SQLite::Statement update(*db_,
                             "UPDATE members SET name=?, roles=?, qualifications=?, contact=?, "
                             "checkin_interval_ms=? WHERE id=?");
    update.bind(1, after["name"].get<std::string>());
    update.bind(2, after["roles"].dump());
    update.bind(3, after["qualifications"].dump());
    update.bind(4, after["contact"].get<std::string>());
    update.bind(5, after["checkin_interval_ms"].get<std::int64_t>());
    update.bind(6, member_id);
    update.exec();
    return audit_.Record({actor, "member.update", member_id, changes});
  });
  if (!status.ok()) return status;
  return after;
}

}  // namespace muster::hq
