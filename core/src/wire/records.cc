#include "muster/wire/records.h"

#include <array>

#include "body_reader.h"
#include "muster/digest.h"
#include "muster/protocol.h"
#include "muster/wire/packing.h"

namespace muster::wire {
namespace {

constexpr std::array<const char*, 9> kRecordKindNames = {
    "status",    "finding",  "alert",        "trigger", "note", "attachment_chunk",
    "checklist", "position", "watchlist_hit"};
constexpr std::size_t kMaxFileNameBytes = 255;

// The sha256, name and size of a file, with the rules every description follows.
void ReadFile(BodyReader& reader, const char* sha_field, AttachedFile& file) {
  file.sha256 = reader.String(sha_field);
  file.name = reader.String("name");
  file.size = reader.Unsigned("size");
  if (!reader.ok()) return;
  if (!IsSha256Hex(file.sha256)) {
    reader.Fail(
        ErrorCode::kMalformed,
        std::string("'") + sha_field + "' must be the file's sha256 as 64 lowercase hex digits");
  } else if (file.name.empty() || file.name.size() > kMaxFileNameBytes ||
             file.name.find_first_of("/\\") != std::string::npos) {
    reader.Fail(ErrorCode::kMalformed,
                "'name' must be a file name of 1 to 255 bytes without a directory");
  } else if (file.size > protocol::kMaxAttachmentBytes) {
    reader.Fail(ErrorCode::kTooLarge, "an attachment of " + std::to_string(file.size) +
                                          " bytes; the limit is " +
                                          std::to_string(protocol::kMaxAttachmentBytes));
  }
}

json WithTask(json body, const std::string& task) {
  if (!task.empty()) body["task"] = task;
  return body;
}

}  // namespace

json Entry::Encode() const& { return {{"seq", seq}, {"kind", kind}, {"at", at}, {"body", body}}; }

json Entry::Encode() && {
  return {{"seq", seq}, {"kind", std::move(kind)}, {"at", at}, {"body", std::move(body)}};
}

void Entry::Pack(std::string& out, std::uint64_t seq, const std::string& kind, Millis at,
                 std::string_view packed_body) {
  // In to_msgpack's (sorted) key order, so that the bytes are Encode()'s and compress as
  // well against the protocol's dictionary.
  pack::MapHeader(out, 4);
  pack::Value(out, "at");
  pack::Value(out, at);
  pack::Value(out, "body");
  out += packed_body;
  pack::Value(out, "kind");
  pack::Value(out, kind);
  pack::Value(out, "seq");
  pack::Value(out, seq);
}

Entry Entry::FromChecked(const json& element) {
  return {element["seq"].get<std::uint64_t>(), element["kind"].get<std::string>(),
          element["at"].get<Millis>(), element["body"]};
}

const char* RecordKindName(RecordKind kind) {
  return kRecordKindNames[static_cast<std::size_t>(kind)];
}

std::optional<RecordKind> RecordKindFromName(std::string_view name) {
  return KindNamed<RecordKind>(kRecordKindNames, name);
}

json StatusRecord::Encode() const {
  json body = {{"task", task}, {"state", state}};
  if (!reason.empty()) body["reason"] = reason;
  return body;
}

Result<StatusRecord> StatusRecord::Decode(const json& body) {
  BodyReader reader(body, "a status record");
  StatusRecord record;
  record.task = reader.String("task");
  record.state = reader.String("state");
  record.reason = reader.OptionalString("reason");
  return Finish(reader, std::move(record));
}

json FindingRecord::Encode() const {
  json body = {{"task", task}, {"values", values}};
  if (!confirmed.empty()) body["confirmed"] = confirmed;
  if (!marking.empty()) body["marking"] = marking;
  if (!attachments.empty()) {
    json files = json::array();
    for (const AttachedFile& file : attachments) {
      json entry = {{"sha256", file.sha256}, {"name", file.name}, {"size", file.size}};
      if (!file.field.empty()) entry["field"] = file.field;
      files.push_back(std::move(entry));
    }
    body["attachments"] = std::move(files);
  }
  return body;
}

Result<FindingRecord> FindingRecord::Decode(const json& body) {
  BodyReader reader(body, "a finding record");
  FindingRecord record;
  record.task = reader.String("task");
  if (const json* values = reader.Object("values")) record.values = *values;
  record.confirmed = reader.OptionalStrings("confirmed");
  record.marking = reader.OptionalString("marking");
  if (const json* files = reader.OptionalArray("attachments")) {
    for (const json& entry : *files) {
      BodyReader file_reader(entry, "an attachment of a finding");
      AttachedFile file;
      ReadFile(file_reader, "sha256", file);
      file.field = file_reader.OptionalString("field");
      if (!file_reader.ok()) return file_reader.status();
      record.attachments.push_back(std::move(file));
    }
  }
  return Finish(reader, std::move(record));
}

json AlertRecord::Encode() const {
  return WithTask({{"message", message}, {"severity", severity}}, task);
}

Result<AlertRecord> AlertRecord::Decode(const json& body) {
  BodyReader reader(body, "an alert record");
  AlertRecord record;
  record.task = reader.OptionalString("task");
  record.message = reader.OptionalString("message");  // a safety alert is never refused for it
  record.severity = reader.OptionalString("severity", "warning");
  return Finish(reader, std::move(record));
}

json TriggerRecord::Encode() const { return {{"task", task}, {"trigger", trigger}}; }

Result<TriggerRecord> TriggerRecord::Decode(const json& body) {
  BodyReader reader(body, "a trigger record");
  TriggerRecord record;
  record.task = reader.String("task");
  record.trigger = reader.String("trigger");
  return Finish(reader, std::move(record));
}

json NoteRecord::Encode() const { return WithTask({{"text", text}}, task); }

Result<NoteRecord> NoteRecord::Decode(const json& body) {
  BodyReader reader(body, "a note record");
  NoteRecord record;
  record.task = reader.OptionalString("task");
  record.text = reader.String("text");
  return Finish(reader, std::move(record));
}

json WatchlistHitRecord::Encode() const {
  return {{"task", task},       {"notice", notice}, {"score_milli", score_milli},
          {"document", document}, {"person", person}, {"explanation", explanation}};
}

Result<WatchlistHitRecord> WatchlistHitRecord::Decode(const json& body) {
  BodyReader reader(body, "a watchlist hit record");
  WatchlistHitRecord record;
  record.task = reader.String("task");
  record.notice = reader.String("notice");
  record.score_milli = reader.Unsigned("score_milli");
  record.document = reader.OptionalBool("document", false);
  record.person = reader.String("person");
  record.explanation = reader.OptionalString("explanation");
  if (reader.ok() && record.score_milli > 1000) {
    reader.Fail(ErrorCode::kMalformed, "a watchlist hit's score_milli is at most 1000");
  }
  return Finish(reader, std::move(record));
}

json PositionRecord::Encode() const { return {{"place", place}}; }

Result<PositionRecord> PositionRecord::Decode(const json& body) {
  BodyReader reader(body, "a position record");
  PositionRecord record;
  record.place = reader.String("place");
  return Finish(reader, std::move(record));
}

json ChecklistRecord::Encode() const {
  return {{"task", task}, {"item", item}, {"checked", checked}};
}

Result<ChecklistRecord> ChecklistRecord::Decode(const json& body) {
  BodyReader reader(body, "a checklist record");
  ChecklistRecord record;
  record.task = reader.String("task");
  record.item = reader.Unsigned("item");
  record.checked = reader.OptionalBool("checked", true);
  return Finish(reader, std::move(record));
}

json AttachmentPiece::Description() const {
  json body = {{"task", task}, {"attachment", attachment}, {"offset", offset}, {"length", length}};
  if (!sha256.empty()) body["sha256"] = sha256;
  if (!damaged.empty()) body["damaged"] = damaged;
  if (!name.empty()) body["name"] = name;
  if (size != 0 || !name.empty()) body["size"] = size;
  return body;
}

json AttachmentPiece::Encode() const {
  json body = Description();
  if (data) body["data"] = json::binary_t(std::vector<std::uint8_t>(data->begin(), data->end()));
  return body;
}

Result<AttachmentPiece> AttachmentPiece::DecodeCut(const json& body) {
  BodyReader reader(body, "an attachment piece");
  AttachmentPiece piece;
  piece.task = reader.String("task");
  piece.attachment = reader.String("attachment");
  piece.offset = reader.Unsigned("offset");
  piece.length = reader.Unsigned("length");
  piece.sha256 = reader.OptionalString("sha256");
  piece.damaged = reader.OptionalString("damaged");
  return Finish(reader, std::move(piece));
}

Result<AttachmentPiece> AttachmentPiece::Decode(const json& body) {
  BodyReader reader(body, "an attachment piece");
  AttachmentPiece piece;
  piece.task = reader.String("task");
  AttachedFile file;
  ReadFile(reader, "attachment", file);
  piece.attachment = file.sha256;
  piece.name = file.name;
  piece.size = file.size;
  piece.damaged = reader.OptionalString("damaged");
  if (!reader.ok()) return reader.status();
  if (body.contains("offset") || !body.contains("index")) {
    piece.offset = reader.Unsigned("offset");
  } else {
    // An agent older than pieces: fixed chunks named by their index.
    const std::uint64_t index = reader.Unsigned("index");
    const std::uint64_t chunk_bytes = reader.Unsigned("chunk_bytes");
    if (!reader.ok()) return reader.status();
    if (chunk_bytes == 0 || chunk_bytes > protocol::kMaxAttachmentChunkBytes ||
        index > protocol::kMaxAttachmentBytes / chunk_bytes) {
      return Status::Error(ErrorCode::kMalformed,
                           "'index' and 'chunk_bytes' name no place in a file");
    }
    piece.offset = index * chunk_bytes;
  }
  if (!piece.damaged.empty()) return Finish(reader, std::move(piece));
  auto data = body.find("data");
  if (data == body.end() || !data->is_binary()) {
    return Status::Error(ErrorCode::kMalformed,
                         "'data' must be the piece's bytes (MessagePack bin)");
  }
  const auto& bytes = data->get_binary();
  piece.data = std::string(bytes.begin(), bytes.end());
  piece.length = bytes.size();
  piece.sha256 = reader.OptionalString("sha256");
  return Finish(reader, std::move(piece));
}

}  // namespace muster::wire
