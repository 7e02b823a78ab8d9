#include "muster/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <thread>

#include "temp_dir.h"

namespace muster {
namespace {

using muster::testing::FileMode;
using muster::testing::TempDir;

TEST(WriteFileAtomicTest, WritesContentWithTheModeAskedFor) {
  TempDir dir;
  const std::string path = dir.File("secret");
  ASSERT_TRUE(WriteFileAtomic(path, "hush\n", 0600).ok());
  EXPECT_EQ(FileMode(path), 0600);
  auto read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, "hush\n");
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().filename(), "secret") << "a temporary file was left behind";
  }
}

TEST(WriteFileAtomicTest, DefaultModeIs0644EvenUnderAStrictUmask) {
  TempDir dir;
  const mode_t old = ::umask(077);
  Status status = WriteFileAtomic(dir.File("public"), "key");
  ::umask(old);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(FileMode(dir.File("public")), 0644);
}

TEST(WriteFileAtomicTest, ReplacesAnExistingFileAndItsMode) {
  TempDir dir;
  const std::string path = dir.File("config");
  ASSERT_TRUE(WriteFileAtomic(path, "old content, longer than the new", 0644).ok());
  ASSERT_TRUE(WriteFileAtomic(path, "new", 0600).ok());
  EXPECT_EQ(*ReadFile(path), "new");
  EXPECT_EQ(FileMode(path), 0600);
}

TEST(WriteFileAtomicTest, EmptyContent) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.File("empty"), "").ok());
  auto read = ReadFile(dir.File("empty"));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, "");
}

TEST(WriteFileAtomicTest, FailsInAMissingDirectory) {
  TempDir dir;
  Status status = WriteFileAtomic(dir.File("no/such/dir/file"), "x");
  EXPECT_EQ(status.code(), ErrorCode::kIoError);
  EXPECT_NE(status.message().find("no/such/dir/file"), std::string::npos) << status.message();
}

TEST(ReadFileTest, RefusesFilesOverTheLimitButAcceptsExactlyTheLimit) {
  TempDir dir;
  const std::string path = dir.File("data");
  ASSERT_TRUE(WriteFileAtomic(path, std::string(100'000, 'x')).ok());
  auto exact = ReadFile(path, 100'000);
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_EQ(exact->size(), 100'000u);
  auto over = ReadFile(path, 99'999);
  EXPECT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), ErrorCode::kTooLarge);
  auto tiny = ReadFile(path, 10);
  EXPECT_EQ(tiny.status().code(), ErrorCode::kTooLarge);
}

TEST(ReadFileTest, MissingFileIsAnIoError) {
  TempDir dir;
  auto read = ReadFile(dir.File("missing"));
  EXPECT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), ErrorCode::kIoError);
}

TEST(ReadFileTest, ReadsBinaryContent) {
  TempDir dir;
  const std::string content("a\0b\xff\n", 5);
  ASSERT_TRUE(WriteFileAtomic(dir.File("bin"), content).ok());
  EXPECT_EQ(*ReadFile(dir.File("bin")), content);
}

TEST(EnsureDirectoryTest, CreatesParentsWithTheMode) {
  TempDir dir;
  const std::string path = dir.File("a/b/c");
  ASSERT_TRUE(EnsureDirectory(path).ok());
  EXPECT_TRUE(std::filesystem::is_directory(path));
  EXPECT_EQ(FileMode(path), 0700);
  EXPECT_TRUE(EnsureDirectory(path).ok());  // existing: fine
}

TEST(EnsureDirectoryTest, FailsWhereAFileIsInTheWay) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.File("file"), "x").ok());
  EXPECT_EQ(EnsureDirectory(dir.File("file/sub")).code(), ErrorCode::kIoError);
}

TEST(CheckPrivateFileTest, Accepts0600And0400) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.File("s"), "x", 0600).ok());
  EXPECT_TRUE(CheckPrivateFile(dir.File("s")).ok());
  ASSERT_EQ(::chmod(dir.File("s").c_str(), 0400), 0);
  EXPECT_TRUE(CheckPrivateFile(dir.File("s")).ok());
}

TEST(CheckPrivateFileTest, Refuses0644And0640And0606) {
  TempDir dir;
  for (unsigned mode : {0644u, 0640u, 0606u, 0610u}) {
    ASSERT_TRUE(WriteFileAtomic(dir.File("s"), "x", mode).ok());
    Status status = CheckPrivateFile(dir.File("s"));
    EXPECT_EQ(status.code(), ErrorCode::kInsecureFile) << std::oct << mode;
    EXPECT_NE(status.message().find("chmod 600"), std::string::npos) << status.message();
  }
}

TEST(CheckPrivateFileTest, ReportsTheModeInTheMessage) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.File("s"), "x", 0644).ok());
  EXPECT_NE(CheckPrivateFile(dir.File("s")).message().find("0644"), std::string::npos);
}

TEST(CheckPrivateFileTest, MissingFileIsAnError) {
  TempDir dir;
  EXPECT_EQ(CheckPrivateFile(dir.File("missing")).code(), ErrorCode::kIoError);
}

}  // namespace
}  // namespace muster

namespace muster {
namespace {

TEST(WriteFileAtomicTest, ConcurrentWritersToOnePathEachSucceedAndNeverMix) {
  // Two programs may write the same file at once (both creating the keys on first start).
  // Each write must succeed and the file must end up as one of them, whole.
  muster::testing::TempDir dir;
  const std::string path = dir.File("shared");
  const std::string a(256 * 1024, 'a');
  const std::string b(256 * 1024, 'b');
  for (int round = 0; round < 50; ++round) {
    Status status_a, status_b;
    std::thread writer_a([&] { status_a = WriteFileAtomic(path, a, 0600); });
    std::thread writer_b([&] { status_b = WriteFileAtomic(path, b, 0600); });
    writer_a.join();
    writer_b.join();
    ASSERT_TRUE(status_a.ok()) << "round " << round << ": " << status_a.ToString();
    ASSERT_TRUE(status_b.ok()) << "round " << round << ": " << status_b.ToString();
    auto content = ReadFile(path);
    ASSERT_TRUE(content.ok());
    ASSERT_TRUE(*content == a || *content == b) << "round " << round << ": a mix of both";
  }
}

}  // namespace
}  // namespace muster
