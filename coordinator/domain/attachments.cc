#include "domain/attachments.h"

#include <SQLiteCpp/Statement.h>

#include <optional>

#include "muster/digest.h"
#include "muster/log.h"
#include "muster/protocol.h"
#include "muster/sqlite_store.h"

namespace muster::hq {
namespace {

constexpr const char* kAttachmentColumns =
    "id, agent_id, sha256, task_id, name, size, received, state, first_at, verified_at";

}  // namespace

Result<std::int64_t> Attachments::Declare(const std::string& agent_id, const std::string& task_id,
                                          const wire::AttachedFile& meta) {
  SQLite::Statement insert(*db_,
                           "INSERT OR IGNORE INTO attachments(agent_id, sha256, task_id, name, "
                           "size, first_at) VALUES(?,?,?,?,?,?)");
  insert.bind(1, agent_id);
  insert.bind(2, meta.sha256);
  insert.bind(3, task_id);
  insert.bind(4, meta.name);
  insert.bind(5, static_cast<std::int64_t>(meta.size));
  insert.bind(6, static_cast<std::int64_t>(clock_.Now()));
  const bool created = insert.exec() > 0;
  SQLite::Statement query(*db_, "SELECT id, size FROM attachments WHERE agent_id=? AND sha256=?");
  query.bind(1, agent_id);
  query.bind(2, meta.sha256);
  query.executeStep();
  const std::int64_t id = query.getColumn(0).getInt64();
  if (static_cast<std::uint64_t>(query.getColumn(1).getInt64()) != meta.size) {
    return Status::Error(ErrorCode::kMalformed,
                         "attachment " + meta.sha256 + " was announced before with another size");
  }
  if (created && meta.size == 0) MUSTER_RETURN_IF_ERROR(Verify(id));
  return id;
}

Status Attachments::StorePiece(const std::string& agent_id, const wire::AttachmentPiece& piece) {
  const wire::AttachedFile meta{piece.attachment, piece.name, piece.size, ""};
  auto id = Declare(agent_id, piece.task, meta);
  if (!id.ok()) return id.status();
  if (!piece.damaged.empty()) {
    // The agent could not read its own copy: say so at HQ rather than wait for ever.
    SQLite::Statement mark(*db_,
                           "UPDATE attachments SET state='damaged' WHERE id=? AND "
                           "state='receiving'");
    mark.bind(1, *id);
    mark.exec();
    return RaiseAlert(*id, "attachment_damaged",
                      meta.name + " from " + agent_id +
                          " cannot be delivered: the agent's copy is damaged (" + piece.damaged +
                          ")");
  }
  const std::string& bytes = *piece.data;
  const std::string at = "the piece at " + std::to_string(piece.offset);
  if (bytes.empty() || bytes.size() > protocol::kMaxAttachmentChunkBytes) {
    return Status::Error(ErrorCode::kMalformed,
                         at + " holds " + std::to_string(bytes.size()) +
                             " bytes; a piece holds 1 to " +
                             std::to_string(protocol::kMaxAttachmentChunkBytes));
  }
  if (piece.offset > meta.size || bytes.size() > meta.size - piece.offset) {
    return Status::Error(ErrorCode::kMalformed, at + " of " + std::to_string(bytes.size()) +
                                                    " bytes runs past the file's " +
                                                    std::to_string(meta.size) + " bytes");
  }
  if (piece.sha256 != Sha256Hex(bytes)) {
    return Status::Error(ErrorCode::kMalformed, at + " does not match its sha256");
  }
  // The bytes this piece adds to what the file's pieces already cover: pieces from one
  // agent follow each other, but a restored agent may cut the same bytes differently.
  const auto begin = static_cast<std::int64_t>(piece.offset);
  const auto end = begin + static_cast<std::int64_t>(bytes.size());
  SQLite::Statement overlapping(*db_,
                                "SELECT offset, length(data) FROM attachment_pieces WHERE "
                                "attachment_id=? AND offset>=? AND offset<? ORDER BY offset");
  overlapping.bind(1, *id);
  overlapping.bind(2, begin - static_cast<std::int64_t>(protocol::kMaxAttachmentChunkBytes));
  overlapping.bind(3, end);
  std::int64_t covered = 0;
  std::int64_t reach = begin;              // how far into [begin, end) earlier pieces already cover
  std::optional<std::int64_t> same_start;  // the length of a piece held at this offset
  while (overlapping.executeStep()) {
    const std::int64_t other = overlapping.getColumn(0).getInt64();
    const std::int64_t other_end = other + overlapping.getColumn(1).getInt64();
    if (other == begin) same_start = other_end - other;
    const std::int64_t from = std::max(reach, other);
    const std::int64_t to = std::min(end, other_end);
    if (to > from) {
      covered += to - from;
      reach = to;
    }
  }
  overlapping.reset();
  // The same piece in another record, or a shorter one than held here: nothing new.
  if (same_start && *same_start >= end - begin) return Status::Ok();
  // A longer piece where a shorter one is held (an agent restored from a backup cut the
  // file anew) takes its place; the bytes it adds are counted.
  SQLite::Statement insert(*db_,
                           "INSERT INTO attachment_pieces(attachment_id, offset, data) "
                           "VALUES(?,?,?) ON CONFLICT(attachment_id, offset) DO UPDATE SET "
                           "data=excluded.data");
  insert.bind(1, *id);
  insert.bind(2, begin);
  insert.bind(3, bytes.data(), static_cast<int>(bytes.size()));
  insert.exec();
  SQLite::Statement count(*db_,
                          "UPDATE attachments SET received=received+? WHERE id=? RETURNING "
                          "received");
  count.bind(1, end - begin - covered);
  count.bind(2, *id);
  count.executeStep();
  if (static_cast<std::uint64_t>(count.getColumn(0).getInt64()) >= meta.size) {
    count.reset();
    return Verify(*id);
  }
  return Status::Ok();
}

void Attachments::ReadPieces(std::int64_t id, const std::function<void(std::string_view)>& sink) {
  SQLite::Statement pieces(*db_,
                           "SELECT offset, data FROM attachment_pieces WHERE attachment_id=? "
                           "ORDER BY offset");
  pieces.bind(1, id);
  std::int64_t reach = 0;
  while (pieces.executeStep()) {
    const std::int64_t offset = pieces.getColumn(0).getInt64();
    const SQLite::Column data = pieces.getColumn(1);
    const std::int64_t length = data.getBytes();
    if (offset + length <= reach) continue;
    const std::int64_t skip = std::max<std::int64_t>(0, reach - offset);
    sink(std::string_view(static_cast<const char*>(data.getBlob()) + skip,
                          static_cast<std::size_t>(length - skip)));
    reach = offset + length;
  }
}

Status Attachments::Verify(std::int64_t id) {
  SQLite::Statement meta(*db_, "SELECT sha256, name, agent_id, size FROM attachments WHERE id=?");
  meta.bind(1, id);
  meta.executeStep();
  const std::string sha256 = meta.getColumn(0).getString();
  const std::string name = meta.getColumn(1).getString();
  const std::string agent_id = meta.getColumn(2).getString();
  const std::int64_t size = meta.getColumn(3).getInt64();
  Sha256 whole;
  std::int64_t length = 0;
  ReadPieces(id, [&](std::string_view bytes) {
    whole.Update(bytes);
    length += static_cast<std::int64_t>(bytes.size());
  });
  const bool intact = length == size && whole.HexDigest() == sha256;
  SQLite::Statement update(*db_, "UPDATE attachments SET state=?, verified_at=? WHERE id=?");
  update.bind(1, intact ? "verified" : "corrupt");
  update.bind(2, static_cast<std::int64_t>(clock_.Now()));
  update.bind(3, id);
  update.exec();
  Logger("attachments")
      ->info("event=attachment_{} id={} agent={} sha256={} bytes={}",
             intact ? "verified" : "corrupt", id, agent_id, sha256, size);
  if (!intact) {
    return RaiseAlert(
        id, "attachment_corrupt",
        name + " from " + agent_id + " does not match the sha256 taken when it was attached");
  }
  return Status::Ok();
}

Status Attachments::RaiseAlert(std::int64_t id, const std::string& kind,
                               const std::string& message) {
  SQLite::Statement query(*db_,
                          "SELECT d.incident_id, d.id, a.agent_id FROM attachments a JOIN tasks "
                          "t ON t.id=a.task_id JOIN deployments d ON d.id=t.deployment_id "
                          "WHERE a.id=?");
  query.bind(1, id);
  if (!query.executeStep()) return Status::Ok();
  return alerts_.Raise(query.getColumn(0).getString(), query.getColumn(1).getInt64(), kind,
                       "warning", message, query.getColumn(2).getString(),
                       kind + ":" + std::to_string(id));
}

json Attachments::AttachmentJson(SQLite::Statement& row) {
  return {{"id", row.getColumn(0).getInt64()},
          {"agent", row.getColumn(1).getString()},
          {"sha256", row.getColumn(2).getString()},
          {"task", row.getColumn(3).getString()},
          {"name", row.getColumn(4).getString()},
          {"size", row.getColumn(5).getInt64()},
          {"received_bytes", row.getColumn(6).getInt64()},
          {"state", row.getColumn(7).getString()},
          {"first_at", row.getColumn(8).getInt64()},
          {"verified_at", row.getColumn(9).isNull() ? json() : json(row.getColumn(9).getInt64())}};
}

Result<json> Attachments::Describe(std::int64_t id) {
  json found;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(
        *db_, std::string("SELECT ") + kAttachmentColumns + " FROM attachments WHERE id=?");
    query.bind(1, id);
    if (!query.executeStep()) {
      return Status::Error(ErrorCode::kNotFound, "no attachment " + std::to_string(id));
    }
    found = AttachmentJson(query);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return found;
}

Result<json> Attachments::Of(const std::string& agent_id, const std::vector<std::string>& sha256s) {
  json list = json::array();
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_, std::string("SELECT ") + kAttachmentColumns +
                                      " FROM attachments WHERE agent_id=? AND sha256=?");
    for (const std::string& sha256 : sha256s) {
      query.bind(1, agent_id);
      query.bind(2, sha256);
      if (query.executeStep()) list.push_back(AttachmentJson(query));
      query.reset();
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

Result<std::string> Attachments::Content(std::int64_t id) {
  std::string content;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement state(*db_, "SELECT state, received, size FROM attachments WHERE id=?");
    state.bind(1, id);
    if (!state.executeStep()) {
      return Status::Error(ErrorCode::kNotFound, "no attachment " + std::to_string(id));
    }
    if (state.getColumn(0).getString() != "verified") {
      return Status::Error(ErrorCode::kNotReady,
                           "attachment " + std::to_string(id) + " is " +
                               state.getColumn(0).getString() + " (" +
                               std::to_string(state.getColumn(1).getInt64()) + " of " +
                               std::to_string(state.getColumn(2).getInt64()) +
                               " bytes received); only a verified file can be read");
    }
    ReadPieces(id, [&](std::string_view bytes) { content.append(bytes); });
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return content;
}

}  // namespace muster::hq
