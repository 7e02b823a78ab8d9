#include "muster/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "muster/digest.h"
#include "muster/files.h"
#include "temp_dir.h"

namespace muster {
namespace {

using muster::testing::FileMode;
using muster::testing::TempDir;

TEST(KeysTest, GenerateKeyPairGivesValidDistinctZ85Keys) {
  auto pair = GenerateKeyPair();
  ASSERT_TRUE(pair.ok()) << pair.status().ToString();
  EXPECT_EQ(pair->public_key.size(), 40u);
  EXPECT_EQ(pair->secret_key.size(), 40u);
  EXPECT_TRUE(IsValidZ85Key(pair->public_key));
  EXPECT_TRUE(IsValidZ85Key(pair->secret_key));
  EXPECT_NE(pair->public_key, pair->secret_key);
  auto other = GenerateKeyPair();
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->public_key, pair->public_key);
}

TEST(KeysTest, IsValidZ85KeyRejectsWrongLengthAndAlphabet) {
  auto pair = GenerateKeyPair();
  ASSERT_TRUE(pair.ok());
  EXPECT_FALSE(IsValidZ85Key(""));
  EXPECT_FALSE(IsValidZ85Key(pair->public_key.substr(0, 39)));
  EXPECT_FALSE(IsValidZ85Key(pair->public_key + "A"));
  std::string bad = pair->public_key;
  bad[5] = '"';  // not in the Z85 alphabet
  EXPECT_FALSE(IsValidZ85Key(bad));
  bad[5] = '~';
  EXPECT_FALSE(IsValidZ85Key(bad));
}

TEST(KeysTest, LoadOrCreateCreatesSecret0600AndReloadsTheSamePair) {
  TempDir dir;
  auto created = LoadOrCreateKeyPair(dir.path(), "agent");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(IsValidZ85Key(created->public_key));
  EXPECT_TRUE(IsValidZ85Key(created->secret_key));
  EXPECT_EQ(FileMode(dir.File("agent.secret")), 0600);
  EXPECT_TRUE(std::filesystem::exists(dir.File("agent.public")));

  auto loaded = LoadOrCreateKeyPair(dir.path(), "agent");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->public_key, created->public_key);
  EXPECT_EQ(loaded->secret_key, created->secret_key);
}

TEST(KeysTest, LoadOrCreateKeepsNamesApart) {
  TempDir dir;
  auto a = LoadOrCreateKeyPair(dir.path(), "a");
  auto b = LoadOrCreateKeyPair(dir.path(), "b");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->secret_key, b->secret_key);
}

TEST(KeysTest, LoadOrCreateRefusesASecretReadableByOthers) {
  TempDir dir;
  auto created = LoadOrCreateKeyPair(dir.path(), "agent");
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(::chmod(dir.File("agent.secret").c_str(), 0644), 0);
  auto loaded = LoadOrCreateKeyPair(dir.path(), "agent");
  EXPECT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), ErrorCode::kInsecureFile);
  // Refused, not silently repaired or replaced.
  EXPECT_EQ(FileMode(dir.File("agent.secret")), 0644);
  EXPECT_EQ(*ReadFile(dir.File("agent.secret")), created->secret_key + "\n");
}

TEST(KeysTest, LoadOrCreateRefusesDamagedKeyFiles) {
  TempDir dir;
  ASSERT_TRUE(LoadOrCreateKeyPair(dir.path(), "agent").ok());
  ASSERT_TRUE(WriteFileAtomic(dir.File("agent.secret"), "not a key\n", 0600).ok());
  auto loaded = LoadOrCreateKeyPair(dir.path(), "agent");
  EXPECT_EQ(loaded.status().code(), ErrorCode::kBadKey);
}

TEST(KeysTest, LoadOrCreateAcceptsCrLfLineEnds) {
  TempDir dir;
  auto pair = GenerateKeyPair();
  ASSERT_TRUE(pair.ok());
  ASSERT_TRUE(WriteFileAtomic(dir.File("k.secret"), pair->secret_key + "\r\n", 0600).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.File("k.public"), pair->public_key + "\r\n", 0644).ok());
  auto loaded = LoadOrCreateKeyPair(dir.path(), "k");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->secret_key, pair->secret_key);
  EXPECT_EQ(loaded->public_key, pair->public_key);
}

TEST(KeysTest, LoadOrCreateRecoversAMissingPublicKeyFromTheSecret) {
  // A crash between writing NAME.secret and NAME.public leaves the secret alone; the
  // public key follows from it, so the pair must still load (and not be replaced).
  TempDir dir;
  auto created = LoadOrCreateKeyPair(dir.path(), "agent");
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(std::filesystem::remove(dir.File("agent.public")));
  auto loaded = LoadOrCreateKeyPair(dir.path(), "agent");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->secret_key, created->secret_key);
  EXPECT_EQ(loaded->public_key, created->public_key);
  EXPECT_EQ(*ReadFile(dir.File("agent.public")), created->public_key + "\n");
}

TEST(KeysTest, LoadOrCreateRefusesAPublicKeyThatDoesNotMatchTheSecret) {
  // Two valid keys that do not belong together would fail CURVE authentication later,
  // far from the cause. They are refused when loaded.
  TempDir dir;
  ASSERT_TRUE(LoadOrCreateKeyPair(dir.path(), "agent").ok());
  auto other = GenerateKeyPair();
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(WriteFileAtomic(dir.File("agent.public"), other->public_key + "\n").ok());
  auto loaded = LoadOrCreateKeyPair(dir.path(), "agent");
  EXPECT_EQ(loaded.status().code(), ErrorCode::kBadKey) << loaded.status().ToString();
}

TEST(KeysTest, FingerprintIsSixteenHexDigitsOfTheKeysDigest) {
  auto pair = GenerateKeyPair();
  ASSERT_TRUE(pair.ok());
  const std::string fingerprint = KeyFingerprint(pair->public_key);
  EXPECT_EQ(fingerprint.size(), 16u);
  EXPECT_EQ(fingerprint.find_first_not_of("0123456789abcdef"), std::string::npos) << fingerprint;
  EXPECT_EQ(KeyFingerprint(pair->public_key), fingerprint) << "stable";
  auto other = GenerateKeyPair();
  ASSERT_TRUE(other.ok());
  EXPECT_NE(KeyFingerprint(other->public_key), fingerprint);
  // The all-zero key, Z85-encoded: the digest of its 32 decoded bytes, not of its text.
  EXPECT_EQ(KeyFingerprint("0000000000000000000000000000000000000000"),
            Sha256Hex(std::string(32, '\0')).substr(0, 16));
  EXPECT_EQ(KeyFingerprint("not a key").size(), 16u);
}

}  // namespace
}  // namespace muster
