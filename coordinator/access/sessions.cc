#include "access/sessions.h"

#include <SQLiteCpp/Statement.h>

#include "muster/digest.h"
#include "muster/sqlite_store.h"

namespace muster::hq {
namespace {

constexpr const char* kTokenPrefix = "mst_";
constexpr Millis kKeepEnded = 7LL * 24 * 3600 * 1000;

}  // namespace

Result<IssuedSession> Sessions::Issue(const std::string& name, Role role, const std::string& client,
                                      Millis lifetime, const Actor& actor) {
  IssuedSession issued;
  issued.token = kTokenPrefix + RandomHex(32);
  issued.session.operator_name = name;
  issued.session.role = role;
  issued.session.client = client;
  issued.session.csrf = RandomHex(32);
  issued.session.expires_at = clock_.Now() + lifetime;
  Status status = InTransaction(*db_, [&]() -> Status {
    SQLite::Statement prune(*db_,
                            "DELETE FROM operator_sessions WHERE COALESCE(ended_at, "
                            "expires_at) < ?");
    prune.bind(1, static_cast<std::int64_t>(clock_.Now() - kKeepEnded));
    prune.exec();
    SQLite::Statement insert(*db_,
                             "INSERT INTO operator_sessions(token_hash, operator, client, csrf, "
                             "created_at, expires_at) VALUES(?,?,?,?,?,?)");
    insert.bind(1, Sha256Hex(issued.token));
    insert.bind(2, name);
    insert.bind(3, client);
    insert.bind(4, issued.session.csrf);
    insert.bind(5, static_cast<std::int64_t>(clock_.Now()));
    insert.bind(6, static_cast<std::int64_t>(issued.session.expires_at));
    insert.exec();
    issued.session.id = db_->getLastInsertRowid();
    return audit_.Record({actor,
                          "operator.login",
                          name,
                          {{"client", client},
                           {"session", issued.session.id},
                           {"expires_at", issued.session.expires_at}}});
  });
  if (!status.ok()) return status;
  return issued;
}

Result<std::optional<Session>> Sessions::Resolve(const std::string& token) {
  std::optional<Session> session;
  if (token.rfind(kTokenPrefix, 0) != 0) return session;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT s.id, s.operator, o.role, s.client, s.csrf, s.expires_at "
                            "FROM operator_sessions s JOIN operators o ON o.name=s.operator "
                            "WHERE s.token_hash=? AND s.ended_at IS NULL AND s.expires_at>? "
                            "AND o.disabled=0");
    query.bind(1, Sha256Hex(token));
    query.bind(2, static_cast<std::int64_t>(clock_.Now()));
    if (query.executeStep()) {
      session = Session{query.getColumn(0).getInt64(),
                        query.getColumn(1).getString(),
                        ParseRole(query.getColumn(2).getString()).value_or(Role::kViewer),
                        query.getColumn(3).getString(),
                        query.getColumn(4).getString(),
                        query.getColumn(5).getInt64()};
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return session;
}

Status Sessions::End(std::int64_t session_id, const Actor& actor) {
  return InTransaction(*db_, [&]() -> Status {
    SQLite::Statement end(*db_,
                          "UPDATE operator_sessions SET ended_at=? WHERE id=? AND ended_at IS "
                          "NULL");
    end.bind(1, static_cast<std::int64_t>(clock_.Now()));
    end.bind(2, static_cast<std::int64_t>(session_id));
    if (end.exec() == 0) {
      return Status::Error(ErrorCode::kNotFound, "that session has already ended");
    }
    return audit_.Record({actor,
                          "operator.logout",
                          actor.name,
                          {{"session", static_cast<std::int64_t>(session_id)}}});
  });
}

}  // namespace muster::hq
