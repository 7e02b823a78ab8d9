#include "outbox.h"

#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "muster/digest.h"
#include "muster/log.h"
#include "muster/sqlite_store.h"
#include "store_sql.h"
#include "store_watch.h"

namespace muster::agent {
namespace {

OutboxRecord ReadRecord(SQLite::Statement& query) {
  OutboxRecord record;
  record.seq = static_cast<std::uint64_t>(query.getColumn(0).getInt64());
  record.kind = query.getColumn(1).getString();
  record.task = query.getColumn(2).getString();
  record.body = json::parse(query.getColumn(3).getString(), nullptr, false);
  record.lane = query.getColumn(4).getInt();
  record.created_at = query.getColumn(5).getInt64();
  record.sent_at = OptionalMillis(query.getColumn(6));
  record.acked_at = OptionalMillis(query.getColumn(7));
  record.refusal = query.getColumn(8).getString();
  return record;
}

constexpr const char* kRecordColumns =
    "seq, kind, task, body, lane, created_at, sent_at, acked_at, refusal";

// What a piece's description costs besides its bytes, and the smallest piece worth its
// description.
constexpr std::size_t kDescriptionBytes = 256;
constexpr std::size_t kSmallestPiece = 512;

}  // namespace

Outbox::Outbox(SQLite::Database& db, const Clock& clock, std::string data_dir,
               const SecretBytes* copies_key)
    : db_(db), clock_(clock), data_dir_(std::move(data_dir)), copies_key_(copies_key) {}

Status Outbox::Transaction(const std::function<Status()>& body) {
  to_signal_ = false;  // left over from a transaction of the outbox's own (CutPieces)
  Status status = InTransaction(db_, body);
  // Committed or rolled back, the transaction is over: signal only what was committed.
  if (std::exchange(to_signal_, false) && status.ok()) SignalOutbox();
  return status;
}

void Outbox::WorkAdded() {
  if (sqlite3_get_autocommit(db_.getHandle()) != 0) {
    SignalOutbox();
  } else {
    to_signal_ = true;
  }
}

void Outbox::SignalOutbox() {
  Status status = SignalOutboxChanged(data_dir_);
  if (!status.ok()) {
    Logger("agent")->warn(
        "event=outbox_signal_failed error=\"{}\" effect=\"the daemon sends "
        "the records at its next refresh\"",
        status.message());
  }
}

Result<std::uint64_t> Outbox::Append(const std::string& kind, const std::string& task,
                                     const json& body, int lane) {
  std::string text;
  try {
    text = body.dump();
  } catch (const json::exception&) {
    return Status::Error(ErrorCode::kInvalidValue,
                         "the text is not valid UTF-8; set the terminal to UTF-8 and type it "
                         "again");
  }
  if (text.size() > kMaxRecordBytes) {
    return Status::Error(ErrorCode::kTooLarge, "this record is " + std::to_string(text.size()) +
                                                   " bytes; the limit is " +
                                                   std::to_string(kMaxRecordBytes) +
                                                   ": shorten the text or attach a file instead");
  }
  std::uint64_t seq = 0;
  Status status = Guarded(db_, [&]() -> Status {
    SQLite::Statement insert(db_,
                             "INSERT INTO outbox(kind, task, body, lane, created_at) "
                             "VALUES(?,?,?,?,?)");
    insert.bind(1, kind);
    insert.bind(2, task);
    insert.bind(3, text);
    insert.bind(4, lane);
    insert.bind(5, static_cast<std::int64_t>(clock_.Now()));
    insert.exec();
    seq = static_cast<std::uint64_t>(db_.getLastInsertRowid());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  WorkAdded();
  return seq;
}

Result<std::vector<OutboxRecord>> Outbox::Records(const std::string& task) {
  std::vector<OutboxRecord> records;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(
        db_, std::string("SELECT ") + kRecordColumns +
                 " FROM outbox WHERE kind != 'attachment_chunk' AND (?='' OR task=?) "
                 "ORDER BY seq");
    query.bind(1, task);
    query.bind(2, task);
    while (query.executeStep()) records.push_back(ReadRecord(query));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return records;
}

Result<int> Outbox::LowestPendingLane() {
  int lane = -1;
  Status status = Guarded([&]() -> Status {
    // A file not yet all cut into pieces waits in the attachment lane too.
    SQLite::Statement query(db_,
                            "SELECT MIN(lane) FROM (SELECT lane FROM outbox WHERE acked_at IS "
                            "NULL UNION ALL SELECT 3 FROM attachments WHERE cut<size)");
    if (query.executeStep() && !query.getColumn(0).isNull()) lane = query.getColumn(0).getInt();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return lane;
}

std::size_t Outbox::ReadBatch(SQLite::Statement& query, std::size_t max_bytes,
                              std::vector<OutboxRecord>& batch) {
  std::size_t bytes = 0;
  while (query.executeStep()) {
    OutboxRecord record = ReadRecord(query);
    std::size_t size = record.body.dump().size();
    if (record.kind == "attachment_chunk") size += record.body.value("length", std::size_t{0});
    if (!batch.empty() && bytes + size > max_bytes) break;
    bytes += size;
    batch.push_back(std::move(record));
  }
  for (OutboxRecord& record : batch) {
    if (record.kind == "attachment_chunk") FillPiece(record);
  }
  return bytes;
}

Result<std::vector<OutboxRecord>> Outbox::NextBatch(int max_lane, std::size_t max_records,
                                                    std::size_t max_bytes) {
  std::vector<OutboxRecord> batch;
  std::size_t bytes = 0;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(
        db_, std::string("SELECT ") + kRecordColumns +
                 " FROM outbox WHERE acked_at IS NULL AND lane=(SELECT MIN(lane) FROM outbox "
                 "WHERE acked_at IS NULL AND lane<=?) ORDER BY seq LIMIT ?");
    query.bind(1, max_lane);
    query.bind(2, static_cast<std::int64_t>(max_records));
    bytes = ReadBatch(query, max_bytes, batch);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  // Room left in the attachment lane: new pieces, cut to what remains of the budget.
  const bool attachments =
      batch.empty() ? max_lane >= kLaneAttachment : batch.front().lane == kLaneAttachment;
  if (attachments && batch.size() < max_records && (batch.empty() || bytes < max_bytes)) {
    auto cut = CutPieces(max_records - batch.size(), batch.empty() ? max_bytes : max_bytes - bytes);
    if (!cut.ok()) return cut.status();
    for (OutboxRecord& piece : *cut) batch.push_back(std::move(piece));
  }
  return batch;
}

Result<std::vector<OutboxRecord>> Outbox::NextForRelay(std::size_t max_records,
                                                       std::size_t max_bytes) {
  std::vector<OutboxRecord> batch;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(db_, std::string("SELECT ") + kRecordColumns +
                                     " FROM outbox WHERE acked_at IS NULL AND relay_held_at IS "
                                     "NULL ORDER BY seq LIMIT ?");
    query.bind(1, static_cast<std::int64_t>(max_records));
    ReadBatch(query, max_bytes, batch);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return batch;
}

Status Outbox::MarkRelayHeld(const std::vector<std::uint64_t>& seqs) {
  if (seqs.empty()) return Status::Ok();
  return InTransaction(db_, [&]() -> Status {
    SQLite::Statement mark(db_,
                           "UPDATE outbox SET relay_held_at=? WHERE seq=? AND relay_held_at IS NULL");
    const auto now = static_cast<std::int64_t>(clock_.Now());
    for (std::uint64_t seq : seqs) {
      mark.bind(1, now);
      mark.bind(2, static_cast<std::int64_t>(seq));
      mark.exec();
      mark.reset();
    }
    return Status::Ok();
  });
}

Status Outbox::MarkNotForRelay(const std::vector<std::uint64_t>& seqs) {
  if (seqs.empty()) return Status::Ok();
  return InTransaction(db_, [&]() -> Status {
    SQLite::Statement mark(db_,
                           "UPDATE outbox SET relay_held_at=0 WHERE seq=? AND relay_held_at IS NULL");
    for (std::uint64_t seq : seqs) {
      mark.bind(1, static_cast<std::int64_t>(seq));
      mark.exec();
      mark.reset();
    }
    return Status::Ok();
  });
}

Result<std::vector<OutboxRecord>> Outbox::CutPieces(std::size_t max_records,
                                                    std::size_t max_bytes) {
  std::vector<OutboxRecord> pieces;
  std::size_t room = max_bytes;
  Status status = InTransaction(db_, [&]() -> Status {
    for (PendingFile& file : PendingFiles()) {
      while (file.cut < file.size && pieces.size() < max_records &&
             (pieces.empty() || room >= kDescriptionBytes + kSmallestPiece)) {
        const std::uint64_t before = file.cut;
        auto piece = CutPiece(file, room);
        if (!piece.ok()) return piece.status();
        const std::uint64_t length = file.cut - before;
        room = room > length + kDescriptionBytes ? room - length - kDescriptionBytes : 0;
        pieces.push_back(std::move(piece).value());
      }
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return pieces;
}

std::vector<Outbox::PendingFile> Outbox::PendingFiles() {
  SQLite::Statement files(db_,
                          "SELECT sha256, name, size, cut, task FROM attachments WHERE "
                          "cut<size ORDER BY created_at, sha256");
  std::vector<PendingFile> todo;
  while (files.executeStep()) {
    todo.push_back({files.getColumn(0).getString(), files.getColumn(1).getString(),
                    files.getColumn(4).getString(),
                    static_cast<std::uint64_t>(files.getColumn(2).getInt64()),
                    static_cast<std::uint64_t>(files.getColumn(3).getInt64())});
  }
  return todo;
}

Result<OutboxRecord> Outbox::CutPiece(PendingFile& file, std::size_t room) {
  wire::AttachmentPiece cut;
  cut.task = file.task;
  cut.attachment = file.sha256;
  cut.offset = file.cut;
  std::string data;
  Status copy = ReadNextPiece(file, room, cut, data);
  if (!copy.ok()) {
    // Whatever is left of the file goes as one damaged piece: HQ says so rather than
    // wait for bytes that will never come.
    Logger("attachments")
        ->error("event=copy_damaged sha256={} error=\"{}\"", file.sha256, copy.message());
    cut.length = file.size - file.cut;
    cut.damaged = copy.message();
  }
  auto seq = Append(cut);
  if (!seq.ok()) return seq.status();
  if (!copy.ok()) MarkNotSent(*seq, copy.message());
  file.cut += cut.length;
  SQLite::Statement advance(db_, "UPDATE attachments SET cut=? WHERE sha256=?");
  advance.bind(1, static_cast<std::int64_t>(file.cut));
  advance.bind(2, file.sha256);
  advance.exec();
  cut.name = file.name;
  cut.size = file.size;
  if (!data.empty()) cut.data = std::move(data);
  OutboxRecord piece;
  piece.seq = *seq;
  piece.kind = wire::RecordKindName(wire::AttachmentPiece::kKind);
  piece.task = file.task;
  piece.lane = kLaneAttachment;
  piece.created_at = clock_.Now();
  piece.body = cut.Encode();
  return piece;
}

Status Outbox::ReadNextPiece(const PendingFile& file, std::size_t room, wire::AttachmentPiece& cut,
                             std::string& data) {
  if (!verified_copies_.count(file.sha256)) {
    MUSTER_RETURN_IF_ERROR(VerifyCopy(data_dir_, file.sha256, copies_key_));
  }
  verified_copies_.insert(file.sha256);
  const std::size_t fits =
      room > kDescriptionBytes + kSmallestPiece ? room - kDescriptionBytes : kSmallestPiece;
  cut.length =
      std::min<std::uint64_t>({file.size - file.cut, fits, protocol::kMaxAttachmentChunkBytes});
  auto read = ReadPiece(data_dir_, file.sha256, file.cut, cut.length, copies_key_);
  if (!read.ok()) return read.status();
  data = std::move(*read);
  cut.sha256 = Sha256Hex(data);
  return Status::Ok();
}

void Outbox::FillPiece(OutboxRecord& record) {
  auto cut = wire::AttachmentPiece::DecodeCut(record.body);
  if (!cut.ok() || !cut->damaged.empty()) return;  // cut as damaged: sent as it is
  const auto damaged = [&](const std::string& why) {
    // Sent without its bytes, so that HQ holds the sequence and reports the damage.
    Logger("attachments")->error("event=piece_unreadable seq={} error=\"{}\"", record.seq, why);
    cut->damaged = why;
    cut->data.reset();
    record.body = cut->Encode();
    MarkNotSent(record.seq, why);
  };
  SQLite::Statement query(db_, "SELECT name, size FROM attachments WHERE sha256=?");
  query.bind(1, cut->attachment);
  if (!query.executeStep()) {
    cut->damaged = "this laptop's store has no attachment " + cut->attachment;
    record.body = cut->Encode();
    return;
  }
  cut->name = query.getColumn(0).getString();
  cut->size = static_cast<std::uint64_t>(query.getColumn(1).getInt64());
  auto data = ReadPiece(data_dir_, cut->attachment, cut->offset, cut->length, copies_key_);
  if (!data.ok()) return damaged(data.status().message());
  if (Sha256Hex(*data) != cut->sha256) {
    return damaged("the stored copy of " + cut->name +
                   " changed after this piece was cut; it is damaged: attach the original "
                   "file again");
  }
  cut->data = std::move(*data);
  record.body = cut->Encode();
}

void Outbox::MarkNotSent(std::uint64_t seq, const std::string& why) {
  SQLite::Statement mark(db_, "UPDATE outbox SET refusal=? WHERE seq=?");
  mark.bind(1, "not sent: " + why);
  mark.bind(2, static_cast<std::int64_t>(seq));
  mark.exec();
}

Status Outbox::AddAttachment(const Attachment& attachment, const std::string& task) {
  return Guarded(db_, [&]() -> Status {
    // The same file attached again (to another finding) is already on its way.
    SQLite::Statement insert(db_,
                             "INSERT OR IGNORE INTO attachments(sha256, name, size, task, "
                             "created_at, cut) VALUES(?,?,?,?,?,0)");
    insert.bind(1, attachment.sha256);
    insert.bind(2, attachment.name);
    insert.bind(3, static_cast<std::int64_t>(attachment.size));
    insert.bind(4, task);
    insert.bind(5, static_cast<std::int64_t>(clock_.Now()));
    if (insert.exec() > 0) WorkAdded();
    return Status::Ok();
  });
}

Result<std::vector<AttachmentProgress>> Outbox::Attachments(const std::string& task) {
  std::vector<AttachmentProgress> list;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(
        db_,
        "SELECT a.sha256, a.name, a.size, a.task, a.created_at, "
        "COALESCE(SUM(CASE WHEN o.sent_at IS NOT NULL THEN json_extract(o.body, '$.length') "
        "END), 0), COALESCE(SUM(CASE WHEN o.acked_at IS NOT NULL THEN "
        "json_extract(o.body, '$.length') END), 0), "
        "MAX(o.acked_at), COALESCE(MAX(o.refusal), '') FROM attachments a LEFT JOIN outbox o "
        "ON o.kind='attachment_chunk' AND json_extract(o.body, '$.attachment')=a.sha256 "
        "WHERE ?='' OR a.task=? GROUP BY a.sha256 ORDER BY a.created_at, a.sha256");
    query.bind(1, task);
    query.bind(2, task);
    while (query.executeStep()) {
      AttachmentProgress item;
      item.sha256 = query.getColumn(0).getString();
      item.name = query.getColumn(1).getString();
      item.size = static_cast<std::uint64_t>(query.getColumn(2).getInt64());
      item.task = query.getColumn(3).getString();
      item.created_at = query.getColumn(4).getInt64();
      item.sent = static_cast<std::uint64_t>(query.getColumn(5).getInt64());
      item.acked = static_cast<std::uint64_t>(query.getColumn(6).getInt64());
      item.last_acked_at = OptionalMillis(query.getColumn(7));
      item.refusal = query.getColumn(8).getString();
      list.push_back(std::move(item));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

Status Outbox::MarkSent(const std::vector<std::uint64_t>& seqs) {
  return InTransaction(db_, [&]() -> Status {
    SQLite::Statement update(db_, "UPDATE outbox SET sent_at=COALESCE(sent_at, ?) WHERE seq=?");
    for (std::uint64_t seq : seqs) {
      update.bind(1, static_cast<std::int64_t>(clock_.Now()));
      update.bind(2, static_cast<std::int64_t>(seq));
      update.exec();
      update.reset();
    }
    return Status::Ok();
  });
}

Status Outbox::MarkAcked(const std::vector<std::uint64_t>& seqs) {
  return InTransaction(db_, [&]() -> Status {
    const auto now = static_cast<std::int64_t>(clock_.Now());
    SQLite::Statement update(db_,
                             "UPDATE outbox SET acked_at=?, sent_at=COALESCE(sent_at, ?) "
                             "WHERE seq=? AND acked_at IS NULL");
    for (std::uint64_t seq : seqs) {
      update.bind(1, now);
      update.bind(2, now);
      update.bind(3, static_cast<std::int64_t>(seq));
      update.exec();
      update.reset();
    }
    SetMeta(db_, "last_sync_at", std::to_string(now));
    return Status::Ok();
  });
}

Status Outbox::MarkRefused(std::uint64_t seq, const std::string& why) {
  return Guarded([&]() -> Status {
    SQLite::Statement update(db_, "UPDATE outbox SET refusal=? WHERE seq=?");
    update.bind(1, why);
    update.bind(2, static_cast<std::int64_t>(seq));
    update.exec();
    return Status::Ok();
  });
}

Status Outbox::MarkAckedRanges(const protocol::SeqRanges& ranges) {
  return MarkAckedAmong(ranges, false);
}

Status Outbox::MarkAckedRangesSentHere(const protocol::SeqRanges& ranges) {
  return MarkAckedAmong(ranges, true);
}

Status Outbox::MarkAckedAmong(const protocol::SeqRanges& ranges, bool sent_here) {
  std::vector<std::uint64_t> seqs;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(
        db_, std::string("SELECT seq FROM outbox WHERE seq BETWEEN ? AND ? AND acked_at IS NULL") +
                 (sent_here ? " AND sent_at IS NOT NULL" : ""));
    for (const protocol::SeqRange& range : ranges) {
      query.bind(1, static_cast<std::int64_t>(range.first));
      query.bind(2, static_cast<std::int64_t>(range.last));
      while (query.executeStep())
        seqs.push_back(static_cast<std::uint64_t>(query.getColumn(0).getInt64()));
      query.reset();
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return MarkAcked(seqs);
}

namespace {

// The seqs one query returns, as at most protocol::kMaxRanges ranges; |complete| says
// whether all of them fitted.
Result<std::pair<protocol::SeqRanges, bool>> SeqRangesOf(SQLite::Statement& query) {
  protocol::SeqRanges ranges;
  while (query.executeStep()) {
    const auto seq = static_cast<std::uint64_t>(query.getColumn(0).getInt64());
    if (!ranges.empty() && seq == ranges.back().last + 1) {
      ranges.back().last = seq;
      continue;
    }
    if (ranges.size() == protocol::kMaxRanges) return std::make_pair(ranges, false);
    ranges.push_back({seq, seq});
  }
  return std::make_pair(ranges, true);
}

}  // namespace

Result<AckedAbove> Outbox::AckedAboveWatermark() {
  auto watermark = AckedWatermark();
  if (!watermark.ok()) return watermark.status();
  AckedAbove above;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(db_,
                            "SELECT seq FROM outbox WHERE seq>? AND acked_at IS NOT NULL ORDER "
                            "BY seq");
    query.bind(1, static_cast<std::int64_t>(*watermark));
    auto ranges = SeqRangesOf(query);
    above.ranges = std::move(ranges->first);
    above.complete = ranges->second;
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return above;
}

Result<protocol::SeqRanges> Outbox::SentUnacked() {
  protocol::SeqRanges sent;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(db_,
                            "SELECT seq FROM outbox WHERE acked_at IS NULL AND (sent_at IS NOT "
                            "NULL OR relay_held_at > 0) ORDER BY seq");
    sent = SeqRangesOf(query)->first;
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return sent;
}

Result<std::uint64_t> Outbox::AckedWatermark() {
  std::uint64_t watermark = 0;
  Status status = Guarded([&]() -> Status {
    watermark = static_cast<std::uint64_t>(
        db_.execAndGet("SELECT COALESCE((SELECT MIN(seq) - 1 FROM outbox WHERE acked_at IS "
                       "NULL), (SELECT MAX(seq) FROM outbox), 0)")
            .getInt64());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return watermark;
}

Result<std::uint64_t> Outbox::Head() {
  std::uint64_t head = 0;
  Status status = Guarded([&]() -> Status {
    head = static_cast<std::uint64_t>(
        db_.execAndGet("SELECT COALESCE(MAX(seq), 0) FROM outbox").getInt64());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return head;
}

Result<std::uint64_t> Outbox::Requeue(const protocol::SeqRanges& ranges) {
  std::uint64_t count = 0;
  Status status = InTransaction(db_, [&]() -> Status {
    SQLite::Statement update(db_,
                             "UPDATE outbox SET acked_at=NULL WHERE seq BETWEEN ? AND ? AND "
                             "acked_at IS NOT NULL");
    for (const protocol::SeqRange& range : ranges) {
      update.bind(1, static_cast<std::int64_t>(range.first));
      update.bind(2, static_cast<std::int64_t>(std::min<std::uint64_t>(range.last, INT64_MAX)));
      count += static_cast<std::uint64_t>(update.exec());
      update.reset();
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return count;
}

Result<std::uint64_t> Outbox::RequeueAbove(std::uint64_t seq) {
  return Requeue({{seq + 1, static_cast<std::uint64_t>(INT64_MAX)}});
}

Status Outbox::RebaseSequence(std::uint64_t hq_highest) {
  return InTransaction(db_, [&]() -> Status {
    // Renumber in sequence order so that per-task order is kept.
    SQLite::Statement move(db_, std::string("SELECT ") + kRecordColumns +
                                    " FROM outbox WHERE seq<=? AND acked_at IS NULL ORDER BY seq");
    move.bind(1, static_cast<std::int64_t>(hq_highest));
    std::vector<OutboxRecord> records;
    while (move.executeStep()) records.push_back(ReadRecord(move));
    // sqlite_sequence has no row for the outbox until its first insert.
    SQLite::Statement bump(db_, "UPDATE sqlite_sequence SET seq=MAX(seq, ?1) WHERE name='outbox'");
    bump.bind(1, static_cast<std::int64_t>(hq_highest));
    if (bump.exec() == 0) {
      SQLite::Statement create(db_, "INSERT INTO sqlite_sequence(name, seq) VALUES('outbox', ?)");
      create.bind(1, static_cast<std::int64_t>(hq_highest));
      create.exec();
    }
    SQLite::Statement remove(db_, "DELETE FROM outbox WHERE seq=?");
    SQLite::Statement insert(db_,
                             "INSERT INTO outbox(kind, task, body, lane, created_at) "
                             "VALUES(?,?,?,?,?)");
    for (const OutboxRecord& record : records) {
      remove.bind(1, static_cast<std::int64_t>(record.seq));
      remove.exec();
      remove.reset();
      insert.bind(1, record.kind);
      insert.bind(2, record.task);
      insert.bind(3, record.body.dump());
      insert.bind(4, record.lane);
      insert.bind(5, static_cast<std::int64_t>(record.created_at));
      insert.exec();
      insert.reset();
    }
    return Status::Ok();
  });
}

namespace {

// A record's task (outbox.task or attachments.task) belongs to a deployment that still
// has a task open on this laptop.
constexpr char kOpenDeployment[] =
    "EXISTS (SELECT 1 FROM tasks t JOIN tasks o ON o.deployment=t.deployment WHERE t.id=%s "
    "AND o.hq_state NOT IN ('completed','cancelled','reassigned'))";

std::string OpenDeployment(const std::string& column) {
  std::string sql = kOpenDeployment;
  sql.replace(sql.find("%s"), 2, column);
  return sql;
}

}  // namespace

Result<Outbox::Pruned> Outbox::Prune(Millis cutoff) {
  Pruned pruned;
  std::vector<std::string> copies;
  Status status = InTransaction(db_, [&]() -> Status {
    const std::int64_t watermark = db_.execAndGet(
        "SELECT COALESCE((SELECT MIN(seq) - 1 FROM outbox WHERE acked_at IS NULL), "
        "(SELECT MAX(seq) FROM outbox), 0)").getInt64();
    const std::int64_t newest = db_.execAndGet("SELECT COALESCE(MAX(seq), 0) FROM outbox").getInt64();
    // A piece is done with when HQ acknowledged it before the cutoff, at or below the
    // watermark, and it is not the newest record.
    const std::string piece_kept =
        "o.acked_at IS NULL OR o.acked_at >= ?1 OR o.seq > ?2 OR o.seq >= ?3";
    SQLite::Statement files(
        db_, "SELECT a.sha256 FROM attachments a WHERE a.cut=a.size AND a.created_at < ?1 AND NOT " +
                 OpenDeployment("a.task") +
                 " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind='attachment_chunk' AND "
                 "json_extract(o.body, '$.attachment')=a.sha256 AND (" + piece_kept + "))");
    files.bind(1, static_cast<std::int64_t>(cutoff));
    files.bind(2, watermark);
    files.bind(3, newest);
    while (files.executeStep()) copies.push_back(files.getColumn(0).getString());
    SQLite::Statement chunks(db_,
                             "DELETE FROM outbox WHERE kind='attachment_chunk' AND "
                             "json_extract(body, '$.attachment')=?");
    SQLite::Statement file(db_, "DELETE FROM attachments WHERE sha256=?");
    for (const std::string& sha256 : copies) {
      chunks.bind(1, sha256);
      pruned.records += static_cast<std::uint64_t>(chunks.exec());
      chunks.reset();
      file.bind(1, sha256);
      file.exec();
      file.reset();
    }
    SQLite::Statement records(
        db_, "DELETE FROM outbox WHERE kind!='attachment_chunk' AND acked_at IS NOT NULL AND "
             "acked_at < ?1 AND seq <= ?2 AND seq < ?3 AND NOT " +
                 OpenDeployment("outbox.task"));
    records.bind(1, static_cast<std::int64_t>(cutoff));
    records.bind(2, watermark);
    records.bind(3, newest);
    pruned.records += static_cast<std::uint64_t>(records.exec());
    pruned.files = copies.size();
    if (pruned.records > 0) {
      const auto before = std::stoull(Meta(db_, "pruned_records", "0"));
      SetMeta(db_, "pruned_records", std::to_string(before + pruned.records));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  // The copies go once nothing refers to them any more; one that cannot be removed now
  // is left (it is sealed like the store) and named in the log.
  for (const std::string& sha256 : copies) {
    const std::string path = AttachmentPath(data_dir_, sha256, copies_key_);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      Logger("agent")->warn("event=prune_copy_failed path={} error=\"{}\"", path,
                            std::strerror(errno));
    }
  }
  return pruned;
}

Result<OutboxStats> Outbox::Stats() {
  OutboxStats stats;
  Status status = Guarded([&]() -> Status {
    // A file not yet all cut into pieces counts as one record waiting, with the bytes
    // still to cut.
    SQLite::Statement query(
        db_,
        "SELECT COALESCE(SUM(acked_at IS NULL), 0) + (SELECT COUNT(*) FROM attachments WHERE "
        "cut<size), COALESCE(SUM(CASE WHEN acked_at IS NULL THEN length(body) + CASE kind WHEN "
        "'attachment_chunk' THEN json_extract(body, '$.length') ELSE 0 END END), 0) + (SELECT "
        "COALESCE(SUM(size-cut), 0) FROM attachments), COALESCE(SUM(acked_at IS NULL AND "
        "sent_at IS NOT NULL), 0), COALESCE(SUM(acked_at IS NOT NULL), 0), "
        "COALESCE(SUM(refusal != ''), 0), COALESCE(SUM(acked_at IS NULL AND relay_held_at > 0), "
        "0) FROM outbox");
    query.executeStep();
    stats.pending = static_cast<std::uint64_t>(query.getColumn(0).getInt64());
    stats.pending_bytes = static_cast<std::uint64_t>(query.getColumn(1).getInt64());
    stats.sent_unacked = static_cast<std::uint64_t>(query.getColumn(2).getInt64());
    stats.acked = static_cast<std::uint64_t>(query.getColumn(3).getInt64());
    stats.refused = static_cast<std::uint64_t>(query.getColumn(4).getInt64());
    stats.relay_held = static_cast<std::uint64_t>(query.getColumn(5).getInt64());
    stats.acked += std::stoull(Meta(db_, "pruned_records", "0"));  // Prune()
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return stats;
}

}  // namespace muster::agent
