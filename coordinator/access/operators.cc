#include "access/operators.h"

#include <SQLiteCpp/Statement.h>

#include <regex>

#include "access/password.h"
#include "muster/sqlite_store.h"
#include "muster/text_limits.h"

namespace muster::hq {
namespace {

bool IsOperatorName(const std::string& name) {
  static const std::regex kName("^[a-z0-9][a-z0-9._-]{0,62}$");
  return std::regex_match(name, kName);
}

}  // namespace

Status Operators::RequireOperator(const std::string& name) {
  SQLite::Statement exists(*db_, "SELECT 1 FROM operators WHERE name=?");
  exists.bind(1, name);
  if (exists.executeStep()) return Status::Ok();
  return Status::Error(ErrorCode::kNotFound,
                       "no operator '" + name + "'; list them with: muster operator list");
}

int Operators::EndAllSessions(const std::string& name) {
  SQLite::Statement end(*db_,
                        "UPDATE operator_sessions SET ended_at=? WHERE operator=? AND "
                        "ended_at IS NULL AND expires_at>?");
  end.bind(1, static_cast<std::int64_t>(clock_.Now()));
  end.bind(2, name);
  end.bind(3, static_cast<std::int64_t>(clock_.Now()));
  return end.exec();
}

Result<json> Operators::Add(const OperatorInput& input, const Actor& actor) {
  if (!IsOperatorName(input.name)) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "operator name '" + input.name +
                             "' must be lowercase letters, digits, '.', '-' or '_' (e.g. "
                             "'dana' or 'd.weber')");
  }
  const std::optional<Role> role = ParseRole(input.role);
  if (!role) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "role '" + input.role + "' is not one of: " + RoleNames());
  }
  MUSTER_RETURN_IF_ERROR(
      limits::CheckLength("the display name", input.display_name, limits::kShort));
  MUSTER_RETURN_IF_ERROR(CheckPasswordPolicy(input.password));
  Result<std::string> hash = HashPassword(input.password);
  if (!hash.ok()) return hash.status();
  Status status = InTransaction(*db_, [&]() -> Status {
    if (RequireOperator(input.name).ok()) {
      return Status::Error(ErrorCode::kConflict, "operator " + input.name + " already exists");
    }
    SQLite::Statement insert(*db_,
                             "INSERT INTO operators(name, display_name, role, password_hash, "
                             "created_at, password_changed_at) VALUES(?,?,?,?,?,?)");
    insert.bind(1, input.name);
    insert.bind(2, input.display_name.empty() ? input.name : input.display_name);
    insert.bind(3, RoleName(*role));
    insert.bind(4, *hash);
    insert.bind(5, static_cast<std::int64_t>(clock_.Now()));
    insert.bind(6, static_cast<std::int64_t>(clock_.Now()));
    insert.exec();
    return audit_.Record({actor, "operator.create", input.name, {{"role", RoleName(*role)}}});
  });
  if (!status.ok()) return status;
  return Describe(input.name);
}

Result<json> Operators::List() {
  json list = json::array();
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT o.name, o.display_name, o.role, o.disabled, o.created_at, "
                            "o.password_changed_at, (SELECT COUNT(*) FROM operator_sessions s "
                            "WHERE s.operator=o.name AND s.ended_at IS NULL AND s.expires_at>?) "
                            "FROM operators o ORDER BY o.name");
    query.bind(1, static_cast<std::int64_t>(clock_.Now()));
    while (query.executeStep()) {
      list.push_back({{"name", query.getColumn(0).getString()},
                      {"display_name", query.getColumn(1).getString()},
                      {"role", query.getColumn(2).getString()},
                      {"disabled", query.getColumn(3).getInt() != 0},
                      {"created_at", query.getColumn(4).getInt64()},
                      {"password_changed_at", query.getColumn(5).getInt64()},
                      {"sessions", query.getColumn(6).getInt()}});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

Result<json> Operators::Describe(const std::string& name) {
  Result<json> all = List();
  if (!all.ok()) return all;
  for (const json& account : *all) {
    if (account["name"] == name) return account;
  }
  return RequireOperator(name);
}

Result<json> Operators::SetDisabled(const std::string& name, bool disabled, const Actor& actor) {
  Status status = InTransaction(*db_, [&]() -> Status {
    MUSTER_RETURN_IF_ERROR(RequireOperator(name));
    if (disabled) {
      SQLite::Statement others(*db_,
                               "SELECT COUNT(*) FROM operators WHERE role='administrator' AND "
                               "disabled=0 AND name<>?");
      SQLite::Statement self(*db_,
                             "SELECT role='administrator' AND disabled=0 FROM operators "
                             "WHERE name=?");
      others.bind(1, name);
      self.bind(1, name);
      others.executeStep();
      self.executeStep();
      if (self.getColumn(0).getInt() != 0 && others.getColumn(0).getInt() == 0) {
        return Status::Error(ErrorCode::kConflict,
                             name +
                                 " is the last enabled administrator; add another "
                                 "(muster operator add NAME --role administrator) first");
      }
    }
    SQLite::Statement update(*db_, "UPDATE operators SET disabled=? WHERE name=?");
    update.bind(1, disabled ? 1 : 0);
    update.bind(2, name);
    update.exec();
    const int ended = disabled ? EndAllSessions(name) : 0;
    return audit_.Record({actor,
                          disabled ? "operator.disable" : "operator.enable",
                          name,
                          {{"sessions_ended", ended}}});
  });
  if (!status.ok()) return status;
  return Describe(name);
}

Result<json> Operators::ResetPassword(const std::string& name, const std::string& password,
                                      const Actor& actor) {
  MUSTER_RETURN_IF_ERROR(CheckPasswordPolicy(password));
  Result<std::string> hash = HashPassword(password);
  if (!hash.ok()) return hash.status();
  Status status = InTransaction(*db_, [&]() -> Status {
    MUSTER_RETURN_IF_ERROR(RequireOperator(name));
    SQLite::Statement update(
        *db_, "UPDATE operators SET password_hash=?, password_changed_at=? WHERE name=?");
    update.bind(1, *hash);
    update.bind(2, static_cast<std::int64_t>(clock_.Now()));
    update.bind(3, name);
    update.exec();
    return audit_.Record(
        {actor, "operator.reset", name, {{"sessions_ended", EndAllSessions(name)}}});
  });
  if (!status.ok()) return status;
  return Describe(name);
}

Result<json> Operators::EndSessions(const std::string& name, const Actor& actor) {
  Status status = InTransaction(*db_, [&]() -> Status {
    MUSTER_RETURN_IF_ERROR(RequireOperator(name));
    return audit_.Record(
        {actor, "operator.end_sessions", name, {{"sessions_ended", EndAllSessions(name)}}});
  });
  if (!status.ok()) return status;
  return Describe(name);
}

Result<std::optional<OperatorAccount>> Operators::Find(const std::string& name) {
  std::optional<OperatorAccount> account;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT role, password_hash, disabled FROM operators WHERE name=?");
    query.bind(1, name);
    if (query.executeStep()) {
      account =
          OperatorAccount{name, ParseRole(query.getColumn(0).getString()).value_or(Role::kViewer),
                          query.getColumn(1).getString(), query.getColumn(2).getInt() != 0};
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return account;
}

}  // namespace muster::hq
