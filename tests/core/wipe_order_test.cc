#include "muster/wipe_order.h"

#include <gtest/gtest.h>

#include "muster/keys.h"

namespace muster {
namespace {

class WipeOrderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto hq = GenerateKeyPair();
    auto agent = GenerateKeyPair();
    auto stranger = GenerateKeyPair();
    ASSERT_TRUE(hq.ok() && agent.ok() && stranger.ok());
    hq_ = *hq;
    agent_ = *agent;
    stranger_ = *stranger;
  }
  KeyPair hq_, agent_, stranger_;
};

TEST_F(WipeOrderTest, OnlyTheAgentOpensWhatHqSealedForIt) {
  const WipeOrder order{"jonas-1", NewWipeOrderId(), 1'795'965'600'000};
  auto sealed = SealWipeOrder(order, hq_.secret_key, agent_.public_key);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_EQ(sealed->find("jonas"), std::string::npos) << "the order travels sealed";
  auto opened = OpenWipeOrder(*sealed, "jonas-1", agent_.secret_key, hq_.public_key);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->order_id, order.order_id);
  EXPECT_EQ(opened->issued_at, order.issued_at);
  EXPECT_EQ(opened->order_id.size(), 32u);
}

TEST_F(WipeOrderTest, AForgedOrderIsRefused) {
  const WipeOrder order{"jonas-1", NewWipeOrderId(), 1};
  // Sealed by someone else's key (a relay, an impostor): refused.
  auto forged = SealWipeOrder(order, stranger_.secret_key, agent_.public_key);
  ASSERT_TRUE(forged.ok());
  auto opened = OpenWipeOrder(*forged, "jonas-1", agent_.secret_key, hq_.public_key);
  EXPECT_EQ(opened.status().code(), ErrorCode::kForbidden);
  EXPECT_NE(opened.status().message().find("nothing wiped"), std::string::npos);
  // HQ's order for another agent, replayed to this one: refused.
  auto other = SealWipeOrder({"li-1", NewWipeOrderId(), 1}, hq_.secret_key, agent_.public_key);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(OpenWipeOrder(*other, "jonas-1", agent_.secret_key, hq_.public_key).status().code(),
            ErrorCode::kForbidden);
  // A flipped byte: refused.
  auto sealed = SealWipeOrder(order, hq_.secret_key, agent_.public_key);
  ASSERT_TRUE(sealed.ok());
  std::string altered = *sealed;
  altered[30] = altered[30] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(OpenWipeOrder(altered, "jonas-1", agent_.secret_key, hq_.public_key).ok());
  // Not an order at all.
  EXPECT_EQ(
      OpenWipeOrder("not base64 !!", "jonas-1", agent_.secret_key, hq_.public_key).status().code(),
      ErrorCode::kMalformed);
  EXPECT_EQ(OpenWipeOrder(std::string(10'000, 'A'), "jonas-1", agent_.secret_key, hq_.public_key)
                .status()
                .code(),
            ErrorCode::kMalformed);
}

}  // namespace
}  // namespace muster
