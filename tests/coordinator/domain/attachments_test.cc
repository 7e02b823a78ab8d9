// Attachments at HQ: pieces (at byte offsets, of any size the agent chose) checked one
// by one and stored with their acknowledgement, the whole file checked once the pieces
// cover it, overlapping pieces taken as they come, and no agent able to add to another's
// file.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include "muster/digest.h"
#include "store/schema.h"
#include "muster/sqlite_store.h"
#include "hq_fixture.h"

namespace muster::coordtest {
namespace {

constexpr char kTask[] = "d1.secondary_inspection.jonas";
constexpr std::uint64_t kChunk = 1000;

std::string Pattern(std::size_t size) {
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 7 + i / 251) & 0xFF);
  return data;
}

class AttachmentIngestTest : public HeadquartersTest {
 protected:
  void SetUp() override {
    HeadquartersTest::SetUp();
    DeployBorder();
  }

  json Meta(const std::string& content, const std::string& name = "scene.jpg") {
    return {{"sha256", Sha256Hex(content)}, {"name", name}, {"size", content.size()}};
  }

  hq::InboundRecord Finding(std::uint64_t seq, const std::string& content) {
    return {seq, "finding", clock_.Now(),
            {{"task", kTask}, {"values", json::object()}, {"attachments", {Meta(content)}}}};
  }

  // The piece of |content| of |length| bytes from |offset|.
  hq::InboundRecord Piece(std::uint64_t seq, const std::string& content, std::uint64_t offset,
                          std::uint64_t length, const std::string& task = kTask) {
    json body = Meta(content);
    body["attachment"] = body["sha256"];
    const std::string piece = content.substr(offset, length);
    body["sha256"] = Sha256Hex(piece);
    body["task"] = task;
    body["offset"] = offset;
    body["length"] = piece.size();
    body["data"] = json::binary_t(std::vector<std::uint8_t>(piece.begin(), piece.end()));
    return {seq, "attachment_chunk", clock_.Now(), body};
  }
  // Piece |index| when the file is cut into |kChunk| bytes each.
  hq::InboundRecord Chunk(std::uint64_t seq, const std::string& content, std::uint64_t index,
                          const std::string& task = kTask) {
    return Piece(seq, content, index * kChunk, kChunk, task);
  }

  std::int64_t AttachmentId() {
    return Count("SELECT COALESCE(MAX(id), 0) FROM attachments");
  }
};

TEST_F(AttachmentIngestTest, ChunksInAnyOrderMakeTheVerifiedFile) {
  const std::string content = Pattern(3500);
  IngestOk("jonas-1", {Finding(1, content), Chunk(4, content, 2)});
  IngestOk("jonas-1", {Chunk(2, content, 0), Chunk(5, content, 3)});
  const std::int64_t id = AttachmentId();
  auto partial = hq_->attachments().Describe(id);
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ((*partial)["state"], "receiving");
  EXPECT_EQ((*partial)["received_bytes"], 2500);
  EXPECT_EQ(hq_->attachments().Content(id).status().code(), ErrorCode::kNotReady);

  IngestOk("jonas-1", {Chunk(3, content, 1)});
  auto done = hq_->attachments().Describe(id);
  EXPECT_EQ((*done)["state"], "verified");
  auto bytes = hq_->attachments().Content(id);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, content);
  // The findings view names the file and its state.
  auto findings = hq_->views().IncidentFindings("INC-1");
  ASSERT_TRUE(findings.ok());
  ASSERT_EQ(findings->size(), 1u);
  EXPECT_EQ((*findings)[0]["attachments"][0]["state"], "verified");
  EXPECT_EQ((*findings)[0]["attachments"][0]["name"], "scene.jpg");
}

TEST_F(AttachmentIngestTest, PiecesOfAnySizeAndOverlappingOnesMakeTheFile) {
  // A thin link's small pieces, then a restored agent cutting the rest differently: its
  // pieces overlap what HQ has, and the file still comes out exactly.
  const std::string content = Pattern(5000);
  IngestOk("jonas-1", {Piece(1, content, 0, 700), Piece(2, content, 700, 1300)});
  IngestOk("jonas-1", {Piece(10, content, 1500, 2000), Piece(11, content, 3500, 1500)});
  const std::int64_t id = AttachmentId();
  EXPECT_EQ((*hq_->attachments().Describe(id))["state"], "verified");
  EXPECT_EQ((*hq_->attachments().Describe(id))["received_bytes"], 5000);
  EXPECT_EQ(*hq_->attachments().Content(id), content);
}

TEST_F(AttachmentIngestTest, ALongerPieceWhereAShorterOneIsHeldAddsItsBytes) {
  // An agent restored from a backup cuts the rest of the file from an offset HQ holds a
  // short piece at, with a bigger budget this time.
  const std::string content = Pattern(3000);
  IngestOk("jonas-1", {Piece(1, content, 0, 1000), Piece(2, content, 1000, 500)});
  IngestOk("jonas-1", {Piece(9, content, 1000, 2000)});
  const std::int64_t id = AttachmentId();
  EXPECT_EQ((*hq_->attachments().Describe(id))["received_bytes"], 3000);
  EXPECT_EQ((*hq_->attachments().Describe(id))["state"], "verified");
  EXPECT_EQ(*hq_->attachments().Content(id), content);
}

TEST_F(AttachmentIngestTest, AChunkOfAnAgentOlderThanPiecesIsPlacedByItsIndex) {
  const std::string content = Pattern(2500);
  std::vector<hq::InboundRecord> chunks;
  for (std::uint64_t index = 0; index < 3; ++index) {
    hq::InboundRecord chunk = Chunk(index + 1, content, index);
    chunk.body.erase("offset");
    chunk.body.erase("length");
    chunk.body["index"] = index;
    chunk.body["chunk_bytes"] = kChunk;
    chunk.body["chunks"] = 3;
    chunks.push_back(chunk);
  }
  IngestOk("jonas-1", chunks);
  EXPECT_EQ(*hq_->attachments().Content(AttachmentId()), content);
}

TEST_F(AttachmentIngestTest, AChunkSentTwiceIsStoredOnce) {
  const std::string content = Pattern(1500);
  IngestOk("jonas-1", {Chunk(1, content, 0)});
  // The same chunk again, under a new sequence (the agent attached the file twice).
  IngestOk("jonas-1", {Chunk(2, content, 0), Chunk(3, content, 1)});
  EXPECT_EQ(Count("SELECT COUNT(*) FROM attachment_pieces"), 2);
  EXPECT_EQ(Count("SELECT received FROM attachments"), 1500);
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT state FROM attachments"), "verified");
  // The inbound log keeps the record, not a second copy of its bytes.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM inbound WHERE body LIKE '%\"data\"%'"), 0);
}

TEST_F(AttachmentIngestTest, AChunkThatDoesNotMatchItsHashIsRefused) {
  const std::string content = Pattern(1500);
  hq::InboundRecord bad = Chunk(1, content, 0);
  bad.body["data"].get_binary()[10] ^= 0x01;
  auto outcome = IngestOk("jonas-1", {bad});
  ASSERT_EQ(outcome.refused.size(), 1u);
  EXPECT_EQ(outcome.refused[0].second.code(), ErrorCode::kMalformed);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM attachment_pieces"), 0);
  EXPECT_EQ(outcome.ingested, 1u);  // held and acknowledged: re-sending it cannot help
}

TEST_F(AttachmentIngestTest, AFileWhoseChunksDoNotMakeItsHashIsCorrupt) {
  const std::string content = Pattern(1500);
  const std::string other = Pattern(1501).substr(1);
  hq::InboundRecord first = Chunk(1, content, 0);
  hq::InboundRecord second = Chunk(2, other, 1);  // a valid piece of another file
  second.body["attachment"] = first.body["attachment"];
  IngestOk("jonas-1", {first, second});
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT state FROM attachments"), "corrupt");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='attachment_corrupt'"), 1);
  EXPECT_EQ(hq_->attachments().Content(AttachmentId()).status().code(), ErrorCode::kNotReady);
}

TEST_F(AttachmentIngestTest, AnAgentCannotAddToAnotherMembersTask) {
  const std::string content = Pattern(1500);
  auto outcome = IngestOk("li-1", {Chunk(1, content, 0)});
  ASSERT_EQ(outcome.refused.size(), 1u);
  EXPECT_EQ(outcome.refused[0].second.code(), ErrorCode::kForbidden);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM attachments"), 0);
}

TEST_F(AttachmentIngestTest, FilesAreKeptApartPerAgent) {
  // The same bytes from two agents are two files: neither can complete the other's.
  const std::string content = Pattern(1500);
  IngestOk("jonas-1", {Chunk(1, content, 0)});
  IngestOk("amira-1", {Chunk(1, content, 1, "d1.arrival_briefing.amira")});
  EXPECT_EQ(Count("SELECT COUNT(*) FROM attachments"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM attachments WHERE state='verified'"), 0);
}

TEST_F(AttachmentIngestTest, InconsistentDescriptionsAreRefused) {
  const std::string content = Pattern(1500);
  hq::InboundRecord too_big = Chunk(2, content, 0);
  too_big.body["size"] = std::uint64_t{1} << 40;
  auto outcome = IngestOk("jonas-1", {too_big});
  ASSERT_EQ(outcome.refused.size(), 1u);
  EXPECT_EQ(outcome.refused[0].second.code(), ErrorCode::kTooLarge);

  hq::InboundRecord past_the_end = Piece(3, content, 1000, 500);
  past_the_end.body["offset"] = 1200;
  EXPECT_EQ(IngestOk("jonas-1", {past_the_end}).refused.size(), 1u);

  hq::InboundRecord with_path = Chunk(4, content, 0);
  with_path.body["name"] = "../../etc/passwd";
  EXPECT_EQ(IngestOk("jonas-1", {with_path}).refused.size(), 1u);

  hq::InboundRecord empty = Chunk(5, content, 0);
  empty.body["data"] = json::binary_t(std::vector<std::uint8_t>{});
  empty.body["sha256"] = Sha256Hex("");
  EXPECT_EQ(IngestOk("jonas-1", {empty}).refused.size(), 1u);

  IngestOk("jonas-1", {Chunk(6, content, 0)});
  hq::InboundRecord resized = Chunk(7, content, 1);
  resized.body["size"] = 1600;  // the same file announced with another size
  EXPECT_EQ(IngestOk("jonas-1", {resized}).refused.size(), 1u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM attachment_pieces"), 1);
}

TEST_F(AttachmentIngestTest, ADamagedCopyAtTheAgentRaisesAnAlert) {
  const std::string content = Pattern(1500);
  hq::InboundRecord damaged = Chunk(1, content, 0);
  damaged.body.erase("data");
  damaged.body["damaged"] = "the stored copy no longer matches what was recorded";
  IngestOk("jonas-1", {damaged});
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT state FROM attachments"), "damaged");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM alerts WHERE kind='attachment_damaged'"), 1);
}

TEST_F(AttachmentIngestTest, AnEmptyFileIsVerifiedFromItsFinding) {
  IngestOk("jonas-1", {Finding(1, "")});
  EXPECT_EQ(QueryText(hq_->database().db(), "SELECT state FROM attachments"), "verified");
  auto bytes = hq_->attachments().Content(AttachmentId());
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(bytes->empty());
}

// A store from before pieces (schema 7): a file with two of its three fixed chunks in.
// Migration 8 turns the chunks into pieces at their offsets and counts the bytes they
// cover; the file waits for the rest.
TEST_F(AttachmentIngestTest, FilesInFixedChunksBeforeMigrationEightComeThroughIt) {
  hq_.reset();
  const std::string path = dir_.File("old.db");
  const std::string content = Pattern(2500);
  {
    std::vector<Migration> seven(hq::HqMigrations().begin(), hq::HqMigrations().begin() + 7);
    auto db = OpenStore(path, seven);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    (*db)->exec("PRAGMA foreign_keys=OFF");
    (*db)->exec("INSERT INTO attachments(id, agent_id, sha256, task_id, name, size, chunk_bytes, "
                "chunks, received, state, first_at) VALUES(1, 'jonas-1', '" +
                Sha256Hex(content) + "', 't', 'x.jpg', 2500, 1000, 3, 2, 'receiving', 1)");
    for (int index : {0, 2}) {
      SQLite::Statement chunk(**db, "INSERT INTO attachment_chunks(attachment_id, idx, data) "
                                    "VALUES(1, ?, ?)");
      const std::string part = content.substr(index * 1000, 1000);
      chunk.bind(1, index);
      chunk.bind(2, part.data(), static_cast<int>(part.size()));
      chunk.exec();
    }
  }
  auto reopened = hq::Headquarters::Open(path, clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(QueryInt((*reopened)->database().db(), "SELECT received FROM attachments WHERE id=1"), 1500);
  EXPECT_EQ(QueryInt((*reopened)->database().db(), "SELECT SUM(offset) FROM attachment_pieces"), 2000);
  EXPECT_EQ((*(*reopened)->attachments().Describe(1))["state"], "receiving");
}

}  // namespace
}  // namespace muster::coordtest
