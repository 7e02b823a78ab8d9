// The records an agent sends HQ, one struct per kind (docs/protocol.md §4). The agent
// builds them, HQ reads them, tests and benchmarks use them: nobody writes a record's
// JSON by hand. Each struct has Encode() (the body as it travels, a MessagePack map) and
// a Decode() that never throws, checks every field's type and names the first field that
// is wrong ("malformed"). Checks of meaning (is the task the member's, is the value in
// range) stay with the receiver.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "muster/clock.h"
#include "muster/result.h"

namespace muster::wire {

using nlohmann::json;

// One entry of a RECORDS or DELIVER message: its sequence, kind, when it was made and
// its body. Both directions use it; the body is decoded by kind with the structs below.
struct Entry {
  std::uint64_t seq = 0;
  std::string kind;
  Millis at = 0;
  json body = json::object();
  // {seq, kind, at, body}: one element of the message's list. The second takes the body
  // instead of copying it.
  [[nodiscard]] json Encode() const&;
  [[nodiscard]] json Encode() &&;
  // The same element with a body already packed (wire/packing.h), appended to |out|.
  static void Pack(std::string& out, std::uint64_t seq, const std::string& kind, Millis at,
                   std::string_view packed_body);
  // An element that protocol::Decode has checked (its four fields have their types).
  [[nodiscard]] static Entry FromChecked(const json& element);
};

// Record kinds. The wire names are RecordKindName's; append only.
enum class RecordKind {
  kStatus,
  kFinding,
  kAlert,
  kTrigger,
  kNote,
  kAttachmentChunk,
  kChecklist,
  kPosition,
  kWatchlistHit
};
[[nodiscard]] const char* RecordKindName(RecordKind kind);
// nullopt for a kind this build does not know.
[[nodiscard]] std::optional<RecordKind> RecordKindFromName(std::string_view name);

// A member changed a task's state.
struct StatusRecord {
  static constexpr RecordKind kKind = RecordKind::kStatus;
  std::string task;
  std::string state;
  std::string reason;  // empty: none given
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<StatusRecord> Decode(const json& body);
};

// A file a finding refers to; its bytes follow as attachment_chunk records.
struct AttachedFile {
  std::string sha256;  // of the whole file, 64 lowercase hex digits
  std::string name;
  std::uint64_t size = 0;
  std::string field;  // the attachment field it fills; empty: attached to the finding
};

// Values a member recorded for a task's finding fields.
struct FindingRecord {
  static constexpr RecordKind kKind = RecordKind::kFinding;
  std::string task;
  json values = json::object();        // field id -> number, string or boolean
  std::vector<std::string> confirmed;  // fields whose out-of-range values were confirmed
  std::vector<AttachedFile> attachments;
  std::string marking;  // a marking the member raised the step's to (playbook/marking.h)
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<FindingRecord> Decode(const json& body);
};

// A safety alert raised by a member.
struct AlertRecord {
  static constexpr RecordKind kKind = RecordKind::kAlert;
  std::string task;  // empty: not about one task
  std::string message;
  std::string severity;  // info | warning | critical
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<AlertRecord> Decode(const json& body);
};

// A playbook trigger the agent saw fire on the member's findings.
struct TriggerRecord {
  static constexpr RecordKind kKind = RecordKind::kTrigger;
  std::string task;
  std::string trigger;
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<TriggerRecord> Decode(const json& body);
};

// Free text from a member.
struct NoteRecord {
  static constexpr RecordKind kKind = RecordKind::kNote;
  std::string task;  // empty: not about one task
  std::string text;
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<NoteRecord> Decode(const json& body);
};

// A member ticked (or unticked) one item of a task's checklist. |item| counts from 1 in
// the order of the step's `checklist` in the playbook the task was deployed with.
struct ChecklistRecord {
  static constexpr RecordKind kKind = RecordKind::kChecklist;
  std::string task;
  std::uint64_t item = 0;
  bool checked = true;
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<ChecklistRecord> Decode(const json& body);
};

// Where the member is: a check-in with a position, as `latitude,longitude` in decimal
// degrees (WGS 84), the geolocation field's format (playbook/fields.h).
struct PositionRecord {
  static constexpr RecordKind kKind = RecordKind::kPosition;
  std::string place;
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<PositionRecord> Decode(const json& body);
};

// A person the member recorded matched an entry of the deployment's watchlist on the
// laptop (watchlist/matcher.h): it travels in the safety lane, ahead of everything else.
struct WatchlistHitRecord {
  static constexpr RecordKind kKind = RecordKind::kWatchlistHit;
  std::string task;
  std::string notice;          // the entry's notice id
  std::uint64_t score_milli = 0;  // the match's score × 1000
  bool document = false;       // the document number matched
  std::string person;          // the person as recorded (the person field's text)
  std::string explanation;     // the matcher's sentence
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<WatchlistHitRecord> Decode(const json& body);
};

// One piece of an attached file. The outbox keeps only the cut (task, attachment,
// offset, length, sha256 or damaged); name, size and data are filled in when it is sent.
struct AttachmentPiece {
  static constexpr RecordKind kKind = RecordKind::kAttachmentChunk;
  std::string task;
  std::string attachment;  // the whole file's sha256
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::string sha256;   // of this piece's bytes
  std::string damaged;  // non-empty: the agent cannot read its copy; no data follows
  std::string name;
  std::uint64_t size = 0;
  std::optional<std::string> data;  // the piece's bytes (MessagePack bin)
  // Agents older than pieces cut fixed chunks and name their place as index ×
  // chunk_bytes; Decode turns that into |offset|.
  [[nodiscard]] json Encode() const;
  [[nodiscard]] static Result<AttachmentPiece> Decode(const json& body);
  // The cut as the agent's outbox keeps it (no name, size or data yet).
  [[nodiscard]] static Result<AttachmentPiece> DecodeCut(const json& body);
  // The body without its bytes: what the inbound log keeps and the record limit measures.
  [[nodiscard]] json Description() const;
};

// The outbox entry of a typed record (any of the structs above).
template <typename T>
[[nodiscard]] Entry MakeEntry(std::uint64_t seq, Millis at, const T& record) {
  return {seq, RecordKindName(T::kKind), at, record.Encode()};
}

}  // namespace muster::wire
