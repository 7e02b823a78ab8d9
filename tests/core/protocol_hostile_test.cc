// The codec on hostile frames: each is refused with the right error code, nothing crashes,
// nothing large is allocated on a frame's say-so.
#include <gtest/gtest.h>
#include <zstd.h>

#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "muster/protocol.h"

namespace muster::protocol {
namespace {

using nlohmann::json;

std::string Header(MessageType type, std::uint8_t flags = 0) {
  return std::string{static_cast<char>(kProtocolVersion), static_cast<char>(type),
                     static_cast<char>(flags)};
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

std::string Msgpack(const json& body) {
  std::vector<std::uint8_t> bytes = json::to_msgpack(body);
  return std::string(bytes.begin(), bytes.end());
}

std::string Zstd(const std::string& plain) {
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), plain.data(), plain.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// A plain (uncompressed) frame with the given body, whatever Encode would do.
std::string PlainFrame(MessageType type, const json& body) { return Header(type) + Msgpack(body); }

::testing::AssertionResult RefusedWith(const Result<Message>& result, ErrorCode code) {
  if (result.ok()) {
    return ::testing::AssertionFailure()
           << "accepted: " << result->body.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (result.status().code() != code) {
    return ::testing::AssertionFailure() << "refused with " << result.status().ToString()
                                         << ", expected " << code;
  }
  if (result.status().message().empty()) {
    return ::testing::AssertionFailure() << "no message for " << code;
  }
  return ::testing::AssertionSuccess();
}

const json kPing = {{"time", 1}};

TEST(ProtocolHostileTest, EmptyFrame) {
  EXPECT_TRUE(RefusedWith(Decode(""), ErrorCode::kMalformed));
}

TEST(ProtocolHostileTest, TwoByteFrame) {
  EXPECT_TRUE(RefusedWith(Decode(Bytes({1, 7})), ErrorCode::kMalformed));
}

TEST(ProtocolHostileTest, HeaderOnlyHasNoBody) {
  EXPECT_TRUE(RefusedWith(Decode(Header(MessageType::kPing)), ErrorCode::kMalformed));
}

TEST(ProtocolHostileTest, WrongVersion) {
  for (int version : {0, 2, 0xff}) {
    std::string frame = PlainFrame(MessageType::kPing, kPing);
    frame[0] = static_cast<char>(version);
    EXPECT_TRUE(RefusedWith(Decode(frame), ErrorCode::kUnsupportedVersion)) << version;
  }
}

TEST(ProtocolHostileTest, UnknownType) {
  for (int type : {0x00, 0x0f, 0x7f, 0xff}) {
    std::string frame = PlainFrame(MessageType::kPing, kPing);
    frame[1] = static_cast<char>(type);
    EXPECT_TRUE(RefusedWith(Decode(frame), ErrorCode::kUnknownType)) << type;
  }
}

TEST(ProtocolHostileTest, UnknownFlags) {
  for (int flags : {0x02, 0x03, 0x80, 0xff}) {
    std::string frame = PlainFrame(MessageType::kPing, kPing);
    frame[2] = static_cast<char>(flags);
    EXPECT_TRUE(RefusedWith(Decode(frame), ErrorCode::kMalformed)) << flags;
  }
}

TEST(ProtocolHostileTest, OversizedFrame) {
  Limits limits;
  std::string frame = Header(MessageType::kPing) + std::string(limits.max_frame_bytes, '\0');
  EXPECT_TRUE(RefusedWith(Decode(frame, limits), ErrorCode::kTooLarge));
  limits.max_frame_bytes = 64;
  std::string big = PlainFrame(MessageType::kError, {{"code", "x"}, {"message", std::string(80, 'm')}});
  EXPECT_TRUE(RefusedWith(Decode(big, limits), ErrorCode::kTooLarge));
}

TEST(ProtocolHostileTest, ZstdBombDeclaringMoreThanMaxBody) {
  // 64 MiB of zeros compress to a few kilobytes; the declared size gives it away.
  const Limits limits;
  const std::string plain(64u << 20, '\0');
  const std::string bomb = Zstd(plain);
  ASSERT_LT(bomb.size(), limits.max_frame_bytes);
  EXPECT_TRUE(RefusedWith(Decode(Header(MessageType::kPing, kFlagCompressed) + bomb, limits),
                          ErrorCode::kTooLarge));
}

TEST(ProtocolHostileTest, CompressedBodyJustOverMaxBody) {
  Limits limits;
  limits.max_body_bytes = 1000;
  json body = {{"code", "x"}, {"message", std::string(1000, 'a')}};
  const std::string frame = Header(MessageType::kError, kFlagCompressed) + Zstd(Msgpack(body));
  EXPECT_TRUE(RefusedWith(Decode(frame, limits), ErrorCode::kTooLarge));
  limits.max_body_bytes = 2000;
  EXPECT_TRUE(Decode(frame, limits).ok());
}

TEST(ProtocolHostileTest, DamagedZstd) {
  json body = {{"code", "x"}, {"message", std::string(2000, 'a') + std::string(2000, 'b')}};
  const std::string good = Zstd(Msgpack(body));
  ASSERT_TRUE(Decode(Header(MessageType::kError, kFlagCompressed) + good).ok());

  // Truncated.
  EXPECT_TRUE(RefusedWith(
      Decode(Header(MessageType::kError, kFlagCompressed) + good.substr(0, good.size() - 3)),
      ErrorCode::kMalformed));
  // Bad magic number.
  std::string bad_magic = good;
  bad_magic[0] ^= 0x55;
  EXPECT_TRUE(RefusedWith(Decode(Header(MessageType::kError, kFlagCompressed) + bad_magic),
                          ErrorCode::kMalformed));
  // Flagged compressed but plain MessagePack.
  EXPECT_TRUE(RefusedWith(Decode(Header(MessageType::kPing, kFlagCompressed) + Msgpack(kPing)),
                          ErrorCode::kMalformed));
  // Flagged compressed with nothing at all.
  EXPECT_TRUE(
      RefusedWith(Decode(Header(MessageType::kPing, kFlagCompressed)), ErrorCode::kMalformed));
  // Every single-byte corruption of the frame body is refused or decodes to a valid body.
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string damaged = good;
    damaged[i] = static_cast<char>(damaged[i] ^ 0xa5);
    auto result = Decode(Header(MessageType::kError, kFlagCompressed) + damaged);
    if (result.ok()) {
      EXPECT_TRUE(result->body.is_object());
    } else {
      EXPECT_TRUE(result.status().code() == ErrorCode::kMalformed ||
                  result.status().code() == ErrorCode::kTooLarge)
          << i << ": " << result.status().ToString();
    }
  }
}

TEST(ProtocolHostileTest, ZstdWithoutDeclaredSizeIsRefused) {
  // A streamed frame does not declare its size: refused before anything is allocated.
  const std::string plain = Msgpack(kPing);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ASSERT_NE(cctx, nullptr);
  std::string out(ZSTD_compressBound(plain.size()) + 64, '\0');
  ZSTD_outBuffer output{out.data(), out.size(), 0};
  ZSTD_inBuffer input{plain.data(), plain.size(), 0};
  std::size_t left = ZSTD_compressStream2(cctx, &output, &input, ZSTD_e_continue);
  ASSERT_FALSE(ZSTD_isError(left));
  ZSTD_inBuffer none{nullptr, 0, 0};
  left = ZSTD_compressStream2(cctx, &output, &none, ZSTD_e_end);
  ASSERT_EQ(left, 0u);
  ZSTD_freeCCtx(cctx);
  out.resize(output.pos);
  ASSERT_EQ(ZSTD_getFrameContentSize(out.data(), out.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  EXPECT_TRUE(RefusedWith(Decode(Header(MessageType::kPing, kFlagCompressed) + out),
                          ErrorCode::kMalformed));
}

TEST(ProtocolHostileTest, BodyThatIsNotAMap) {
  for (const json& body : {json::array({1, 2}), json("text"), json(5), json(nullptr), json(true),
                           json(1.5)}) {
    EXPECT_TRUE(RefusedWith(Decode(PlainFrame(MessageType::kPing, body)), ErrorCode::kMalformed))
        << body.dump();
  }
}

TEST(ProtocolHostileTest, MapWithNonStringKeys) {
  // {1: 2}: MessagePack allows it, a Muster body does not.
  EXPECT_TRUE(RefusedWith(Decode(Header(MessageType::kPing) + Bytes({0x81, 0x01, 0x02})),
                          ErrorCode::kMalformed));
}

TEST(ProtocolHostileTest, TruncatedMsgpack) {
  const std::string body = Msgpack({{"code", "forbidden"}, {"message", "revoked by HQ"}});
  for (std::size_t cut = 0; cut < body.size(); ++cut) {
    EXPECT_TRUE(RefusedWith(Decode(Header(MessageType::kError) + body.substr(0, cut)),
                            ErrorCode::kMalformed))
        << "cut at " << cut;
  }
}

TEST(ProtocolHostileTest, AMillionNestedArraysHitTheDepthCheck) {
  // 0x91 is "an array of one element"; a million of them would overflow the stack of a
  // recursive reader. The frame fits the frame limit, so only the depth check stops it.
  const std::string frame = Header(MessageType::kPing) + std::string(1'000'000, '\x91') + '\x01';
  ASSERT_LE(frame.size(), Limits().max_frame_bytes);
  auto result = Decode(frame);
  ASSERT_TRUE(RefusedWith(result, ErrorCode::kMalformed));
  EXPECT_NE(result.status().message().find("deeper"), std::string::npos)
      << result.status().message();
}

TEST(ProtocolHostileTest, NestedMapsAndCompressedNestingHitTheDepthCheck) {
  // {"a": {"a": ...}} nested 100k times.
  std::string maps;
  for (int i = 0; i < 100'000; ++i) maps += Bytes({0x81, 0xa1, 'a'});
  maps += '\x01';
  auto result = Decode(Header(MessageType::kPing) + maps);
  ASSERT_TRUE(RefusedWith(result, ErrorCode::kMalformed));
  EXPECT_NE(result.status().message().find("deeper"), std::string::npos);
  // Four million nested arrays compressed to a few hundred bytes.
  const std::string nested = std::string(4'000'000, '\x91') + '\x01';
  auto compressed = Decode(Header(MessageType::kPing, kFlagCompressed) + Zstd(nested));
  ASSERT_TRUE(RefusedWith(compressed, ErrorCode::kMalformed));
  EXPECT_NE(compressed.status().message().find("deeper"), std::string::npos);
}

TEST(ProtocolHostileTest, ContainersClaimingBillionsOfEntries) {
  const std::string header = Header(MessageType::kPing);
  // map32 with 2^32 - 1 entries, array32, str32, bin32, ext32, map16/array16 overclaiming.
  for (const std::string& body :
       {Bytes({0xdf, 0xff, 0xff, 0xff, 0xff}), Bytes({0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 'a', 1}),
        Bytes({0x81, 0xa1, 'a', 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}),
        Bytes({0x81, 0xa1, 'a', 0xdb, 0xff, 0xff, 0xff, 0xff, 'x'}),
        Bytes({0x81, 0xa1, 'a', 0xc6, 0xff, 0xff, 0xff, 0xff, 'x'}),
        Bytes({0x81, 0xa1, 'a', 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01, 'x'}),
        Bytes({0xde, 0xff, 0xff}), Bytes({0x81, 0xa1, 'a', 0xdc, 0xff, 0xff, 0x01}),
        Bytes({0x8f})}) {
    EXPECT_TRUE(RefusedWith(Decode(header + body), ErrorCode::kMalformed))
        << ::testing::PrintToString(std::vector<unsigned char>(body.begin(), body.end()));
  }
}

TEST(ProtocolHostileTest, TrailingBytes) {
  for (const std::string& tail : {Bytes({0xc0}), Bytes({0x00}), Msgpack(kPing)}) {
    EXPECT_TRUE(
        RefusedWith(Decode(PlainFrame(MessageType::kPing, kPing) + tail), ErrorCode::kMalformed));
  }
}

TEST(ProtocolHostileTest, ReservedByteC1) {
  EXPECT_TRUE(RefusedWith(Decode(Header(MessageType::kPing) + Bytes({0x81, 0xa1, 't', 0xc1})),
                          ErrorCode::kMalformed));
}

struct FieldCase {
  MessageType type;
  json body;
};

TEST(ProtocolHostileTest, MissingRequiredFields) {
  const std::vector<FieldCase> cases = {
      {MessageType::kHello, {{"acked", 0}, {"applied", 0}, {"head", 0}}},
      {MessageType::kHello, {{"agent", "a"}, {"applied", 0}, {"head", 0}}},
      {MessageType::kHello, {{"agent", "a"}, {"acked", 0}, {"head", 0}}},
      {MessageType::kHello, {{"agent", "a"}, {"acked", 0}, {"applied", 0}}},
      {MessageType::kWelcome, {{"ingested", 0}, {"highest", 0}, {"time", 0}}},
      {MessageType::kWelcome, {{"hq", "h"}, {"highest", 0}, {"time", 0}}},
      {MessageType::kWelcome, {{"hq", "h"}, {"ingested", 0}, {"time", 0}}},
      {MessageType::kWelcome, {{"hq", "h"}, {"ingested", 0}, {"highest", 0}}},
      {MessageType::kRecords, json::object()},
      {MessageType::kAck, {{"ingested", 0}}},
      {MessageType::kAck, {{"seqs", json::array()}}},
      {MessageType::kDeliver, json::object()},
      {MessageType::kDelivered, json::object()},
      {MessageType::kPing, json::object()},
      {MessageType::kPong, {{"times", 1}}},
      {MessageType::kError, {{"code", "x"}}},
      {MessageType::kError, {{"message", "x"}}},
  };
  for (const FieldCase& c : cases) {
    auto result = Decode(PlainFrame(c.type, c.body));
    EXPECT_TRUE(RefusedWith(result, ErrorCode::kMalformed))
        << ToString(c.type) << " " << c.body.dump();
    if (!result.ok()) {
      EXPECT_NE(result.status().message().find("missing field"), std::string::npos)
          << result.status().message();
    }
  }
}

TEST(ProtocolHostileTest, WrongTypedRequiredFields) {
  const std::vector<FieldCase> cases = {
      {MessageType::kHello, {{"agent", 5}, {"acked", 0}, {"applied", 0}, {"head", 0}}},
      {MessageType::kHello, {{"agent", "a"}, {"acked", -1}, {"applied", 0}, {"head", 0}}},
      {MessageType::kHello, {{"agent", "a"}, {"acked", "0"}, {"applied", 0}, {"head", 0}}},
      {MessageType::kHello, {{"agent", "a"}, {"acked", 0}, {"applied", 1.5}, {"head", 0}}},
      {MessageType::kHello, {{"agent", "a"}, {"acked", 0}, {"applied", 0}, {"head", nullptr}}},
      {MessageType::kWelcome, {{"hq", json::array()}, {"ingested", 0}, {"highest", 0}, {"time", 0}}},
      {MessageType::kWelcome, {{"hq", "h"}, {"ingested", true}, {"highest", 0}, {"time", 0}}},
      {MessageType::kWelcome, {{"hq", "h"}, {"ingested", 0}, {"highest", "9"}, {"time", 0}}},
      {MessageType::kRecords, {{"records", json::object()}}},
      {MessageType::kRecords, {{"records", "many"}}},
      {MessageType::kRecords, {{"records", {1, 2}}}},
      {MessageType::kRecords, {{"records", {{{"seq", 1}, {"kind", "note"}, {"at", 1}}}}}},
      {MessageType::kRecords,
       {{"records", {{{"seq", -3}, {"kind", "note"}, {"at", 1}, {"body", json::object()}}}}}},
      {MessageType::kRecords,
       {{"records", {{{"seq", 1}, {"kind", 7}, {"at", 1}, {"body", json::object()}}}}}},
      {MessageType::kRecords,
       {{"records", {{{"seq", 1}, {"kind", "note"}, {"at", 1}, {"body", json::array()}}}}}},
      {MessageType::kAck, {{"seqs", 4}, {"ingested", 0}}},
      {MessageType::kDeliver, {{"deliveries", {{{"seq", 1}, {"kind", "task"}, {"at", "now"},
                                                {"body", json::object()}}}}}},
      {MessageType::kDelivered, {{"applied", -1}}},
      {MessageType::kPing, {{"time", "noon"}}},
      {MessageType::kError, {{"code", 4}, {"message", "x"}}},
  };
  for (const FieldCase& c : cases) {
    EXPECT_TRUE(RefusedWith(Decode(PlainFrame(c.type, c.body)), ErrorCode::kMalformed))
        << ToString(c.type) << " " << c.body.dump();
  }
}

TEST(ProtocolHostileTest, BatchesOverMaxBatchRecords) {
  Limits limits;
  json one = {{"seq", 1}, {"kind", "note"}, {"at", 1}, {"body", json::object()}};
  json records = json::array();
  for (std::size_t i = 0; i <= limits.max_batch_records; ++i) records.push_back(one);
  auto result = Decode(Encode({MessageType::kRecords, {{"records", records}}}), limits);
  EXPECT_TRUE(RefusedWith(result, ErrorCode::kTooLarge));
  auto deliveries = Decode(Encode({MessageType::kDeliver, {{"deliveries", records}}}), limits);
  EXPECT_TRUE(RefusedWith(deliveries, ErrorCode::kTooLarge));
  limits.max_batch_records = 2;
  auto small = Decode(Encode({MessageType::kRecords, {{"records", {one, one, one}}}}), limits);
  EXPECT_TRUE(RefusedWith(small, ErrorCode::kTooLarge));
}

TEST(ProtocolHostileTest, ErrorMessagesNameTheMessageType) {
  auto result = Decode(PlainFrame(MessageType::kWelcome, {{"hq", "h"}, {"ingested", 0}, {"highest", 0}}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message().rfind("WELCOME: ", 0), 0u) << result.status().message();
}

TEST(ProtocolHostileTest, StringsThatAreNotUtf8AreRefused) {
  // Every consumer stores or logs bodies as JSON text (json::dump), which throws on
  // invalid UTF-8; the codec must not hand such a body on.
  const std::string bad = Bytes({0x82, 0xa4, 'c', 'o', 'd', 'e', 0xa2, 0xc3, 0x28, 0xa7, 'm', 'e',
                                 's', 's', 'a', 'g', 'e', 0xa1, 'x'});
  auto result = Decode(Header(MessageType::kError) + bad);
  EXPECT_TRUE(RefusedWith(result, ErrorCode::kMalformed));
  // In a value or a key: overlong, a surrogate, above U+10FFFF, cut short, a stray
  // continuation byte. The PONG is otherwise valid: {"time": 1, "note": text} and
  // {"time": 1, text: 1}.
  const auto refused_as_utf8 = [](const std::string& body) {
    auto decoded = Decode(Header(MessageType::kPong) + body);
    return !decoded.ok() && decoded.status().code() == ErrorCode::kMalformed &&
           decoded.status().message().find("UTF-8") != std::string::npos;
  };
  for (const std::string& text :
       {std::string("\xc0\x80"), std::string("\xe0\x80\x80"), std::string("\xed\xa0\x80"),
        std::string("\xf4\x90\x80\x80"), std::string("ok\xe2\x82"), std::string("\x80")}) {
    const std::string time = Bytes({0x82, 0xa4, 't', 'i', 'm', 'e', 0x01});
    const std::string packed = static_cast<char>(0xa0 | text.size()) + text;
    EXPECT_TRUE(refused_as_utf8(time + Bytes({0xa4, 'n', 'o', 't', 'e'}) + packed))
        << testing::PrintToString(text);
    EXPECT_TRUE(refused_as_utf8(time + packed + Bytes({0x01}))) << testing::PrintToString(text);
  }
  EXPECT_TRUE(Decode(Header(MessageType::kPong) + Bytes({0x82, 0xa4, 't', 'i', 'm', 'e', 0x01, 0xa4,
                                                         'n', 'o', 't', 'e', 0xa2, 0xc3, 0xa9}))
                  .ok())
      << "the same body with a valid string passes";
}

TEST(ProtocolHostileTest, StringsInAnyScriptPass) {
  const Message message{MessageType::kPong,
                        {{"time", 1}, {"note", "Gefährliche Güter, 危险品, опасно, ☢ 😷"}}};
  auto result = Decode(Encode(message));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->body, message.body);
}

// Valid messages of every type, some large enough to be compressed.
std::vector<std::string> SeedFrames() {
  std::vector<std::string> frames;
  json record = {{"seq", 4}, {"kind", "finding"}, {"at", 1'700'000'000'000ULL},
                 {"body", {{"task", "t-1"}, {"values", {{"dose", 12.5}, {"ok", true}}}}}};
  json many = json::array();
  for (int i = 0; i < 30; ++i) many.push_back(record);
  const std::vector<Message> messages = {
      {MessageType::kHello, {{"agent", "agent-1"}, {"acked", 3}, {"applied", 7}, {"head", 9}}},
      {MessageType::kWelcome,
       {{"hq", "hq-1"}, {"ingested", 3}, {"highest", 5}, {"time", 1'700'000'000'000ULL}}},
      {MessageType::kRecords, {{"records", {record}}}},
      {MessageType::kRecords, {{"records", many}}},
      {MessageType::kAck, {{"seqs", {4, 5, 70000}}, {"ingested", 5}}},
      {MessageType::kDeliver, {{"deliveries", many}}},
      {MessageType::kDelivered, {{"applied", 8}}},
      {MessageType::kPing, {{"time", 1}}},
      {MessageType::kPong, {{"time", 2}, {"extra", {nullptr, -1.5, "x", {{"y", {1, -2}}}}}}},
      {MessageType::kError, {{"code", "forbidden"}, {"message", "revoked"}, {"ref", 4}}},
  };
  for (const Message& message : messages) {
    frames.push_back(Encode(message));
    frames.push_back(PlainFrame(message.type, message.body));  // the same, uncompressed
  }
  return frames;
}

TEST(ProtocolHostileTest, RandomMutationsNeverCrash) {
  const std::vector<std::string> seeds = SeedFrames();
  // Fixed: the same frames every run. MUSTER_MUTATION_SEED / MUSTER_MUTATIONS explore
  // further by hand (e.g. under -DMUSTER_SANITIZE=ON) without changing the default.
  const char* seed_text = std::getenv("MUSTER_MUTATION_SEED");
  const char* count_text = std::getenv("MUSTER_MUTATIONS");
  std::mt19937 rng(seed_text ? std::stoul(seed_text) : 20261124u);
  const int iterations = count_text ? std::stoi(count_text) : 20'000;
  const std::uint8_t interesting[] = {0x00, 0x01, 0x7f, 0x80, 0x8f, 0x90, 0x91, 0x9f, 0xc0,
                                      0xc1, 0xc4, 0xc6, 0xc9, 0xcf, 0xd3, 0xd9, 0xdb, 0xdc,
                                      0xdd, 0xde, 0xdf, 0xff};
  const std::set<ErrorCode> codes = {ErrorCode::kMalformed, ErrorCode::kTooLarge,
                                     ErrorCode::kUnsupportedVersion, ErrorCode::kUnknownType};
  Limits limits;
  limits.max_batch_records = 20;
  int accepted = 0, refused = 0;
  for (int i = 0; i < iterations; ++i) {
    std::string frame = seeds[rng() % seeds.size()];
    const int mutations = 1 + static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations && !frame.empty(); ++m) {
      // Mostly past the header, so that the body parsers see most of the damage.
      const std::size_t at = frame.size() > 3 && rng() % 8 != 0 ? 3 + rng() % (frame.size() - 3)
                                                                 : rng() % frame.size();
      switch (rng() % 7) {
        case 0: frame[at] = static_cast<char>(frame[at] ^ (1u << (rng() % 8))); break;
        case 1: frame[at] = static_cast<char>(rng()); break;
        case 2: frame[at] = static_cast<char>(interesting[rng() % sizeof interesting]); break;
        case 3: frame.insert(at, 1, static_cast<char>(interesting[rng() % sizeof interesting])); break;
        case 4: frame.erase(at, 1 + rng() % 4); break;
        case 5: frame.resize(at); break;
        case 6: frame.insert(at, frame.substr(at, rng() % 16)); break;
      }
    }
    auto result = Decode(frame, limits);
    if (result.ok()) {
      ++accepted;
      EXPECT_TRUE(result->body.is_object());
      EXPECT_NE(std::string(ToString(result->type)), "UNKNOWN");
      // What Decode accepts, every consumer can turn back into text and into a frame.
      std::string text;
      EXPECT_NO_THROW(text = result->body.dump()) << "mutation " << i;
      auto again = Decode(Encode(*result), limits);
      EXPECT_TRUE(again.ok()) << "mutation " << i << ": " << again.status().ToString();
    } else {
      ++refused;
      EXPECT_TRUE(codes.count(result.status().code())) << result.status().ToString();
    }
  }
  // The loop exercised both paths.
  EXPECT_GT(accepted, iterations / 200);
  EXPECT_GT(refused, iterations / 2);
}

}  // namespace
}  // namespace muster::protocol
