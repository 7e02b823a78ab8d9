#include "domain/playbook_authors.h"

#include <SQLiteCpp/Statement.h>

#include "muster/sqlite_store.h"
#include "store/columns.h"

namespace muster::hq {

Result<json> PlaybookAuthors::Add(const std::string& name, const std::string& public_key,
                                  const Actor& actor) {
  if (name.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument, "an author needs a name");
  }
  Result<std::string> key_id = playbook::KeyIdOf(public_key);
  if (!key_id.ok()) return key_id.status();
  json added;
  Status status = InTransaction(*db_, [&]() -> Status {
    SQLite::Statement known(*db_, "SELECT name FROM playbook_authors WHERE public_key=?");
    known.bind(1, public_key);
    if (known.executeStep()) {
      return Status::Error(ErrorCode::kConflict, "key " + *key_id + " is already known, as " +
                                                     known.getColumn(0).getString() +
                                                     "'s; an author's new key is a new keygen");
    }
    const Millis now = clock_.Now();
    SQLite::Statement insert(*db_,
                             "INSERT INTO playbook_authors(key_id, name, public_key, added_at, "
                             "added_by) VALUES(?,?,?,?,?)");
    insert.bind(1, *key_id);
    insert.bind(2, name);
    insert.bind(3, public_key);
    insert.bind(4, static_cast<std::int64_t>(now));
    insert.bind(5, actor.name);
    insert.exec();
    MUSTER_RETURN_IF_ERROR(audit_.Record({actor, "author.add", name, {{"key_id", *key_id}}}));
    added = {{"name", name}, {"key_id", *key_id}, {"public_key", public_key}, {"added_at", now}};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return added;
}

Result<json> PlaybookAuthors::List() {
  json list = json::array();
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT name, key_id, public_key, added_at, added_by, revoked_at, "
                            "revoked_by FROM playbook_authors ORDER BY added_at DESC, name");
    while (query.executeStep()) {
      list.push_back({{"name", query.getColumn(0).getString()},
                      {"key_id", query.getColumn(1).getString()},
                      {"public_key", query.getColumn(2).getString()},
                      {"added_at", query.getColumn(3).getInt64()},
                      {"added_by", query.getColumn(4).getString()},
                      {"revoked_at", NullableInt(query.getColumn(5))},
                      {"revoked_by", query.getColumn(6).getString()}});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

Result<json> PlaybookAuthors::Revoke(const std::string& name, const Actor& actor) {
  json revoked;
  Status status = InTransaction(*db_, [&]() -> Status {
    SQLite::Statement update(*db_,
                             "UPDATE playbook_authors SET revoked_at=?, revoked_by=? "
                             "WHERE name=? AND revoked_at IS NULL");
    update.bind(1, static_cast<std::int64_t>(clock_.Now()));
    update.bind(2, actor.name);
    update.bind(3, name);
    const int keys = update.exec();
    if (keys == 0) {
      return Status::Error(ErrorCode::kNotFound, "no key in force for author '" + name +
                                                     "'; list them with: muster author list");
    }
    MUSTER_RETURN_IF_ERROR(audit_.Record({actor, "author.revoke", name, {{"keys", keys}}}));
    revoked = {{"name", name}, {"revoked", keys}};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return revoked;
}

Status PlaybookAuthors::Trusts(const playbook::Signature& signature) {
  std::optional<std::string> name;
  bool revoked = false;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT name, revoked_at IS NOT NULL FROM playbook_authors "
                            "WHERE public_key=?");
    query.bind(1, signature.public_key);
    if (query.executeStep()) {
      name = query.getColumn(0).getString();
      revoked = query.getColumn(1).getInt() != 0;
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  const std::string signer = signature.author + "'s key " + signature.key_id;
  if (!name) {
    return Status::Error(ErrorCode::kForbidden,
                         "the playbook is signed with " + signer +
                             ", which HQ does not trust; an administrator adds it with: muster "
                             "author add " +
                             signature.author + " --key PUBLIC_KEY");
  }
  if (*name != signature.author) {
    return Status::Error(ErrorCode::kForbidden, "the playbook is signed with key " +
                                                    signature.key_id + " under the name " +
                                                    signature.author + ", but HQ trusts it as " +
                                                    *name + "'s; sign with your own key");
  }
  if (revoked) {
    return Status::Error(ErrorCode::kForbidden,
                         "the playbook is signed with " + signer +
                             ", which HQ revoked; have a trusted author sign it again");
  }
  return Status::Ok();
}

}  // namespace muster::hq
