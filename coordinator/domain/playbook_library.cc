#include "domain/playbook_library.h"

#include <SQLiteCpp/Statement.h>

#include "muster/playbook/load.h"
#include "muster/protocol.h"
#include "muster/sqlite_store.h"

namespace muster::hq {

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

Result<json> PlaybookLibrary::Publish(const std::string& source, const std::string& file,
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
  json published;
  Status status = InTransaction(*db_, [&]() -> Status {
    SQLite::Statement existing(*db_, "SELECT hash FROM playbooks WHERE id=? AND version=?");
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
    } else {
      SQLite::Statement insert(*db_,
                               "INSERT INTO playbooks(id, version, hash, title, source, "
                               "published_at) VALUES(?,?,?,?,?,?)");
      insert.bind(1, book.id);
      insert.bind(2, book.version);
      insert.bind(3, book.content_hash);
      insert.bind(4, book.title);
      insert.bind(5, book.source);
      insert.bind(6, static_cast<std::int64_t>(clock_.Now()));
      insert.exec();
      MUSTER_RETURN_IF_ERROR(audit_.Record({actor,
                                            "playbook.publish",
                                            book.id + "@" + book.version,
                                            {{"hash", book.content_hash}, {"file", file}}}));
    }
    published = {{"id", book.id},
                 {"version", book.version},
                 {"hash", book.content_hash},
                 {"title", book.title}};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return published;
}

Result<json> PlaybookLibrary::List() {
  json list = json::array();
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT id, version, hash, title, published_at FROM playbooks "
                            "ORDER BY published_at DESC, id");
    while (query.executeStep()) {
      list.push_back({{"id", query.getColumn(0).getString()},
                      {"version", query.getColumn(1).getString()},
                      {"hash", query.getColumn(2).getString()},
                      {"title", query.getColumn(3).getString()},
                      {"published_at", query.getColumn(4).getInt64()}});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
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
