#include "muster/digest.h"

#include <gtest/gtest.h>

namespace muster {
namespace {

TEST(DigestTest, KnownVector) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DigestTest, PiecesHashLikeTheWhole) {
  const std::string data(100'000, 'x');
  Sha256 pieces;
  for (std::size_t at = 0; at < data.size(); at += 777) pieces.Update(std::string_view(data).substr(at, 777));
  EXPECT_EQ(pieces.HexDigest(), Sha256Hex(data));
}

TEST(DigestTest, RecognisesHex) {
  EXPECT_TRUE(IsSha256Hex(Sha256Hex("")));
  EXPECT_FALSE(IsSha256Hex("abc"));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'G')));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'A')));  // upper case is not what we write
}

TEST(DigestTest, ATlsFingerprintIsTheSha256OfTheDerWithItsPrefix) {
  EXPECT_EQ(TlsFingerprint("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(IsTlsFingerprint(TlsFingerprint("der")));
  EXPECT_FALSE(IsTlsFingerprint(Sha256Hex("der")));  // the prefix is part of it
  EXPECT_FALSE(IsTlsFingerprint("SHA256:" + Sha256Hex("der")));
  EXPECT_FALSE(IsTlsFingerprint("sha256:" + Sha256Hex("der").substr(1)));
}

}  // namespace
}  // namespace muster
