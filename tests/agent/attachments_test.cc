// Attached files on the agent: copied into the store, hashed per chunk, queued behind
// status and findings, read back and checked when sent.
#include "attachments.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "agent_fixture.h"
#include "muster/digest.h"
#include "muster/files.h"
#include "muster/protocol.h"
#include "verbs.h"

namespace muster::agent::testing {
namespace {

using nlohmann::json;

// Bytes that differ from chunk to chunk, so that a chunk read from the wrong offset shows.
std::string Pattern(std::size_t size) {
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 131 + i / 977) & 0xFF);
  return data;
}

class AttachmentsTest : public AgentTest {
 protected:
  void SetUp() override {
    AgentTest::SetUp();
    Deploy();
  }

  std::string WriteSource(const std::string& name, const std::string& content) {
    const std::string path = dir_.File(name);
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  Status Attach(const std::string& step, const std::vector<std::string>& fields,
                const std::vector<std::string>& files, bool force = false) {
    out_.str("");
    return RecordFinding(*store_, step, fields, false, false, force, out_, files);
  }

  std::ostringstream out_;
};

TEST_F(AttachmentsTest, ImportCopiesAndHashesChunkByChunk) {
  const std::string content = Pattern(100'000);
  auto imported = ImportAttachment(dir_.path(), WriteSource("scene.jpg", content), 32768);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->name, "scene.jpg");
  EXPECT_EQ(imported->size, 100'000u);
  EXPECT_EQ(imported->sha256, Sha256Hex(content));
  ASSERT_EQ(imported->chunk_sha256.size(), 4u);  // 3 full chunks and 1696 bytes
  EXPECT_EQ(imported->chunk_sha256[3], Sha256Hex(content.substr(3 * 32768)));
  auto copy = ReadFile(AttachmentPath(dir_.path(), imported->sha256));
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(*copy, content);
  EXPECT_EQ(muster::testing::FileMode(AttachmentPath(dir_.path(), imported->sha256)), 0600);
}

TEST_F(AttachmentsTest, ImportRefusesWhatCannotBeAnAttachment) {
  EXPECT_EQ(ImportAttachment(dir_.path(), dir_.File("missing.jpg"), 32768).status().code(),
            "not_found");
  EXPECT_EQ(ImportAttachment(dir_.path(), dir_.path(), 32768).status().code(),
            "invalid_argument");
  // A sparse file just over the limit: refused from its size, before anything is copied.
  const std::string huge = WriteSource("huge.bin", "");
  ASSERT_EQ(::truncate(huge.c_str(), static_cast<off_t>(protocol::kMaxAttachmentBytes + 1)), 0);
  auto refused = ImportAttachment(dir_.path(), huge, 32768);
  EXPECT_EQ(refused.status().code(), "too_large");
  EXPECT_NE(refused.status().message().find("64 MiB"), std::string::npos);
}

// Acknowledges every record below the attachment lane, as HQ would before any chunk
// goes (a batch holds one lane); returns the kinds in the order they went.
std::vector<std::string> AckLanesBeforeChunks(AgentStore& store) {
  std::vector<std::string> kinds;
  while (true) {
    auto batch = store.NextBatch(kLaneFinding, 100, 1u << 20);
    if (!batch.ok() || batch->empty()) return kinds;
    std::vector<std::uint64_t> seqs;
    for (const auto& record : *batch) {
      seqs.push_back(record.seq);
      kinds.push_back(record.kind);
    }
    EXPECT_TRUE(store.MarkAcked(seqs).ok());
  }
}

TEST_F(AttachmentsTest, AFindingWithAFileQueuesItsChunksAfterStatusAndFindings) {
  const std::string content = Pattern(3 * protocol::kAttachmentChunkBytes + 10);
  ASSERT_TRUE(Attach("secondary_inspection", {"dose_rate_1m=3"},
                     {WriteSource("package.jpg", content)})
                  .ok())
      << out_.str();
  EXPECT_TRUE(Contains(out_.str(), "attached: package.jpg"));
  ASSERT_TRUE(SetState(*store_, "secondary_inspection", "in_progress", "", false, out_).ok());

  auto finding = store_->Records(TaskIdOf("secondary_inspection"));
  ASSERT_TRUE(finding.ok());
  const json& declared = finding->front().body["attachments"];
  ASSERT_EQ(declared.size(), 1u);
  EXPECT_EQ(declared[0]["sha256"], Sha256Hex(content));
  EXPECT_EQ(declared[0]["chunks"], 4);
  EXPECT_EQ(AckLanesBeforeChunks(*store_), (std::vector<std::string>{"status", "finding"}));
  auto batch = store_->NextBatch(100, 1u << 20);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 4u);  // the chunks, alone in their batch
  std::string reassembled;
  for (std::size_t i = 0; i < batch->size(); ++i) {
    const OutboxRecord& chunk = (*batch)[i];
    ASSERT_EQ(chunk.kind, "attachment_chunk");
    EXPECT_EQ(chunk.body["index"], i);
    EXPECT_EQ(chunk.body["name"], "package.jpg");
    EXPECT_EQ(chunk.body["size"], content.size());
    const auto& bytes = chunk.body["data"].get_binary();
    reassembled.append(bytes.begin(), bytes.end());
  }
  EXPECT_EQ(reassembled, content);
}

TEST_F(AttachmentsTest, ABatchIsCappedByTheChunksBytes) {
  ASSERT_TRUE(Attach("secondary_inspection", {}, {WriteSource("a.bin", Pattern(200'000))}).ok());
  AckLanesBeforeChunks(*store_);
  auto batch = store_->NextBatch(100, 100'000);
  ASSERT_TRUE(batch.ok());
  // Chunks while they fit about 100 kB: three of 32 KiB, or two with their descriptions.
  EXPECT_LE(batch->size(), 3u);
  EXPECT_GE(batch->size(), 2u);
}

TEST_F(AttachmentsTest, AnAttachmentFieldTakesTheFileAndRecordsItsName) {
  const std::string spectrum = WriteSource("cs137.spe", Pattern(5000));
  ASSERT_TRUE(Attach("identify_nuclide", {"nuclide=Cs-137", "spectrum=" + spectrum}, {},
                     /*force=*/true)
                  .ok())
      << out_.str();
  auto records = store_->Records(TaskIdOf("identify_nuclide"));
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);  // chunks are not listed among the member's records
  EXPECT_EQ(records->front().body["values"]["spectrum"], "cs137.spe");
  EXPECT_EQ(records->front().body["attachments"][0]["field"], "spectrum");
}

TEST_F(AttachmentsTest, TheSameFileTwiceTravelsOnce) {
  const std::string path = WriteSource("same.jpg", Pattern(40'000));
  ASSERT_TRUE(Attach("secondary_inspection", {}, {path}).ok());
  ASSERT_TRUE(Attach("secondary_inspection", {}, {path}).ok());
  AckLanesBeforeChunks(*store_);
  auto batch = store_->NextBatch(100, 1u << 20);
  ASSERT_TRUE(batch.ok());
  std::size_t chunks = 0;
  for (const auto& record : *batch) chunks += record.kind == "attachment_chunk";
  EXPECT_EQ(chunks, 2u);
}

TEST_F(AttachmentsTest, ReceiptsFollowTheChunks) {
  ASSERT_TRUE(Attach("secondary_inspection", {}, {WriteSource("p.jpg", Pattern(70'000))}).ok());
  auto progress = store_->Attachments("");
  ASSERT_TRUE(progress.ok());
  ASSERT_EQ(progress->size(), 1u);
  EXPECT_EQ(progress->front().chunks, 3u);
  EXPECT_EQ(progress->front().acked, 0u);

  AckLanesBeforeChunks(*store_);
  auto batch = store_->NextBatch(1, 1u << 20);  // the first chunk
  ASSERT_TRUE(batch.ok());
  std::vector<std::uint64_t> seqs;
  for (const auto& record : *batch) seqs.push_back(record.seq);
  ASSERT_TRUE(store_->MarkAcked(seqs).ok());
  progress = store_->Attachments("");
  EXPECT_EQ(progress->front().acked, 1u);
  std::ostringstream log;
  ASSERT_TRUE(ShowLog(*store_, "", false, log).ok());
  EXPECT_TRUE(Contains(log.str(), "1 of 3 chunk(s) acknowledged by HQ"));

  auto stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->pending, 2u);
  EXPECT_GT(stats->pending_bytes, 70'000u - 32768u);  // the file's bytes count, not the record's
}

TEST_F(AttachmentsTest, ADamagedCopyIsReportedNotSent) {
  const std::string content = Pattern(40'000);
  ASSERT_TRUE(Attach("secondary_inspection", {}, {WriteSource("d.jpg", content)}).ok());
  // The stored copy changes on disk after it was recorded.
  ASSERT_TRUE(WriteFileAtomic(AttachmentPath(dir_.path(), Sha256Hex(content)),
                              std::string(40'000, 'x'), 0600)
                  .ok());
  AckLanesBeforeChunks(*store_);
  auto batch = store_->NextBatch(100, 1u << 20);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_FALSE((*batch)[i].body.contains("data"));
    EXPECT_TRUE((*batch)[i].body.contains("damaged"));
  }
  auto progress = store_->Attachments("");
  ASSERT_TRUE(progress.ok());
  EXPECT_NE(progress->front().refusal.find("no longer matches"), std::string::npos);
}

TEST_F(AttachmentsTest, OnlyAttachmentsIsEnoughForAFinding) {
  EXPECT_EQ(Attach("secondary_inspection", {}, {}).code(), "invalid_argument");
  EXPECT_TRUE(Attach("secondary_inspection", {}, {WriteSource("x.txt", "hello")}).ok());
}

TEST_F(AttachmentsTest, NothingIsRecordedWhenAFileCannotBeRead) {
  EXPECT_EQ(Attach("secondary_inspection", {"dose_rate_1m=3"}, {dir_.File("gone.jpg")})
                .code(),
            "not_found");
  auto records = store_->Records("");
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());
}

}  // namespace
}  // namespace muster::agent::testing
