// Playbook signatures (muster/playbook/signature.h): a signature holds for exactly the
// content hash and key it was made with, and every kind of damage is refused with a
// message that names the author.
#include "muster/playbook/signature.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "muster/digest.h"

namespace muster::playbook {
namespace {

class SignatureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    key_ = GenerateAuthorKey("dr-okafor").value();
    hash_ = Sha256Hex(source_);
  }
  Signature Signed() { return Sign(hash_, key_).value(); }

  std::string source_ = "id: demo\nversion: \"1.0.0\"\n";
  std::string hash_;
  AuthorKey key_;
};

TEST_F(SignatureTest, AGoodSignatureHoldsAndSurvivesItsJson) {
  const Signature signature = Signed();
  EXPECT_EQ(signature.author, "dr-okafor");
  EXPECT_EQ(signature.key_id, key_.key_id);
  EXPECT_EQ(signature.key_id.size(), 16u);
  EXPECT_TRUE(Verify(signature, hash_).ok());
  auto decoded = Signature::Decode(signature.Encode());
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(Verify(*decoded, hash_).ok());
  EXPECT_TRUE(VerifySource(source_, hash_, *decoded).ok());
  EXPECT_TRUE(VerifySource(source_, hash_, std::nullopt).ok()) << "unsigned: the hash alone";
  auto key = AuthorKey::Decode(key_.Encode());
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(Verify(Sign(hash_, *key).value(), hash_).ok());
}

TEST_F(SignatureTest, AChangedByteOfTheTextIsRefused) {
  std::string tampered = source_;
  tampered[4] = 'x';
  Status status = VerifySource(tampered, hash_, Signed());
  EXPECT_EQ(status.code(), ErrorCode::kInvalidPlaybook);
  EXPECT_NE(status.message().find("changed"), std::string::npos) << status.message();
  // The attacker who also recomputes the hash still meets the signature.
  status = VerifySource(tampered, Sha256Hex(tampered), Signed());
  EXPECT_EQ(status.code(), ErrorCode::kInvalidPlaybook);
  EXPECT_NE(status.message().find("dr-okafor"), std::string::npos) << status.message();
}

TEST_F(SignatureTest, AChangedByteOfTheSignatureIsRefused) {
  Signature signature = Signed();
  signature.signature[10] = signature.signature[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Verify(signature, hash_).code(), ErrorCode::kInvalidPlaybook);
}

TEST_F(SignatureTest, AnotherKeyOrAnotherHashIsRefused) {
  Signature signature = Signed();
  const AuthorKey other = GenerateAuthorKey("mallory").value();
  signature.public_key = other.public_key;  // claims another key, keeps the old bytes
  signature.key_id = other.key_id;
  EXPECT_EQ(Verify(signature, hash_).code(), ErrorCode::kInvalidPlaybook);

  Signature for_other_text = Sign(Sha256Hex("other text"), key_).value();
  Status status = Verify(for_other_text, hash_);
  EXPECT_EQ(status.code(), ErrorCode::kInvalidPlaybook);
  EXPECT_NE(status.message().find("not for this playbook"), std::string::npos);
  // Even with the hash field rewritten to match, the bytes were made for the other text.
  for_other_text.content_hash = hash_;
  EXPECT_EQ(Verify(for_other_text, hash_).code(), ErrorCode::kInvalidPlaybook);
}

TEST_F(SignatureTest, AnotherAuthorsNameOnTheSignatureIsRefused) {
  Signature signature = Signed();
  signature.author = "mallory";
  EXPECT_EQ(Verify(signature, hash_).code(), ErrorCode::kInvalidPlaybook);
}

TEST_F(SignatureTest, AKeyIdThatIsNotTheKeysIsRefused) {
  Signature signature = Signed();
  signature.key_id = "0000000000000000";
  EXPECT_EQ(Verify(signature, hash_).code(), ErrorCode::kInvalidPlaybook);
}

TEST_F(SignatureTest, MalformedBase64AndMissingFieldsAreNamed) {
  Signature signature = Signed();
  signature.signature = "not base64!";
  EXPECT_EQ(Verify(signature, hash_).code(), ErrorCode::kBadKey);
  signature = Signed();
  signature.public_key = signature.public_key.substr(4);  // too short
  EXPECT_EQ(Verify(signature, hash_).code(), ErrorCode::kBadKey);
  EXPECT_EQ(KeyIdOf("AAAA").status().code(), ErrorCode::kBadKey);

  nlohmann::json body = Signed().Encode();
  body.erase("signature");
  auto decoded = Signature::Decode(body);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), ErrorCode::kMalformed);
  EXPECT_NE(decoded.status().message().find("signature"), std::string::npos);
  EXPECT_FALSE(Signature::Decode(nlohmann::json("text")).ok());
}

TEST_F(SignatureTest, AKeyFileWithMismatchedHalvesOrOfAnotherKindIsRefused) {
  AuthorKey mixed = key_;
  mixed.public_key = GenerateAuthorKey("other").value().public_key;
  EXPECT_EQ(Sign(hash_, mixed).status().code(), ErrorCode::kBadKey);
  nlohmann::json file = key_.Encode();
  file["kind"] = "something-else";
  EXPECT_EQ(AuthorKey::Decode(file).status().code(), ErrorCode::kBadKey);
  EXPECT_EQ(GenerateAuthorKey("").status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(SignatureTest, TheSignedMessageIsDomainSeparated) {
  // A bare signature over the hash (what the key might sign for another purpose) is not
  // a playbook signature.
  const std::string secret = [&] {
    std::string bytes(crypto_sign_SECRETKEYBYTES, '\0');
    std::size_t length = 0;
    sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(),
                      key_.secret_key.data(), key_.secret_key.size(), nullptr, &length, nullptr,
                      sodium_base64_VARIANT_ORIGINAL);
    return bytes;
  }();
  unsigned char bare[crypto_sign_BYTES];
  crypto_sign_detached(bare, nullptr, reinterpret_cast<const unsigned char*>(hash_.data()),
                       hash_.size(), reinterpret_cast<const unsigned char*>(secret.data()));
  Signature signature = Signed();
  std::string text(sodium_base64_ENCODED_LEN(sizeof bare, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(text.data(), text.size(), bare, sizeof bare, sodium_base64_VARIANT_ORIGINAL);
  text.resize(text.size() - 1);
  signature.signature = text;
  EXPECT_EQ(Verify(signature, hash_).code(), ErrorCode::kInvalidPlaybook);
}

}  // namespace
}  // namespace muster::playbook
