// The wire protocol between muster-agent (DEALER) and muster-coordinator (ROUTER).
// docs/protocol.md is the specification; this is its codec. Every message is one ZeroMQ
// frame:
//
//   byte 0   protocol version (kProtocolVersion)
//   byte 1   message type (MessageType)
//   byte 2   flags: bit 0 set = the body is zstd-compressed
//   byte 3.. body: one MessagePack map (after decompression when flagged)
//
// Decode never throws and never trusts its input: sizes are checked before anything is
// allocated, the body must be a map, and each type's required fields must be present
// with the right types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "muster/error_code.h"
#include "muster/result.h"

namespace muster::protocol {

inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::size_t kHeaderBytes = 3;
inline constexpr std::uint8_t kFlagCompressed = 0x01;
// With kFlagCompressed: compressed with the protocol's zstd dictionary (version 1).
inline constexpr std::uint8_t kFlagDictionary = 0x02;

enum class MessageType : std::uint8_t {
  kHello = 0x01,      // agent → HQ: opens a session, states the agent's cursors
  kWelcome = 0x02,    // HQ → agent: HQ's cursors for this agent
  kRecords = 0x03,    // agent → HQ: a batch of outbox records
  kAck = 0x04,        // HQ → agent: these records are committed at HQ
  kDeliver = 0x05,    // HQ → agent: a batch of deliveries (assignments, playbooks, …)
  kDelivered = 0x06,  // agent → HQ: deliveries committed up to a sequence
  kPing = 0x07,       // either way: heartbeat
  kPong = 0x08,       // either way: heartbeat answer
  kError = 0x09,      // HQ → agent: a request was refused
  kWipe = 0x0a,       // HQ → agent: an order, sealed by HQ's key, to destroy the laptop's data
  kWiped = 0x0b,      // agent → HQ: the order was carried out
  // The team's field relay (docs/protocol.md §9):
  kRelayed = 0x0c,    // relay → HQ: members' records, each with its author's tag
  kRelayAck = 0x0d,   // HQ → relay: which of them HQ now holds
  kSite = 0x0e,       // relay → member: the team's state as known on site
};

const char* ToString(MessageType type);

struct Limits {
  std::size_t max_frame_bytes = 2u << 20;  // on the wire, compressed
  std::size_t max_body_bytes = 8u << 20;   // after decompression
  std::size_t max_batch_records = 1000;    // records or deliveries in one message
  std::size_t max_depth = 16;              // nesting of maps and arrays in a body
};

struct Message {
  MessageType type = MessageType::kPing;
  nlohmann::json body = nlohmann::json::object();
  // The frame Encode() made of this message, kept by a sender that measured it before
  // sending it (empty: not encoded yet); Encode() then returns it as it is. Set it only
  // once the body is final.
  std::string frame = {};
};

// What ZMTP and CURVE add to every message on the wire: the frame header (2 bytes for a
// short frame), the MESSAGE command name (8), its nonce (8), and the box's MAC (16) and
// flags (1). Both sides count it when they measure a link.
inline constexpr std::size_t kCurveOverheadBytes = 35;

// Bodies above this size are offered to zstd (with the dictionary, which pays even for a
// PING); the compressed form is kept when smaller.
inline constexpr std::size_t kCompressAbove = 8;

// The largest single record or delivery body a sender may put in a message. Senders
// split batches so that a message stays near their batch size, and no single entry
// exceeds this, so every message fits max_frame_bytes even uncompressed.
inline constexpr std::size_t kMaxEntryBytes = 1u << 20;

// The largest record body a member can make: its JSON text (`body.dump()`), as the agent
// measures it at entry and HQ at ingest, where a longer one is refused `too_large`. An
// `attachment_chunk` is measured without its `data`, whose bytes kMaxAttachmentChunkBytes
// bounds.
inline constexpr std::size_t kMaxRecordBodyBytes = 64u << 10;

// Attachments (photos, spectra, documents) travel as records of kind `attachment_chunk`,
// each carrying one piece of the file (at a byte offset, sized by the agent to its link)
// and its sha256; the whole file's sha256 is checked at HQ once the pieces cover it. A
// piece is the unit of resumption: a link that drops mid-file costs at most the batch in
// flight.
inline constexpr std::size_t kMaxAttachmentChunkBytes = 256u << 10;  // the largest piece
inline constexpr std::uint64_t kMaxAttachmentBytes = 64u << 20;

std::string Encode(const Message& message);
// The frame of a message whose body is already MessagePack (Encode packs the body, then
// frames it with this). A sender that packs a body from pieces packed once (HQ's DELIVER,
// whose team-wide bodies go to many agents) frames it with this; its Message then holds
// the frame only.
std::string EncodePacked(MessageType type, std::string payload);
Result<Message> Decode(std::string_view frame, const Limits& limits = {});
// A frame's header checked and its body decompressed, not yet parsed: the first half of
// Decode, for a reader that scans the MessagePack body itself.
struct Unframed {
  MessageType type = MessageType::kPing;
  std::string payload;  // MessagePack
};
Result<Unframed> Unframe(std::string_view frame, const Limits& limits = {});

// Task states as the team relay codes them in its changes (docs/protocol.md §4): a
// change's state is its index here. Append only.
inline const std::vector<std::string>& TeamStates() {
  static const std::vector<std::string> kStates = {
      "waiting",   "ready",   "acknowledged", "in_progress", "completed",
      "blocked",   "cancelled", "reassigned", "dormant"};
  return kStates;
}

// Runs of record sequence numbers, [first, last] inclusive, ascending and disjoint: how
// HELLO and WELCOME name sets of records compactly (docs/protocol.md §3).
struct SeqRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  bool operator==(const SeqRange&) const = default;
};
using SeqRanges = std::vector<SeqRange>;
// A message names at most this many ranges per field; a sender with more lists the
// lowest ones and says so (a HELLO's `acked_above_complete`).
inline constexpr std::size_t kMaxRanges = 256;

// |seqs| (any order, duplicates allowed) as ranges.
SeqRanges ToRanges(std::vector<std::uint64_t> seqs);
std::uint64_t CountOf(const SeqRanges& ranges);
// [[first, last], ...]
nlohmann::json RangesToJson(const SeqRanges& ranges);
// The optional field |name| of |body| as ranges (absent: none). Malformed ranges (not
// pairs of unsigned integers, first > last, overlapping or out of order, more than
// kMaxRanges) are an error naming the field.
Result<SeqRanges> RangesFromJson(const nlohmann::json& body, const char* name);

// Convenience constructors for the bodies both sides build often.
Message MakeError(ErrorCode code, const std::string& message, const nlohmann::json& ref = nullptr);

}  // namespace muster::protocol
