#include "domain/playbook_library.h"

#include <SQLiteCpp/Statement.h>

#include "muster/playbook/load.h"
#include "muster/playbook/validity.h"
#include "muster/protocol.h"
#include "muster/sqlite_store.h"
#include "store/columns.h"

namespace muster::hq {
namespace {

// The governance columns of a playbooks row, in this order, from |first| on.
constexpr const char* kGovernanceColumns =
    "signature, valid_from, valid_until, revoked_at, revoked_by, revoke_reason";

std::optional<playbook::Signature> ReadSignature(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  auto decoded = playbook::Signature::Decode(json::parse(column.getString(), nullptr, false));
  if (!decoded.ok()) return std::nullopt;
  return std::move(decoded).value();
}

std::optional<Revocation> ReadRevocation(SQLite::Statement& row, int first) {
  if (row.getColumn(first + 3).isNull()) return std::nullopt;
  return Revocation{row.getColumn(first + 3).getInt64(), row.getColumn(first + 4).getString(),
                    row.getColumn(first + 5).getString()};
}

json GovernanceJson(SQLite::Statement& row, int first) {
  const auto signature = ReadSignature(row.getColumn(first));
  const auto revocation = ReadRevocation(row, first);
  return {{"signed_by", signature ? json{{"author", signature->author},
                                         {"key_id", signature->key_id}}
                                  : json()},
          {"valid_from", row.getColumn(first + 1).getString()},
          {"valid_until", row.getColumn(first + 2).getString()},
          {"revoked", revocation ? json{{"at", revocation->at},
                                        {"by", revocation->by},
                                        {"reason", revocation->reason}}
                                 : json()}};
}

std::string Named(const playbook::Playbook& book) {
  return "playbook " + book.id + " version " + book.version;
}

}  // namespace

Result<std::shared_ptr<const playbook::Playbook>> PlaybookLibrary::ByHash(const std::string& hash) {
  auto cached = parsed_.find(hash);
  if (cached != parsed_.end()) return cached->second;
  std::string source;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_, "SELECT source FROM playbooks WHERE hash=?");
    query.bind(1, hash);
    if (!query.executeStep()) {
      return Status::Error(ErrorCode::kNotFound, "no playbook with hash " + hash);
    }
    source = query.getColumn(0).getString();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  playbook::LoadResult loaded = playbook::LoadText(source, "playbook " + hash.substr(0, 12),
                                                   playbook::PublishedSourceOptions());
  if (!loaded.ok() || loaded.playbook->content_hash != hash) {
    return Status::Error(ErrorCode::kInvalidPlaybook,
                         "the stored playbook " + hash + " no longer loads or matches its hash");
  }
  auto parsed = std::make_shared<const playbook::Playbook>(std::move(*loaded.playbook));
  parsed_[hash] = parsed;
  return std::shared_ptr<const playbook::Playbook>(parsed);
}

Status PlaybookLibrary::CheckSignature(const std::optional<playbook::Signature>& signature,
                                       const playbook::Playbook& book) {
  if (!signature) {
    if (policy_ == SignaturePolicy::kOptional) return Status::Ok();
    return Status::Error(ErrorCode::kForbidden,
                         Named(book) + " is not signed, and this HQ deploys only playbooks "
                                       "signed by a trusted author: sign it with muster "
                                       "playbook sign FILE --key KEYFILE");
  }
  MUSTER_RETURN_IF_ERROR(playbook::Verify(*signature, book.content_hash));
  return authors_.Trusts(*signature);
}

Result<json> PlaybookLibrary::Publish(const std::string& source, const std::string& file,
                                      const std::optional<playbook::Signature>& signature,
                                      const Actor& actor) {
  playbook::LoadResult loaded = playbook::LoadText(source, file.empty() ? "playbook" : file);
  if (!loaded.ok()) {
    std::string text;
    for (const auto& diagnostic : loaded.diagnostics) {
      if (diagnostic.severity == playbook::Severity::kError) text += diagnostic.ToString() + "\n";
    }
    return Status::Error(ErrorCode::kInvalidPlaybook, "the playbook does not pass lint:\n" + text);
  }
  const playbook::Playbook& book = *loaded.playbook;
  if (book.source.size() > protocol::kMaxEntryBytes) {
    return Status::Error(ErrorCode::kInvalidPlaybook,
                         "the playbook with its libraries is " +
                             std::to_string(book.source.size()) + " bytes; agents accept at most " +
                             std::to_string(protocol::kMaxEntryBytes) + ": split it");
  }
  MUSTER_RETURN_IF_ERROR(CheckSignature(signature, book));
  const std::string signature_text = signature ? signature->Encode().dump() : std::string();
  json published;
  Status status = InTransaction(*db_, [&]() -> Status {
    SQLite::Statement existing(*db_,
                               "SELECT hash, signature FROM playbooks WHERE id=? AND version=?");
    existing.bind(1, book.id);
    existing.bind(2, book.version);
    if (existing.executeStep()) {
      if (existing.getColumn(0).getString() != book.content_hash) {
        return Status::Error(ErrorCode::kConflict,
                             "playbook " + book.id + " version " + book.version +
                                 " is already published with other content (hash " +
                                 existing.getColumn(0).getString().substr(0, 12) +
                                 "); published versions are immutable: raise the version");
      }
      // A signature given for a version published before: it replaces the one stored
      // (a version published unsigned, or signed by a key since revoked).
      if (signature && existing.getColumn(1).getString() != signature_text) {
        SQLite::Statement sign(*db_, "UPDATE playbooks SET signature=? WHERE hash=?");
        sign.bind(1, signature_text);
        sign.bind(2, book.content_hash);
        sign.exec();
        MUSTER_RETURN_IF_ERROR(audit_.Record(
            {actor,
             "playbook.sign",
             book.id + "@" + book.version,
             {{"hash", book.content_hash}, {"author", signature->author},
              {"key_id", signature->key_id}}}));
      }
    } else {
      SQLite::Statement insert(*db_,
                               "INSERT INTO playbooks(id, version, hash, title, source, "
                               "published_at, signature, valid_from, valid_until) "
                               "VALUES(?,?,?,?,?,?,?,?,?)");
      insert.bind(1, book.id);
      insert.bind(2, book.version);
      insert.bind(3, book.content_hash);
      insert.bind(4, book.title);
      insert.bind(5, book.source);
      insert.bind(6, static_cast<std::int64_t>(clock_.Now()));
      if (signature) {
        insert.bind(7, signature_text);
      } else {
        insert.bind(7);
      }
      insert.bind(8, book.valid_from);
      insert.bind(9, book.valid_until);
      insert.exec();
      json detail = {{"hash", book.content_hash}, {"file", file}};
      if (signature) {
        detail["author"] = signature->author;
        detail["key_id"] = signature->key_id;
      }
      MUSTER_RETURN_IF_ERROR(
          audit_.Record({actor, "playbook.publish", book.id + "@" + book.version, detail}));
    }
    published = {{"id", book.id},
                 {"version", book.version},
                 {"hash", book.content_hash},
                 {"title", book.title}};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  // As stored: a version published signed before and given again unsigned stays signed.
  Result<json> governance = Governance(book.content_hash);
  if (!governance.ok()) return governance.status();
  published.update(*governance);
  return published;
}

Result<json> PlaybookLibrary::List() {
  json list = json::array();
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_, std::string("SELECT id, version, hash, title, published_at, ") +
                                      kGovernanceColumns +
                                      " FROM playbooks ORDER BY published_at DESC, id");
    while (query.executeStep()) {
      json entry = {{"id", query.getColumn(0).getString()},
                    {"version", query.getColumn(1).getString()},
                    {"hash", query.getColumn(2).getString()},
                    {"title", query.getColumn(3).getString()},
                    {"published_at", query.getColumn(4).getInt64()}};
      entry.update(GovernanceJson(query, 5));
      list.push_back(std::move(entry));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

Status PlaybookLibrary::CheckDeployable(const playbook::Playbook& book) {
  auto revocation = RevocationOf(book.content_hash);
  if (!revocation.ok()) return revocation.status();
  if (*revocation) {
    return Status::Error(ErrorCode::kInvalidPlaybook,
                         Named(book) + " was revoked by " + (*revocation)->by + ": " +
                             (*revocation)->reason + "; deploy another version");
  }
  MUSTER_RETURN_IF_ERROR(playbook::CheckValidity(book, clock_.Now()));
  auto signature = SignatureOf(book.content_hash);
  if (!signature.ok()) return signature.status();
  // The signer may have been revoked, or the policy made stricter, since publication.
  if (!*signature) return CheckSignature(std::nullopt, book);
  return authors_.Trusts(**signature);
}

Result<std::string> PlaybookLibrary::Revoke(const std::string& id, const std::string& version,
                                            const std::string& reason, const Actor& actor) {
  if (reason.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "say why the version is revoked: --reason TEXT (agents show it)");
  }
  std::string hash;
  Status status = Guarded(*db_, [&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT hash, revoked_at FROM playbooks WHERE id=? AND version=?");
    query.bind(1, id);
    query.bind(2, version);
    if (!query.executeStep()) {
      return Status::Error(ErrorCode::kNotFound, "no published playbook " + id + "@" + version +
                                                     "; list them with GET /v1/playbooks");
    }
    if (!query.getColumn(1).isNull()) {
      return Status::Error(ErrorCode::kConflict, id + "@" + version + " is revoked already");
    }
    hash = query.getColumn(0).getString();
    SQLite::Statement revoke(*db_,
                             "UPDATE playbooks SET revoked_at=?, revoked_by=?, revoke_reason=? "
                             "WHERE hash=?");
    revoke.bind(1, static_cast<std::int64_t>(clock_.Now()));
    revoke.bind(2, actor.name);
    revoke.bind(3, reason);
    revoke.bind(4, hash);
    revoke.exec();
    return audit_.Record(
        {actor, "playbook.revoke", id + "@" + version, {{"hash", hash}, {"reason", reason}}});
  });
  if (!status.ok()) return status;
  return hash;
}

Result<json> PlaybookLibrary::Governance(const std::string& hash) {
  json governance;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(
        *db_, std::string("SELECT ") + kGovernanceColumns + " FROM playbooks WHERE hash=?");
    query.bind(1, hash);
    if (!query.executeStep()) {
      return Status::Error(ErrorCode::kNotFound, "no published playbook " + hash);
    }
    governance = GovernanceJson(query, 0);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return governance;
}

Result<std::optional<playbook::Signature>> PlaybookLibrary::SignatureOf(const std::string& hash) {
  std::optional<playbook::Signature> signature;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_, "SELECT signature FROM playbooks WHERE hash=?");
    query.bind(1, hash);
    if (query.executeStep()) signature = ReadSignature(query.getColumn(0));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return signature;
}

Result<wire::PlaybookDelivery> PlaybookLibrary::DeliveryOf(const playbook::Playbook& book) {
  auto signature = SignatureOf(book.content_hash);
  if (!signature.ok()) return signature.status();
  return wire::PlaybookDelivery::Of(book, *signature);
}

Result<std::optional<Revocation>> PlaybookLibrary::RevocationOf(const std::string& hash) {
  std::optional<Revocation> revocation;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(
        *db_, std::string("SELECT ") + kGovernanceColumns + " FROM playbooks WHERE hash=?");
    query.bind(1, hash);
    if (query.executeStep()) revocation = ReadRevocation(query, 0);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return revocation;
}

Result<std::string> PlaybookLibrary::Source(const std::string& hash) {
  std::optional<std::string> source;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_, "SELECT source FROM playbooks WHERE hash=?");
    query.bind(1, hash);
    if (query.executeStep()) source = query.getColumn(0).getString();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  if (!source) {
    return Status::Error(ErrorCode::kNotFound,
                         "no published playbook " + hash + "; list them with GET /v1/playbooks");
  }
  return *source;
}

}  // namespace muster::hq
