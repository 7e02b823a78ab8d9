// The codec on well-formed messages: every type round-trips, large bodies are compressed.
#include "muster/protocol.h"
#include "protocol_dictionary.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <string>
#include <vector>

namespace muster::protocol {
namespace {

using nlohmann::json;

json Record(std::uint64_t seq) {
  return {{"seq", seq},
          {"kind", "finding"},
          {"at", 1'700'000'000'000ULL + seq},
          {"body", {{"task", "t-1"}, {"values", {{"dose_rate_1m", 12.5}}}}}};
}

// One valid message of each type, as both sides build them.
std::vector<Message> ValidMessages() {
  return {
      {MessageType::kHello, {{"agent", "agent-1"}, {"acked", 3}, {"applied", 7}, {"head", 9}}},
      {MessageType::kWelcome,
       {{"hq", "hq-1"}, {"ingested", 3}, {"highest", 5}, {"time", 1'700'000'000'000ULL}}},
      {MessageType::kRecords, {{"records", {Record(4), Record(5)}}}},
      {MessageType::kAck, {{"seqs", {4, 5}}, {"ingested", 5}}},
      {MessageType::kDeliver,
       {{"deliveries",
         {{{"seq", 8}, {"kind", "task"}, {"at", 1'700'000'000'000ULL}, {"body", {{"task", "x"}}}}}}}},
      {MessageType::kDelivered, {{"applied", 8}}},
      {MessageType::kPing, {{"time", 1'700'000'000'000ULL}}},
      {MessageType::kPong, {{"time", 1'700'000'000'001ULL}}},
      {MessageType::kError, {{"code", "forbidden"}, {"message", "revoked"}, {"ref", 4}}},
  };
}

TEST(ProtocolTest, EveryTypeRoundTrips) {
  const std::vector<Message> messages = ValidMessages();
  ASSERT_EQ(messages.size(), 9u);  // one per MessageType
  for (const Message& message : messages) {
    const std::string frame = Encode(message);
    ASSERT_GE(frame.size(), kHeaderBytes);
    EXPECT_EQ(static_cast<std::uint8_t>(frame[0]), kProtocolVersion);
    EXPECT_EQ(static_cast<std::uint8_t>(frame[1]), static_cast<std::uint8_t>(message.type));
    auto decoded = Decode(frame);
    ASSERT_TRUE(decoded.ok()) << ToString(message.type) << ": " << decoded.status().ToString();
    EXPECT_EQ(decoded->type, message.type);
    EXPECT_EQ(decoded->body, message.body) << ToString(message.type);
  }
}

TEST(ProtocolTest, TypeNames) {
  EXPECT_STREQ(ToString(MessageType::kHello), "HELLO");
  EXPECT_STREQ(ToString(MessageType::kDelivered), "DELIVERED");
  EXPECT_STREQ(ToString(MessageType::kError), "ERROR");
  EXPECT_STREQ(ToString(static_cast<MessageType>(0x42)), "UNKNOWN");
}

TEST(ProtocolTest, SmallBodiesAreNotCompressed) {
  const std::string frame = Encode({MessageType::kPing, {{"time", 1}}});
  EXPECT_EQ(static_cast<std::uint8_t>(frame[2]), 0);
  EXPECT_LE(frame.size(), kHeaderBytes + kCompressAbove);
}

TEST(ProtocolTest, LargeBodiesAreCompressedAndRoundTrip) {
  json records = json::array();
  for (std::uint64_t seq = 1; seq <= 200; ++seq) records.push_back(Record(seq));
  const Message message{MessageType::kRecords, {{"records", records}}};
  const std::string frame = Encode(message);
  EXPECT_EQ(static_cast<std::uint8_t>(frame[2]), kFlagCompressed | kFlagDictionary);
  const std::size_t plain = json::to_msgpack(message.body).size();
  EXPECT_LT(frame.size() - kHeaderBytes, plain / 2) << "repetitive records compress well";
  auto decoded = Decode(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->body, message.body);
}

TEST(ProtocolTest, UnframeGivesTheBodysMessagePackAndChecksTheHeader) {
  json records = json::array();
  for (std::uint64_t seq = 1; seq <= 20; ++seq) records.push_back(Record(seq));
  const Message message{MessageType::kRecords, {{"records", records}}};
  auto unframed = Unframe(Encode(message));
  ASSERT_TRUE(unframed.ok()) << unframed.status().ToString();
  EXPECT_EQ(unframed->type, MessageType::kRecords);
  EXPECT_EQ(json::from_msgpack(unframed->payload), message.body) << "decompressed";
  std::string wrong_version = Encode(message);
  wrong_version[0] = 9;
  EXPECT_EQ(Unframe(wrong_version).status().code(), ErrorCode::kUnsupportedVersion);
}

// The dictionary's samples: the bodies the protocol sends most. The dictionary is their
// MessagePack, concatenated, and must never change (protocol_dictionary.cc).
const char* const kDictionarySamples[] = {
    R"({"code":"invalid_value","message":"refused: ","ref":7})",
    R"({"hq":"0123456789abcdef0123456789abcdef","ingested":12,"highest":12,"time":1795965600000,"delivery_head":9,"lost":[],"held":[[10,12]],"restart_from":8})",
    R"({"agent":"member-1","acked":12,"applied":9,"head":14,"sent":[[13,14]],"acked_above":[[16,16]]})",
    R"({"deliveries":[{"seq":2,"kind":"playbook","at":1795965600000,"body":{"hash":"0123","id":"x","version":"1.0.0","source":"id: x\n"}},{"seq":3,"kind":"task","at":1795965600000,"body":{"task":"d1.step.member","deployment":1,"step":"step","member":"member","state":"ready","dormant":false,"reason":"","due_at":null,"playbook":"0123","incident":"INC-1","incident_title":"title","waits_on":[{"task":"d1.step.member","step":"step","member":"member","name":"Name","state":"waiting"}]}},{"seq":4,"kind":"team","at":1795965600000,"body":{"deployment":1,"incident":"INC-1","playbook":"0123","at":1795965600000,"version":1,"members":{"member":"Name"},"tasks":[{"task":"d1.step.member","step":"step","member":"member","state":"ready"}]}}],"more":true})",
    R"({"records":[{"seq":20,"kind":"attachment_chunk","at":1795965600000,"body":{"task":"d1.step.member","attachment":"0123","name":"photo.jpg","size":200000,"offset":0,"length":1024,"sha256":"0123"}},{"seq":21,"kind":"finding","at":1795965600000,"body":{"task":"d1.step.member","values":{"reading":1.5,"remark":"x"},"confirmed":[],"attachments":[{"sha256":"0123","name":"photo.jpg","size":200000,"field":"photo"}]}},{"seq":22,"kind":"note","at":1795965600000,"body":{"text":"note","task":"d1.step.member"}},{"seq":23,"kind":"alert","at":1795965600000,"body":{"message":"alert","severity":"critical","task":"d1.step.member"}},{"seq":24,"kind":"trigger","at":1795965600000,"body":{"task":"d1.step.member","trigger":"t"}},{"seq":25,"kind":"status","at":1795965600000,"body":{"task":"d1.step.member","state":"blocked","reason":"because"}}],"applied":9})",
    R"({"time":1795965600000})",
    R"({"applied":9})",
    R"({"deliveries":[{"seq":5,"kind":"team","at":1795965600000,"body":{"deployment":1,"version":2,"set":[[0,3],[1,4]]}}]})",
    R"({"seqs":[25,26,27],"ingested":27})",
    R"({"records":[{"seq":26,"kind":"status","at":1795965600000,"body":{"task":"d1.step.member","state":"acknowledged"}},{"seq":27,"kind":"status","at":1795965600000,"body":{"task":"d1.step.member","state":"in_progress"}},{"seq":28,"kind":"status","at":1795965600000,"body":{"task":"d1.step.member","state":"completed"}}]})",
};

TEST(ProtocolTest, TheDictionaryIsTheMessagePackOfItsSamplesByteForByte) {
  std::string expected;
  for (const char* sample : kDictionarySamples) {
    const std::vector<std::uint8_t> bytes = json::to_msgpack(json::parse(sample));
    expected.append(bytes.begin(), bytes.end());
  }
  EXPECT_TRUE(DictionaryV1() == expected) << "the dictionary of protocol version 1 changed";
  EXPECT_EQ(DictionaryV1().size(), 1733u);
}

TEST(ProtocolTest, SmallMessagesShrinkWithTheDictionaryAndTinyOnesNeverGrow) {
  const Message tiny[] = {
      {MessageType::kPing, {{"time", 1'795'965'612'345}}},
      {MessageType::kDelivered, {{"applied", 1234}}},
      {MessageType::kAck, {{"seqs", {101, 102}}, {"ingested", 102}}},
  };
  for (const Message& message : tiny) {
    EXPECT_LE(Encode(message).size() - kHeaderBytes, json::to_msgpack(message.body).size())
        << ToString(message.type);
  }
  // A team change and a lone status record: a third to a half of their MessagePack.
  const Message small[] = {
      {MessageType::kDeliver,
       {{"deliveries",
         {{{"seq", 57}, {"kind", "team"}, {"at", 1'795'965'612'345},
           {"body", {{"deployment", 3}, {"version", 12}, {"set", {{4, 3}, {9, 4}}}}}}}}}},
      {MessageType::kRecords,
       {{"records",
         {{{"seq", 88}, {"kind", "status"}, {"at", 1'795'965'612'345},
           {"body", {{"task", "d3.secondary_inspection.jonas"}, {"state", "in_progress"}}}}}}}},
  };
  for (const Message& message : small) {
    const std::string frame = Encode(message);
    const std::size_t plain = json::to_msgpack(message.body).size();
    EXPECT_LT(frame.size() - kHeaderBytes, plain * 2 / 3) << ToString(message.type);
    EXPECT_EQ(static_cast<std::uint8_t>(frame[2]), kFlagCompressed | kFlagDictionary);
    auto decoded = Decode(frame);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded->body, message.body);
  }
}

TEST(ProtocolTest, APlainZstdBodyStillDecodesAndADictionaryFlagAloneIsMalformed) {
  const json body = {{"applied", 1234}, {"padding", std::string(300, 'p')}};
  const std::vector<std::uint8_t> packed = json::to_msgpack(body);
  std::string compressed(ZSTD_compressBound(packed.size()), '\0');
  compressed.resize(ZSTD_compress(compressed.data(), compressed.size(), packed.data(),
                                  packed.size(), 3));
  std::string frame = {static_cast<char>(kProtocolVersion),
                       static_cast<char>(MessageType::kDelivered),
                       static_cast<char>(kFlagCompressed)};
  auto decoded = Decode(frame + compressed);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->body, body);
  frame[2] = static_cast<char>(kFlagDictionary);
  EXPECT_EQ(Decode(frame + compressed).status().code(), ErrorCode::kMalformed);
}

TEST(ProtocolTest, IncompressibleLargeBodiesAreSentPlain) {
  // Random bytes do not shrink; the codec keeps the plain form then.
  std::vector<std::uint8_t> noise;
  std::uint32_t x = 12345;
  for (int i = 0; i < 600; ++i) {
    x = x * 1103515245u + 12345u;
    noise.push_back(static_cast<std::uint8_t>(x >> 23));
  }
  const Message message{MessageType::kPing, {{"time", 1}, {"blob", json::binary(noise)}}};
  const std::string frame = Encode(message);
  EXPECT_EQ(static_cast<std::uint8_t>(frame[2]), 0);
  EXPECT_GT(frame.size(), kHeaderBytes + kCompressAbove);
  auto decoded = Decode(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->body, message.body);
}

TEST(ProtocolTest, UnsignedFieldsAcceptNonNegativeSignedEncodings) {
  // MessagePack int8 0x05: a signed encoding of a non-negative number.
  std::string frame = {1, static_cast<char>(MessageType::kDelivered), 0};
  const std::vector<std::uint8_t> body = {0x81, 0xa7, 'a', 'p', 'p', 'l', 'i', 'e', 'd', 0xd0, 0x05};
  frame.append(body.begin(), body.end());
  auto decoded = Decode(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->body["applied"].get<std::uint64_t>(), 5u);
}

TEST(ProtocolTest, ExtraFieldsAreKept) {
  const Message message{MessageType::kPing, {{"time", 5}, {"note", "from a newer agent"}}};
  auto decoded = Decode(Encode(message));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->body["note"], "from a newer agent");
}

TEST(ProtocolTest, MakeErrorBuildsAValidErrorWithOptionalRef) {
  Message plain = MakeError(ErrorCode::kNoSession, "send HELLO first");
  EXPECT_EQ(plain.type, MessageType::kError);
  EXPECT_EQ(plain.body["code"], "no_session");
  EXPECT_FALSE(plain.body.contains("ref"));
  Message with_ref = MakeError(ErrorCode::kForbidden, "refused", 17);
  EXPECT_EQ(with_ref.body["ref"], 17);
  auto decoded = Decode(Encode(with_ref));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->body["ref"].get<std::uint64_t>(), 17u);
  EXPECT_EQ(decoded->body["message"], "refused");
}

TEST(ProtocolTest, BatchAtTheLimitIsAccepted) {
  Limits limits;
  limits.max_batch_records = 3;
  json records = {Record(1), Record(2), Record(3)};
  auto decoded = Decode(Encode({MessageType::kRecords, {{"records", records}}}), limits);
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  auto empty = Decode(Encode({MessageType::kRecords, {{"records", json::array()}}}), limits);
  EXPECT_TRUE(empty.ok()) << empty.status().ToString();
}

TEST(ProtocolTest, NestingUpToTheDepthLimitIsAccepted) {
  // body (1) → records (2) → record (3) → body (4) → values (5) ...
  Limits limits;
  limits.max_depth = 4;
  json inner = {{"seq", 1}, {"kind", "note"}, {"at", 1}, {"body", {{"text", "flat"}}}};
  auto decoded = Decode(Encode({MessageType::kRecords, {{"records", {inner}}}}), limits);
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  limits.max_depth = 3;
  auto too_deep = Decode(Encode({MessageType::kRecords, {{"records", {inner}}}}), limits);
  EXPECT_EQ(too_deep.status().code(), ErrorCode::kMalformed);
}

}  // namespace
}  // namespace muster::protocol
