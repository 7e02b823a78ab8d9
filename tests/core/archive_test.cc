// Signed incident archives (muster/archive.h): a folder made and signed as HQ makes it,
// then checked as a partner checks it offline, and each way of changing it found: a byte
// in a part, the manifest itself, another signer, a missing, an added or a linked file,
// and a manifest that names a path outside the folder.
#include "muster/archive.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>

#include "muster/digest.h"
#include "muster/files.h"
#include "temp_dir.h"

namespace muster::archive {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using muster::testing::TempDir;

bool Mentions(const Verdict& verdict, const std::string& text) {
  for (const std::string& problem : verdict.problems) {
    if (problem.find(text) != std::string::npos) return true;
  }
  return false;
}

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = LoadOrCreateSigningKey(dir_.File("archive-signing.key"));
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    key_ = *key;
    folder_ = dir_.File("INC-1");
    Write({{"incident.json", "{\"id\": \"INC-1\"}\n"},
           {"findings.json", "[{\"values\": {\"dose_rate\": 12.5}}]\n"},
           {"attachments/7-scene.jpg", std::string("\xff\xd8\xff\x00jpeg", 8)}});
  }

  // Writes |files| into the folder with a manifest that lists them, signed by |key_|.
  void Write(const std::vector<std::pair<std::string, std::string>>& files) {
    Manifest manifest;
    manifest.incident = "INC-1";
    manifest.hq = "hq-test";
    manifest.created_at = "2026-12-07T10:00:00Z";
    manifest.created_by = "amira";
    manifest.releasable = "TLP:AMBER";
    manifest.marking = "TLP:AMBER";
    manifest.withheld.findings = 2;
    manifest.audit_head = std::string(64, 'a');
    for (const auto& [path, content] : files) {
      fs::create_directories(fs::path(folder_ / fs::path(path)).parent_path());
      ASSERT_TRUE(WriteFileAtomic(folder_ + "/" + path, content).ok());
      manifest.files.push_back({path, Sha256Hex(content), static_cast<std::int64_t>(content.size())});
    }
    const std::string text = manifest.Encode().dump(2) + "\n";
    ASSERT_TRUE(WriteFileAtomic(folder_ + "/" + kManifestName, text).ok());
    auto signature = SignManifest(text, key_);
    ASSERT_TRUE(signature.ok());
    ASSERT_TRUE(WriteFileAtomic(folder_ + "/" + kSignatureName, signature->Encode().dump()).ok());
  }

  Verdict Check(const std::string& key) {
    auto verdict = VerifyFolder(folder_, key);
    EXPECT_TRUE(verdict.ok()) << verdict.status().ToString();
    return verdict.ok() ? *verdict : Verdict{};
  }

  TempDir dir_;
  SigningKey key_;
  std::string folder_;
};

TEST_F(ArchiveTest, AFolderAsSignedChecksOut) {
  const Verdict verdict = Check(key_.pair.public_key);
  EXPECT_TRUE(verdict.valid()) << verdict.problems.front();
  EXPECT_TRUE(verdict.signed_by_trusted_key);
  EXPECT_EQ(verdict.files_checked, 3);
  EXPECT_EQ(verdict.key_id, key_.key_id);
  ASSERT_TRUE(verdict.manifest.has_value());
  EXPECT_EQ(verdict.manifest->incident, "INC-1");
  EXPECT_EQ(verdict.manifest->withheld.findings, 2);
  EXPECT_EQ(verdict.manifest->releasable, "TLP:AMBER");
}

TEST_F(ArchiveTest, OneChangedByteInAPartIsNamed) {
  std::string content = ReadFile(folder_ + "/findings.json").value();
  content[content.find("12.5") + 1] = '9';  // same size, another reading
  ASSERT_TRUE(WriteFileAtomic(folder_ + "/findings.json", content).ok());
  const Verdict verdict = Check(key_.pair.public_key);
  EXPECT_FALSE(verdict.valid());
  ASSERT_EQ(verdict.problems.size(), 1u);
  EXPECT_NE(verdict.problems[0].find("findings.json was changed"), std::string::npos)
      << verdict.problems[0];
  EXPECT_TRUE(verdict.signed_by_trusted_key) << "the manifest itself is intact";
}

TEST_F(ArchiveTest, AnEditedManifestNoLongerMatchesItsSignature) {
  std::string manifest = ReadFile(folder_ + "/" + kManifestName).value();
  const auto at = manifest.find("\"findings\": 2");
  ASSERT_NE(at, std::string::npos);
  manifest.replace(at, 13, "\"findings\": 0");  // hide that findings were withheld
  ASSERT_TRUE(WriteFileAtomic(folder_ + "/" + kManifestName, manifest).ok());
  const Verdict verdict = Check(key_.pair.public_key);
  EXPECT_FALSE(verdict.valid());
  EXPECT_FALSE(verdict.signed_by_trusted_key);
  EXPECT_TRUE(Mentions(verdict, "does not match its signature"));
}

TEST_F(ArchiveTest, AnotherKeysSignatureIsRefusedEvenWhenItVerifies) {
  // Someone re-signs a changed folder with their own key: it verifies against that key,
  // but not against HQ's.
  auto other = LoadOrCreateSigningKey(dir_.File("other.key"));
  ASSERT_TRUE(other.ok());
  const SigningKey hq = key_;
  key_ = *other;
  fs::remove_all(folder_);
  Write({{"incident.json", "{\"id\": \"INC-1\", \"forged\": true}\n"}});
  const Verdict against_hq = Check(hq.pair.public_key);
  EXPECT_FALSE(against_hq.valid());
  EXPECT_TRUE(Mentions(against_hq, "signed by key " + other->key_id + ", not by " + hq.key_id));
  EXPECT_TRUE(Check(other->pair.public_key).valid()) << "the forger's own key says yes";
}

TEST_F(ArchiveTest, MissingAddedAndLinkedFilesAreNamed) {
  ASSERT_TRUE(WriteFileAtomic(dir_.File("outside.jpg"), "outside").ok());
  fs::remove(folder_ + "/attachments/7-scene.jpg");
  fs::create_symlink(dir_.File("outside.jpg"), folder_ + "/attachments/7-scene.jpg");
  ASSERT_TRUE(WriteFileAtomic(folder_ + "/notes.txt", "added later").ok());
  fs::remove(folder_ + "/incident.json");
  fs::create_directory_symlink(dir_.path(), folder_ + "/more");
  fs::create_symlink(dir_.File("gone"), folder_ + "/dangling");
  fs::create_directory(folder_ + "/empty");
  const Verdict verdict = Check(key_.pair.public_key);
  EXPECT_FALSE(verdict.valid());
  EXPECT_TRUE(Mentions(verdict, "attachments/7-scene.jpg is missing or cannot be read (is a link"));
  EXPECT_TRUE(Mentions(verdict, "incident.json is missing"));
  for (const char* added : {"notes.txt", "more", "dangling", "empty"}) {
    EXPECT_TRUE(Mentions(verdict, std::string(added) + " is not in the manifest")) << added;
  }
  EXPECT_EQ(verdict.files_checked, 1);
}

TEST_F(ArchiveTest, NoLinkOrPipeLeadsTheCheckOutOfTheFolderOrStopsIt) {
  // The attachments folder swapped for a link to a folder with the same file: the file
  // would match, but it is not the archive's.
  const std::string elsewhere = dir_.File("elsewhere");
  fs::create_directories(elsewhere);
  fs::copy(folder_ + "/attachments/7-scene.jpg", elsewhere + "/7-scene.jpg");
  fs::remove_all(folder_ + "/attachments");
  fs::create_directory_symlink(elsewhere, folder_ + "/attachments");
  // A pipe where a part was: reading it would wait for ever.
  fs::remove(folder_ + "/incident.json");
  ASSERT_EQ(::mkfifo((folder_ + "/incident.json").c_str(), 0600), 0);
  // A file name that is no UTF-8 and would act on a terminal.
  ASSERT_TRUE(WriteFileAtomic(folder_ + "/\xff\x1b[2J", "x").ok());
  const Verdict verdict = Check(key_.pair.public_key);
  EXPECT_FALSE(verdict.valid());
  EXPECT_TRUE(Mentions(verdict, "attachments/7-scene.jpg is missing or cannot be read"));
  EXPECT_TRUE(Mentions(verdict, "incident.json is missing or cannot be read (is not a plain"));
  EXPECT_TRUE(Mentions(verdict, "\\xff\\x1b[2J is not in the manifest"));
  EXPECT_EQ(verdict.files_checked, 1);
  // The manifest itself as a link to a good copy is refused too.
  fs::rename(folder_ + "/manifest.json", dir_.File("manifest-copy.json"));
  fs::create_symlink(dir_.File("manifest-copy.json"), folder_ + "/manifest.json");
  EXPECT_TRUE(Mentions(Check(key_.pair.public_key), "manifest.json is missing or unreadable"));
}

TEST_F(ArchiveTest, AManifestNamingAPathOutsideTheFolderIsNotRead) {
  ASSERT_TRUE(WriteFileAtomic(dir_.File("secret.txt"), "outside").ok());
  Write({{"incident.json", "{}\n"}});
  // A manifest signed by HQ's key that names a file outside (a broken or stolen HQ):
  // the checker must not read it.
  Manifest manifest = Manifest::Decode(json::parse(ReadFile(folder_ + "/manifest.json").value()))
                          .value();
  manifest.files.push_back({"../secret.txt", Sha256Hex("outside"), 7});
  const std::string text = manifest.Encode().dump(2) + "\n";
  ASSERT_TRUE(WriteFileAtomic(folder_ + "/" + kManifestName, text).ok());
  ASSERT_TRUE(WriteFileAtomic(folder_ + "/" + kSignatureName,
                              SignManifest(text, key_).value().Encode().dump())
                  .ok());
  const Verdict verdict = Check(key_.pair.public_key);
  EXPECT_FALSE(verdict.valid());
  EXPECT_TRUE(Mentions(verdict, "outside the archive's rules"));
  EXPECT_EQ(verdict.files_checked, 1);
}

TEST_F(ArchiveTest, WhatIsNotAnArchiveOrAKeyIsRefusedWithTheFix) {
  auto no_key = VerifyFolder(folder_, "not-a-key");
  EXPECT_EQ(no_key.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(no_key.status().message().find("muster archive key"), std::string::npos);
  EXPECT_EQ(VerifyFolder(dir_.File("nowhere"), key_.pair.public_key).status().code(),
            ErrorCode::kNotFound);
  ASSERT_TRUE(WriteFileAtomic(folder_ + "/" + kSignatureName, "{\"kind\": 3}").ok());
  const Verdict verdict = Check(key_.pair.public_key);
  EXPECT_FALSE(verdict.valid());
  EXPECT_TRUE(Mentions(verdict, "manifest.sig"));
  fs::remove(folder_ + "/" + kManifestName);
  EXPECT_TRUE(Mentions(Check(key_.pair.public_key), "manifest.json is missing"));
}

TEST(ArchivePathTest, OnlyPlainRelativeNamesMayNameAFile) {
  for (const char* good : {"incident.json", "attachments/12-scene.jpg", "a/b/c_d-e.txt"}) {
    EXPECT_TRUE(IsSafeArchivePath(good)) << good;
  }
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../b", "a//b", "a/", ".hidden",
                          "a/./b", "manifest.json", "manifest.sig", "a\\b", "caf\xc3\xa9",
                          "a b", "x\x1b[2J"}) {
    EXPECT_FALSE(IsSafeArchivePath(bad)) << bad;
  }
  EXPECT_FALSE(IsSafeArchivePath(std::string(201, 'a')));
  EXPECT_EQ(SafeFileName("../../etc/passwd\x1b.jpg"), "_._.._etc_passwd_.jpg");
  EXPECT_EQ(SafeFileName(""), "file");
  EXPECT_EQ(SafeFileName("scène 1.jpg"), "sc__ne_1.jpg");
  EXPECT_EQ(SafeFileName(std::string(300, 'x')).size(), 80u);
  EXPECT_TRUE(IsSafeArchivePath("attachments/3-" + SafeFileName("..")));
}

TEST(ArchiveKeyTest, HqKeepsOneKeyInAPrivateFileAndRefusesABadOne) {
  TempDir dir;
  const std::string path = dir.File("archive-signing.key");
  auto made = LoadOrCreateSigningKey(path);
  ASSERT_TRUE(made.ok());
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto again = LoadOrCreateSigningKey(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->pair.public_key, made->pair.public_key) << "the same key after a restart";

  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(LoadOrCreateSigningKey(path).status().code(), ErrorCode::kInsecureFile);
  ::chmod(path.c_str(), 0600);

  SigningKey mixed = *made;
  mixed.pair.public_key = ed25519::Generate().public_key;
  mixed.key_id = ed25519::KeyIdOf(mixed.pair.public_key).value();
  ASSERT_TRUE(WriteFileAtomic(path, mixed.Encode().dump(), 0600).ok());
  auto refused = LoadOrCreateSigningKey(path);
  EXPECT_EQ(refused.status().code(), ErrorCode::kBadKey);
  EXPECT_NE(refused.status().message().find("do not belong together"), std::string::npos)
      << refused.status().message();
  ASSERT_TRUE(WriteFileAtomic(path, "{\"kind\": \"something else\"}", 0600).ok());
  EXPECT_EQ(LoadOrCreateSigningKey(path).status().code(), ErrorCode::kBadKey);
}

}  // namespace
}  // namespace muster::archive
