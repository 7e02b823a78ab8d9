// Attached files on the agent: copied into the store and hashed, queued behind status
// and findings, cut into pieces sized to the budget when sent, read back and checked.
#include "attachments.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
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

TEST_F(AttachmentsTest, ImportCopiesAndHashesTheFile) {
  const std::string content = Pattern(100'000);
  auto imported = ImportAttachment(dir_.path(), WriteSource("scene.jpg", content));
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->name, "scene.jpg");
  EXPECT_EQ(imported->size, 100'000u);
  EXPECT_EQ(imported->sha256, Sha256Hex(content));
  EXPECT_TRUE(VerifyCopy(dir_.path(), imported->sha256).ok());
  auto copy = ReadFile(AttachmentPath(dir_.path(), imported->sha256));
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(*copy, content);
  EXPECT_EQ(muster::testing::FileMode(AttachmentPath(dir_.path(), imported->sha256)), 0600);
}

TEST_F(AttachmentsTest, ImportRefusesWhatCannotBeAnAttachment) {
  EXPECT_EQ(ImportAttachment(dir_.path(), dir_.File("missing.jpg")).status().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(ImportAttachment(dir_.path(), dir_.path()).status().code(),
            ErrorCode::kInvalidArgument);
  // A sparse file just over the limit: refused from its size, before anything is copied.
  const std::string huge = WriteSource("huge.bin", "");
  ASSERT_EQ(::truncate(huge.c_str(), static_cast<off_t>(protocol::kMaxAttachmentBytes + 1)), 0);
  auto refused = ImportAttachment(dir_.path(), huge);
  EXPECT_EQ(refused.status().code(), ErrorCode::kTooLarge);
  EXPECT_NE(refused.status().message().find("64 MiB"), std::string::npos);
}

// Acknowledges every record below the attachment lane, as HQ would before any chunk
// goes (a batch holds one lane); returns the kinds in the order they went.
std::vector<std::string> AckLanesBeforeChunks(AgentStore& store) {
  std::vector<std::string> kinds;
  while (true) {
    auto batch = store.outbox().NextBatch(kLaneFinding, 100, 1u << 20);
    if (!batch.ok() || batch->empty()) return kinds;
    std::vector<std::uint64_t> seqs;
    for (const auto& record : *batch) {
      seqs.push_back(record.seq);
      kinds.push_back(record.kind);
    }
    EXPECT_TRUE(store.outbox().MarkAcked(seqs).ok());
  }
}

// Joins the pieces of |batch| in offset order, checking each against its own sha256.
std::string Reassemble(const std::vector<OutboxRecord>& batch) {
  std::string whole;
  for (const OutboxRecord& piece : batch) {
    EXPECT_EQ(piece.kind, "attachment_chunk");
    EXPECT_EQ(piece.body["offset"], whole.size());
    const auto& bytes = piece.body["data"].get_binary();
    const std::string data(bytes.begin(), bytes.end());
    EXPECT_EQ(piece.body["length"], data.size());
    EXPECT_EQ(piece.body["sha256"], Sha256Hex(data));
    whole += data;
  }
  return whole;
}

TEST_F(AttachmentsTest, AFileTravelsAfterStatusAndFindingsInPiecesCutToTheBudget) {
  const std::string content = Pattern(100'010);
  ASSERT_TRUE(Attach("secondary_inspection", {"dose_rate_1m=3"},
                     {WriteSource("package.jpg", content)})
                  .ok())
      << out_.str();
  EXPECT_TRUE(Contains(out_.str(), "attached: package.jpg"));
  ASSERT_TRUE(SetState(*store_, "secondary_inspection", "in_progress", "", false, out_).ok());
  auto finding = store_->outbox().Records(TaskIdOf("secondary_inspection"));
  ASSERT_TRUE(finding.ok());
  const json& declared = finding->front().body["attachments"];
  ASSERT_EQ(declared.size(), 1u);
  EXPECT_EQ(declared[0], json({{"sha256", Sha256Hex(content)}, {"name", "package.jpg"},
                               {"size", 100'010}}));
  EXPECT_EQ(store_->outbox().Stats()->pending, 3u) << "the status, the finding, and the uncut file";
  EXPECT_EQ(AckLanesBeforeChunks(*store_), (std::vector<std::string>{"status", "finding"}));
  EXPECT_EQ(*store_->outbox().LowestPendingLane(), kLaneAttachment);

  // A thin link's budget: small pieces; a fast one's: the rest in one go.
  auto small = store_->outbox().NextBatch(100, 1'500);
  ASSERT_TRUE(small.ok());
  ASSERT_EQ(small->size(), 1u);
  EXPECT_LE(small->front().body["length"].get<std::size_t>(), 1'500u);
  EXPECT_EQ(small->front().body["name"], "package.jpg");
  EXPECT_EQ(small->front().body["size"], 100'010);
  ASSERT_TRUE(store_->outbox().MarkAcked({small->front().seq}).ok());
  auto rest = store_->outbox().NextBatch(100, 256u << 10);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 1u);
  std::vector<OutboxRecord> all = {small->front(), rest->front()};
  EXPECT_EQ(Reassemble(all), content);
  ASSERT_TRUE(store_->outbox().MarkAcked({rest->front().seq}).ok());
  EXPECT_EQ(store_->outbox().Stats()->pending, 0u);
  EXPECT_EQ(*store_->outbox().LowestPendingLane(), -1);
}

TEST_F(AttachmentsTest, APieceSentButNotAcknowledgedGoesAgainAsItWasCut) {
  const std::string content = Pattern(10'000);
  ASSERT_TRUE(Attach("secondary_inspection", {}, {WriteSource("a.bin", content)}).ok());
  AckLanesBeforeChunks(*store_);
  auto first = store_->outbox().NextBatch(100, 4'000);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  ASSERT_TRUE(store_->outbox().MarkSent({first->front().seq}).ok());
  // The link dropped: the same piece goes again, even to a bigger budget.
  auto again = store_->outbox().NextBatch(100, 256u << 10);
  ASSERT_TRUE(again.ok());
  ASSERT_GE(again->size(), 2u) << "the piece again, then the rest cut anew";
  EXPECT_EQ((*again)[0].seq, first->front().seq);
  EXPECT_EQ((*again)[0].body["length"], first->front().body["length"]);
  EXPECT_EQ(Reassemble(*again), content);
}

TEST_F(AttachmentsTest, AnAttachmentFieldTakesTheFileAndRecordsItsName) {
  const std::string spectrum = WriteSource("cs137.spe", Pattern(5000));
  ASSERT_TRUE(Attach("identify_nuclide", {"nuclide=Cs-137", "spectrum=" + spectrum}, {},
                     /*force=*/true)
                  .ok())
      << out_.str();
  auto records = store_->outbox().Records(TaskIdOf("identify_nuclide"));
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
  auto batch = store_->outbox().NextBatch(100, 1u << 20);
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(Reassemble(*batch).size(), 40'000u);
}

TEST_F(AttachmentsTest, ReceiptsFollowTheBytes) {
  ASSERT_TRUE(Attach("secondary_inspection", {}, {WriteSource("p.jpg", Pattern(70'000))}).ok());
  auto progress = store_->outbox().Attachments("");
  ASSERT_TRUE(progress.ok());
  ASSERT_EQ(progress->size(), 1u);
  EXPECT_EQ(progress->front().size, 70'000u);
  EXPECT_EQ(progress->front().acked, 0u);

  AckLanesBeforeChunks(*store_);
  auto batch = store_->outbox().NextBatch(100, 30'000);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 1u);
  const auto length = batch->front().body["length"].get<std::uint64_t>();
  ASSERT_TRUE(store_->outbox().MarkAcked({batch->front().seq}).ok());
  progress = store_->outbox().Attachments("");
  EXPECT_EQ(progress->front().acked, length);
  std::ostringstream log;
  ASSERT_TRUE(ShowLog(*store_, "", false, log).ok());
  EXPECT_TRUE(Contains(log.str(), "acknowledged by HQ; the rest follows")) << log.str();

  auto stats = store_->outbox().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->pending, 1u) << "the rest of the file, not yet cut";
  EXPECT_EQ(stats->pending_bytes, 70'000u - length);
}

TEST_F(AttachmentsTest, ADamagedCopyIsReportedNotSent) {
  const std::string content = Pattern(40'000);
  ASSERT_TRUE(Attach("secondary_inspection", {}, {WriteSource("d.jpg", content)}).ok());
  // The stored copy changes on disk after it was recorded.
  ASSERT_TRUE(WriteFileAtomic(AttachmentPath(dir_.path(), Sha256Hex(content), store_->copies_key()),
                              std::string(40'000, 'x'), 0600)
                  .ok());
  AckLanesBeforeChunks(*store_);
  auto batch = store_->outbox().NextBatch(100, 1u << 20);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 1u) << "the rest of the file as one damaged piece";
  EXPECT_FALSE(batch->front().body.contains("data"));
  EXPECT_TRUE(Contains(batch->front().body["damaged"].get<std::string>(), "it is damaged"));
  auto progress = store_->outbox().Attachments("");
  ASSERT_TRUE(progress.ok());
  EXPECT_TRUE(Contains(progress->front().refusal, "it is damaged"));
}

TEST_F(AttachmentsTest, ACopyDamagedAfterAPieceWasCutIsReportedWhenItGoesAgain) {
  const std::string content = Pattern(20'000);
  ASSERT_TRUE(Attach("secondary_inspection", {}, {WriteSource("e.jpg", content)}).ok());
  AckLanesBeforeChunks(*store_);
  auto first = store_->outbox().NextBatch(100, 1u << 20);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  ASSERT_TRUE(WriteFileAtomic(AttachmentPath(dir_.path(), Sha256Hex(content), store_->copies_key()),
                              std::string(20'000, 'y'), 0600)
                  .ok());
  auto again = store_->outbox().NextBatch(100, 1u << 20);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1u);
  EXPECT_TRUE(again->front().body.contains("damaged"));
  EXPECT_FALSE(again->front().body.contains("data"));
}

TEST_F(AttachmentsTest, OnlyAttachmentsIsEnoughForAFinding) {
  EXPECT_EQ(Attach("secondary_inspection", {}, {}).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(Attach("secondary_inspection", {}, {WriteSource("x.txt", "hello")}).ok());
}

TEST_F(AttachmentsTest, NothingIsRecordedWhenAFileCannotBeRead) {
  EXPECT_EQ(Attach("secondary_inspection", {"dose_rate_1m=3"}, {dir_.File("gone.jpg")}).code(),
            ErrorCode::kNotFound);
  auto records = store_->outbox().Records("");
  ASSERT_TRUE(records.ok());
  EXPECT_TRUE(records->empty());
}

// A store from before pieces (schema 3): a file attached in fixed 32 KiB chunks, half of
// them acknowledged. Migration 4 gives the chunks their offsets and lengths, marks the file
// as all cut, and the rest travels as pieces: nothing acknowledged goes again, nothing
// of the file is lost.
TEST_F(AttachmentsTest, AFileInFixedChunksFromAnOlderStoreTravelsOnAsPieces) {
  const std::string dir = dir_.File("old-store");
  std::filesystem::create_directories(dir + "/attachments");
  const std::string content = Pattern(70'000);
  const std::string sha = Sha256Hex(content);
  ASSERT_TRUE(WriteFileAtomic(AttachmentPath(dir, sha), content, 0600).ok());
  {
    std::vector<Migration> three(AgentMigrations().begin(), AgentMigrations().begin() + 3);
    auto db = OpenStore(dir + "/agent.db", three);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    (*db)->exec("INSERT INTO meta(key, value) VALUES('agent_id', 'agent-7'), "
                "('member_id', 'm.okafor'), ('hq_id', 'hq-3f2a'), ('applied', '0')");
    (*db)->exec("INSERT INTO attachments(sha256, name, size, chunk_bytes, chunks, task, "
                "created_at) VALUES('" + sha + "', 'old.jpg', 70000, 32768, 3, 't', 1)");
    for (int index = 0; index < 3; ++index) {
      const std::size_t bytes = std::min<std::size_t>(32768, 70'000 - index * 32768);
      SQLite::Statement chunk(**db,
                              "INSERT INTO outbox(kind, task, body, lane, created_at, acked_at) "
                              "VALUES('attachment_chunk', 't', ?, 3, 1, ?)");
      chunk.bind(1, json({{"task", "t"}, {"attachment", sha}, {"index", index},
                          {"sha256", Sha256Hex(content.substr(index * 32768, bytes))},
                          {"bytes", bytes}})
                        .dump());
      if (index == 0) chunk.bind(2, 5); else chunk.bind(2);
      chunk.exec();
    }
  }
  auto store = AgentStore::Open(dir, bundle_, clock_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto batch = (*store)->outbox().NextBatch(100, 1u << 20);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->size(), 2u) << "the two chunks not acknowledged, and nothing cut anew";
  EXPECT_EQ((*batch)[0].body["offset"], 32768);
  EXPECT_EQ((*batch)[1].body["offset"], 65536);
  EXPECT_EQ((*batch)[1].body["length"], 70'000 - 65536);
  EXPECT_EQ(content.substr(32768), [&] {
    std::string rest;
    for (const OutboxRecord& piece : *batch) {
      const auto& bytes = piece.body["data"].get_binary();
      rest.append(bytes.begin(), bytes.end());
    }
    return rest;
  }());
  auto progress = (*store)->outbox().Attachments("");
  ASSERT_TRUE(progress.ok());
  EXPECT_EQ(progress->front().acked, 32768u);
}

}  // namespace
}  // namespace muster::agent::testing
