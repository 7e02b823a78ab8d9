#include "muster/record_auth.h"

#include <gtest/gtest.h>

#include "muster/keys.h"
#include "muster/protocol.h"

namespace muster {
namespace {

using nlohmann::json;

class RecordAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto hq = GenerateKeyPair();
    auto agent = GenerateKeyPair();
    auto relay = GenerateKeyPair();
    ASSERT_TRUE(hq.ok() && agent.ok() && relay.ok());
    hq_ = *hq;
    agent_ = *agent;
    relay_ = *relay;
  }
  KeyPair hq_, agent_, relay_;
  wire::Entry record_{7,
                      "finding",
                      1'795'965'600'000,
                      {{"task", "d1.sample.amira"}, {"values", {{"reading", 0.15}, {"count", 3}}}}};
};

TEST_F(RecordAuthTest, HqVerifiesTheAuthorsTagAfterTheRecordCrossedTheWire) {
  auto author = RecordAuthKey::Derive(agent_.secret_key, hq_.public_key);
  auto hq = RecordAuthKey::Derive(hq_.secret_key, agent_.public_key);
  ASSERT_TRUE(author.ok() && hq.ok());
  const std::string tag = author->Tag("amira-1", record_);
  EXPECT_EQ(tag.size(), 44u);
  // As HQ reads it: the entry packed into a RELAYED message and decoded again.
  json element = record_.Encode();
  element["agent"] = "amira-1";
  element["auth"] = tag;
  auto decoded = protocol::Decode(
      protocol::Encode({protocol::MessageType::kRelayed, {{"records", {element}}}}));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const wire::Entry received = wire::Entry::FromChecked(decoded->body["records"][0]);
  EXPECT_TRUE(hq->Verify("amira-1", received, tag));
}

TEST_F(RecordAuthTest, AnotherAuthorAnAlteredRecordOrTheRelaysOwnKeyFail) {
  auto author = RecordAuthKey::Derive(agent_.secret_key, hq_.public_key);
  auto hq = RecordAuthKey::Derive(hq_.secret_key, agent_.public_key);
  auto relay = RecordAuthKey::Derive(relay_.secret_key, hq_.public_key);
  ASSERT_TRUE(author.ok() && hq.ok() && relay.ok());
  const std::string tag = author->Tag("amira-1", record_);
  EXPECT_FALSE(hq->Verify("jonas-1", record_, tag)) << "another author's name";
  wire::Entry moved = record_;
  moved.seq = 8;
  EXPECT_FALSE(hq->Verify("amira-1", moved, tag)) << "another seq";
  wire::Entry altered = record_;
  altered.body["values"]["reading"] = 0.05;
  EXPECT_FALSE(hq->Verify("amira-1", altered, tag)) << "another value";
  EXPECT_FALSE(hq->Verify("amira-1", record_, relay->Tag("amira-1", record_)))
      << "a relay's own key cannot make the author's tag";
  EXPECT_FALSE(hq->Verify("amira-1", record_, "not base64!")) << "garbage";
  EXPECT_FALSE(hq->Verify("amira-1", record_, "")) << "empty";
}

TEST_F(RecordAuthTest, AKeyThatIsNotACurveKeyIsAnError) {
  EXPECT_FALSE(RecordAuthKey::Derive("short", hq_.public_key).ok());
  EXPECT_FALSE(RecordAuthKey::Derive(agent_.secret_key, std::string(40, '"')).ok());
}

}  // namespace
}  // namespace muster
