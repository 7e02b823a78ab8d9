#include "muster/protocol.h"

#include <zstd.h>

#include "protocol_dictionary.h"

#include <algorithm>
#include <memory>
#include <initializer_list>
#include <utility>
#include <vector>

namespace muster::protocol {
namespace {

using nlohmann::json;

enum class Kind { kString, kUnsigned, kArray, kObject, kAny };

struct FieldRule {
  const char* name;
  Kind kind;
};

bool Matches(const json& value, Kind kind) {
  switch (kind) {
    case Kind::kString: return value.is_string();
    case Kind::kUnsigned: return value.is_number_unsigned() ||
                                 (value.is_number_integer() && value.get<std::int64_t>() >= 0);
    case Kind::kArray: return value.is_array();
    case Kind::kObject: return value.is_object();
    case Kind::kAny: return true;
  }
  return false;
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kString: return "a string";
    case Kind::kUnsigned: return "an unsigned integer";
    case Kind::kArray: return "an array";
    case Kind::kObject: return "a map";
    case Kind::kAny: return "a value";
  }
  return "a value";
}

Status CheckFields(const json& body, std::initializer_list<FieldRule> rules) {
  for (const FieldRule& rule : rules) {
    auto it = body.find(rule.name);
    if (it == body.end()) {
      return Status::Error(ErrorCode::kMalformed, std::string("missing field '") + rule.name + "'");
    }
    if (!Matches(*it, rule.kind)) {
      return Status::Error(ErrorCode::kMalformed,
                           std::string("field '") + rule.name + "' must be " + KindName(rule.kind));
    }
  }
  return Status::Ok();
}

// Each element of body[name] must be a map with the given fields.
Status CheckEntries(const json& body, const char* name, std::initializer_list<FieldRule> rules,
                    const Limits& limits) {
  const json& entries = body.at(name);
  if (entries.size() > limits.max_batch_records) {
    return Status::Error(ErrorCode::kTooLarge,
                         std::string("'") + name + "' holds " + std::to_string(entries.size()) +
                             " entries; the limit is " + std::to_string(limits.max_batch_records));
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].is_object()) {
      return Status::Error(ErrorCode::kMalformed,
                           std::string(name) + "[" + std::to_string(i) + "] must be a map");
    }
    Status status = CheckFields(entries[i], rules);
    if (!status.ok()) {
      return Status::Error(status.code(),
                           std::string(name) + "[" + std::to_string(i) + "]: " + status.message());
    }
  }
  return Status::Ok();
}

Status CheckBody(MessageType type, const json& body, const Limits& limits) {
  switch (type) {
    case MessageType::kHello:
      return CheckFields(body, {{"agent", Kind::kString},
                                {"acked", Kind::kUnsigned},
                                {"applied", Kind::kUnsigned},
                                {"head", Kind::kUnsigned}});
    case MessageType::kWelcome:
      return CheckFields(body, {{"hq", Kind::kString},
                                {"ingested", Kind::kUnsigned},
                                {"highest", Kind::kUnsigned},
                                {"time", Kind::kUnsigned}});
    case MessageType::kRecords: {
      MUSTER_RETURN_IF_ERROR(CheckFields(body, {{"records", Kind::kArray}}));
      return CheckEntries(body, "records",
                          {{"seq", Kind::kUnsigned},
                           {"kind", Kind::kString},
                           {"at", Kind::kUnsigned},
                           {"body", Kind::kObject}},
                          limits);
    }
    case MessageType::kAck:
      return CheckFields(body, {{"seqs", Kind::kArray}, {"ingested", Kind::kUnsigned}});
    case MessageType::kDeliver: {
      MUSTER_RETURN_IF_ERROR(CheckFields(body, {{"deliveries", Kind::kArray}}));
      return CheckEntries(body, "deliveries",
                          {{"seq", Kind::kUnsigned},
                           {"kind", Kind::kString},
                           {"at", Kind::kUnsigned},
                           {"body", Kind::kObject}},
                          limits);
    }
    case MessageType::kDelivered:
      return CheckFields(body, {{"applied", Kind::kUnsigned}});
    case MessageType::kPing:
    case MessageType::kPong:
      return CheckFields(body, {{"time", Kind::kUnsigned}});
    case MessageType::kError:
      return CheckFields(body, {{"code", Kind::kString}, {"message", Kind::kString}});
    case MessageType::kWipe:
      return CheckFields(body, {{"order", Kind::kString}});
    case MessageType::kWiped:
      return CheckFields(body, {{"agent", Kind::kString}, {"order", Kind::kString}});
    case MessageType::kRelayed: {
      MUSTER_RETURN_IF_ERROR(CheckFields(body, {{"records", Kind::kArray}}));
      return CheckEntries(body, "records",
                          {{"agent", Kind::kString},
                           {"seq", Kind::kUnsigned},
                           {"kind", Kind::kString},
                           {"at", Kind::kUnsigned},
                           {"body", Kind::kObject},
                           {"auth", Kind::kString}},
                          limits);
    }
    case MessageType::kRelayAck:
      MUSTER_RETURN_IF_ERROR(CheckFields(body, {{"held", Kind::kArray}}));
      return CheckEntries(body, "held", {{"agent", Kind::kString}, {"seqs", Kind::kArray}}, limits);
    case MessageType::kSite:
      MUSTER_RETURN_IF_ERROR(CheckFields(body, {{"time", Kind::kUnsigned}, {"teams", Kind::kArray}}));
      return CheckEntries(body, "teams", {{"deployment", Kind::kUnsigned}, {"tasks", Kind::kArray}},
                          limits);
  }
  return Status::Error(ErrorCode::kUnknownType, "unknown message type");
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF;
// what the JSON library accepts when it writes the body as text.
bool ValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<std::uint8_t>(text[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint8_t low = 0x80, high = 0xbf;  // the range of the second byte
    if (b >= 0xc2 && b <= 0xdf) {
      length = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b == 0xe0) low = 0xa0;   // overlong
      if (b == 0xed) high = 0x9f;  // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b == 0xf0) low = 0x90;   // overlong
      if (b == 0xf4) high = 0x8f;  // above U+10FFFF
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    const auto second = static_cast<std::uint8_t>(text[i + 1]);
    if (second < low || second > high) return false;
    for (std::size_t k = 2; k < length; ++k) {
      const auto next = static_cast<std::uint8_t>(text[i + k]);
      if (next < 0x80 || next > 0xbf) return false;
    }
    i += length;
  }
  return true;
}

// Walks a MessagePack value without recursion and checks that it is complete, nests at
// most |max_depth| levels, claims no more elements than there are bytes left and holds
// only strings that are UTF-8. The
// JSON library's own reader recurses, so a hostile frame of a million nested arrays would
// exhaust the stack if handed to it unchecked.
Status CheckMsgpackShape(std::string_view data, std::size_t max_depth) {
  std::vector<std::uint64_t> open{1};  // elements still expected at each level
  std::size_t pos = 0;
  auto need = [&](std::uint64_t n) { return n <= data.size() - pos; };
  auto read_be = [&](int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<std::uint8_t>(data[pos++]);
    return v;
  };
  const Status truncated = Status::Error(ErrorCode::kMalformed, "body ends inside a value");
  while (!open.empty()) {
    if (open.back() == 0) {
      open.pop_back();
      continue;
    }
    --open.back();
    if (!need(1)) return truncated;
    const auto b = static_cast<std::uint8_t>(data[pos++]);
    std::uint64_t skip = 0;      // payload bytes to skip
    std::uint64_t children = 0;  // nested elements that follow
    int len_bytes = 0;           // size of a length prefix to read
    bool is_map = false, is_array = false;
    const bool is_string = (b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb);
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
    } else if (b >= 0x80 && b <= 0x8f) {
      children = 2u * (b & 0x0f);
    } else if (b >= 0x90 && b <= 0x9f) {
      children = b & 0x0f;
    } else if (b >= 0xa0 && b <= 0xbf) {
      skip = b & 0x1f;
    } else {
      switch (b) {
        case 0xc4: case 0xd9: len_bytes = 1; break;
        case 0xc5: case 0xda: len_bytes = 2; break;
        case 0xc6: case 0xdb: len_bytes = 4; break;
        case 0xc7: len_bytes = 1; skip = 1; break;
        case 0xc8: len_bytes = 2; skip = 1; break;
        case 0xc9: len_bytes = 4; skip = 1; break;
        case 0xca: skip = 4; break;
        case 0xcb: skip = 8; break;
        case 0xcc: case 0xd0: skip = 1; break;
        case 0xcd: case 0xd1: skip = 2; break;
        case 0xce: case 0xd2: skip = 4; break;
        case 0xcf: case 0xd3: skip = 8; break;
        case 0xd4: skip = 2; break;
        case 0xd5: skip = 3; break;
        case 0xd6: skip = 5; break;
        case 0xd7: skip = 9; break;
        case 0xd8: skip = 17; break;
        case 0xdc: len_bytes = 2; is_array = true; break;
        case 0xdd: len_bytes = 4; is_array = true; break;
        case 0xde: len_bytes = 2; is_map = true; break;
        case 0xdf: len_bytes = 4; is_map = true; break;
        default:
          return Status::Error(ErrorCode::kMalformed,
                               "invalid MessagePack byte " + std::to_string(b));
      }
    }
    if (len_bytes > 0) {
      if (!need(static_cast<std::uint64_t>(len_bytes))) return truncated;
      const std::uint64_t n = read_be(len_bytes);
      if (is_array) children = n;
      else if (is_map) children = 2 * n;
      else skip += n;
    }
    if (!need(skip)) return truncated;
    if (is_string && !ValidUtf8(data.substr(pos, static_cast<std::size_t>(skip)))) {
      return Status::Error(ErrorCode::kMalformed, "body holds a string that is not valid UTF-8");
    }
    pos += static_cast<std::size_t>(skip);
    if (children > 0) {
      if (!need(children)) return truncated;  // every element takes at least one byte
      if (open.size() > max_depth) {  // open[0] is the top-level value, not a level
        return Status::Error(ErrorCode::kMalformed,
                             "body nests deeper than " + std::to_string(max_depth) + " levels");
      }
      open.push_back(children);
    }
  }
  if (pos != data.size()) {
    return Status::Error(ErrorCode::kMalformed, "trailing bytes after the body");
  }
  return Status::Ok();
}

bool KnownType(std::uint8_t code) {
  return code >= static_cast<std::uint8_t>(MessageType::kHello) &&
         code <= static_cast<std::uint8_t>(MessageType::kSite);
}

// The dictionary, digested once for each direction; shared by every thread (zstd's
// digested dictionaries are read-only), with one working context per thread.
const ZSTD_CDict* CompressDictionary() {
  static ZSTD_CDict* const dictionary =
      ZSTD_createCDict(DictionaryV1().data(), DictionaryV1().size(), 3);
  return dictionary;
}

const ZSTD_DDict* DecompressDictionary() {
  static ZSTD_DDict* const dictionary =
      ZSTD_createDDict(DictionaryV1().data(), DictionaryV1().size());
  return dictionary;
}

Result<std::string> Decompress(std::string_view data, bool with_dictionary,
                               const Limits& limits) {
  const unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Status::Error(ErrorCode::kMalformed, "compressed body is not a sized zstd frame");
  }
  if (size > limits.max_body_bytes) {
    return Status::Error(ErrorCode::kTooLarge, "body expands to " + std::to_string(size) +
                                                   " bytes; the limit is " +
                                                   std::to_string(limits.max_body_bytes));
  }
  std::string out(static_cast<std::size_t>(size), '\0');
  thread_local std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(ZSTD_createDCtx(),
                                                                             ZSTD_freeDCtx);
  const std::size_t got =
      with_dictionary
          ? ZSTD_decompress_usingDDict(context.get(), out.data(), out.size(), data.data(),
                                       data.size(), DecompressDictionary())
          : ZSTD_decompressDCtx(context.get(), out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(got) || got != size) {
    return Status::Error(ErrorCode::kMalformed, "compressed body is damaged");
  }
  return out;
}

}  // namespace

const char* ToString(MessageType type) {
  switch (type) {
    case MessageType::kHello: return "HELLO";
    case MessageType::kWelcome: return "WELCOME";
    case MessageType::kRecords: return "RECORDS";
    case MessageType::kAck: return "ACK";
    case MessageType::kDeliver: return "DELIVER";
    case MessageType::kDelivered: return "DELIVERED";
    case MessageType::kPing: return "PING";
    case MessageType::kPong: return "PONG";
    case MessageType::kError: return "ERROR";
    case MessageType::kWipe: return "WIPE";
    case MessageType::kWiped: return "WIPED";
    case MessageType::kRelayed: return "RELAYED";
    case MessageType::kRelayAck: return "RELAY_ACK";
    case MessageType::kSite: return "SITE";
  }
  return "UNKNOWN";
}

std::string Encode(const Message& message) {
  if (!message.frame.empty()) return message.frame;
  std::string payload;
  json::to_msgpack(message.body, payload);
  return EncodePacked(message.type, std::move(payload));
}

std::string EncodePacked(MessageType type, std::string payload) {
  std::uint8_t flags = 0;
  if (payload.size() > kCompressAbove) {
    std::string compressed(ZSTD_compressBound(payload.size()), '\0');
    thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> context(
        ZSTD_createCCtx(), ZSTD_freeCCtx);
    const std::size_t n =
        ZSTD_compress_usingCDict(context.get(), compressed.data(), compressed.size(),
                                 payload.data(), payload.size(), CompressDictionary());
    if (!ZSTD_isError(n) && n < payload.size()) {
      compressed.resize(n);
      payload = std::move(compressed);
      flags |= kFlagCompressed | kFlagDictionary;
    }
  }
  std::string frame;
  frame.reserve(kHeaderBytes + payload.size());
  frame.push_back(static_cast<char>(kProtocolVersion));
  frame.push_back(static_cast<char>(type));
  frame.push_back(static_cast<char>(flags));
  frame += payload;
  return frame;
}

Result<Unframed> Unframe(std::string_view frame, const Limits& limits) {
  if (frame.size() > limits.max_frame_bytes) {
    return Status::Error(ErrorCode::kTooLarge, "message of " + std::to_string(frame.size()) +
                                                   " bytes; the limit is " +
                                                   std::to_string(limits.max_frame_bytes));
  }
  if (frame.size() < kHeaderBytes) {
    return Status::Error(ErrorCode::kMalformed, "message shorter than its 3-byte header");
  }
  const auto version = static_cast<std::uint8_t>(frame[0]);
  if (version != kProtocolVersion) {
    return Status::Error(ErrorCode::kUnsupportedVersion,
                         "protocol version " + std::to_string(version) +
                             " is not supported; this side speaks version " +
                             std::to_string(kProtocolVersion));
  }
  const auto code = static_cast<std::uint8_t>(frame[1]);
  if (!KnownType(code)) {
    return Status::Error(ErrorCode::kUnknownType, "unknown message type " + std::to_string(code));
  }
  const auto flags = static_cast<std::uint8_t>(frame[2]);
  if ((flags & ~(kFlagCompressed | kFlagDictionary)) != 0 ||
      flags == kFlagDictionary) {
    return Status::Error(ErrorCode::kMalformed, "unknown flags " + std::to_string(flags));
  }
  Unframed unframed;
  unframed.type = static_cast<MessageType>(code);
  const std::string_view payload = frame.substr(kHeaderBytes);
  if (flags & kFlagCompressed) {
    Result<std::string> plain = Decompress(payload, (flags & kFlagDictionary) != 0, limits);
    if (!plain.ok()) return plain.status();
    unframed.payload = std::move(plain).value();
  } else {
    unframed.payload = payload;
  }
  return unframed;
}

Result<Message> Decode(std::string_view frame, const Limits& limits) {
  Result<Unframed> unframed = Unframe(frame, limits);
  if (!unframed.ok()) return unframed.status();
  const std::string_view payload = unframed->payload;
  // The shape check also refuses strings that are not UTF-8: the reader does not check
  // them, but every consumer turns bodies into JSON text (stores, logs), which throws on
  // invalid UTF-8.
  MUSTER_RETURN_IF_ERROR(CheckMsgpackShape(payload, limits.max_depth));
  Message message;
  message.type = unframed->type;
  // allow_exceptions=false: a malformed body yields a "discarded" value, not a throw.
  message.body = json::from_msgpack(payload.begin(), payload.end(), /*strict=*/true,
                                    /*allow_exceptions=*/false);
  if (message.body.is_discarded() || !message.body.is_object()) {
    return Status::Error(ErrorCode::kMalformed, "body is not a MessagePack map");
  }
  Status status = CheckBody(message.type, message.body, limits);
  if (!status.ok()) {
    return Status::Error(status.code(),
                         std::string(ToString(message.type)) + ": " + status.message());
  }
  return message;
}

Message MakeError(ErrorCode code, const std::string& message, const json& ref) {
  Message error{MessageType::kError, {{"code", WireName(code)}, {"message", message}}};
  if (!ref.is_null()) error.body["ref"] = ref;
  return error;
}

SeqRanges ToRanges(std::vector<std::uint64_t> seqs) {
  std::sort(seqs.begin(), seqs.end());
  SeqRanges ranges;
  for (std::uint64_t seq : seqs) {
    if (!ranges.empty() && seq <= ranges.back().last + 1) {
      ranges.back().last = std::max(ranges.back().last, seq);
    } else {
      ranges.push_back({seq, seq});
    }
  }
  return ranges;
}

std::uint64_t CountOf(const SeqRanges& ranges) {
  std::uint64_t count = 0;
  for (const SeqRange& range : ranges) count += range.last - range.first + 1;
  return count;
}

json RangesToJson(const SeqRanges& ranges) {
  json list = json::array();
  for (const SeqRange& range : ranges) list.push_back({range.first, range.last});
  return list;
}

Result<SeqRanges> RangesFromJson(const json& body, const char* name) {
  SeqRanges ranges;
  auto it = body.find(name);
  if (it == body.end()) return ranges;
  const auto bad = [&](const std::string& why) {
    return Status::Error(ErrorCode::kMalformed, std::string("field '") + name + "' " + why);
  };
  if (!it->is_array()) return bad("must be an array of [first, last] pairs");
  if (it->size() > kMaxRanges) {
    return bad("names " + std::to_string(it->size()) + " ranges; the limit is " +
               std::to_string(kMaxRanges));
  }
  for (const json& pair : *it) {
    if (!pair.is_array() || pair.size() != 2 || !Matches(pair[0], Kind::kUnsigned) ||
        !Matches(pair[1], Kind::kUnsigned)) {
      return bad("must hold [first, last] pairs of unsigned integers");
    }
    const auto first = pair[0].get<std::uint64_t>();
    const auto last = pair[1].get<std::uint64_t>();
    if (first > last || (!ranges.empty() && first <= ranges.back().last)) {
      return bad("must hold ascending, disjoint ranges with first <= last");
    }
    ranges.push_back({first, last});
  }
  return ranges;
}

}  // namespace muster::protocol
