// The codec on well-formed messages: every type round-trips, large bodies are compressed.
#include "muster/protocol.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(static_cast<std::uint8_t>(frame[2]), kFlagCompressed);
  const std::size_t plain = json::to_msgpack(message.body).size();
  EXPECT_LT(frame.size() - kHeaderBytes, plain / 2) << "repetitive records compress well";
  auto decoded = Decode(frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->body, message.body);
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
  Message plain = MakeError(errors::kNoSession, "send HELLO first");
  EXPECT_EQ(plain.type, MessageType::kError);
  EXPECT_EQ(plain.body["code"], "no_session");
  EXPECT_FALSE(plain.body.contains("ref"));
  Message with_ref = MakeError(errors::kForbidden, "refused", 17);
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
  EXPECT_EQ(too_deep.status().code(), errors::kMalformed);
}

}  // namespace
}  // namespace muster::protocol
