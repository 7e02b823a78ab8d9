// Lost-device protection on the agent (docs/security.md, "a lost laptop"): the vault
// that turns the passphrase into keys, the daemon's key service over its Unix socket, the
// sealed store and copies, sealing a plain store, retention, and the real CLI: locked
// verbs, `unlock`, and the daemon and a verb sharing a sealed store.
#include "vault/vault.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sodium.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "agent_fixture.h"
#include "attachments.h"
#include "muster/digest.h"
#include "muster/files.h"
#include "pruner.h"
#include "relay/relay_queue.h"
#include "vault/key_service.h"
#include "vault/seal_store.h"
#include "verbs.h"

namespace muster::agent::testing {
namespace {

constexpr char kPassphrase[] = "amber fox under the bridge";
constexpr char kSecretText[] = "Cs-137 source found behind the third container";

std::string Bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

bool FileExists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// --- the vault ---

TEST(VaultTest, OnlyThePassphraseUnlocksIt) {
  muster::testing::TempDir dir;
  auto made = CreateVault(dir.path(), kPassphrase, MinimumVaultLimits());
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(muster::testing::FileMode(VaultPath(dir.path())), 0600);
  EXPECT_EQ(Bytes(VaultPath(dir.path())).find(kPassphrase), std::string::npos);
  auto again = UnlockVault(dir.path(), kPassphrase);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->Equals(*made));
  auto wrong = UnlockVault(dir.path(), "amber fox under the bridgE");
  EXPECT_EQ(wrong.status().code(), ErrorCode::kBadKey);
  EXPECT_TRUE(Contains(wrong.status().message(), "wrong passphrase"));
  // Subkeys differ from each other and from the master key.
  EXPECT_FALSE(
      DeriveSubkey(*made, Subkey::kStore).Equals(DeriveSubkey(*made, Subkey::kAttachments)));
  EXPECT_EQ(CreateVault(dir.path(), kPassphrase, MinimumVaultLimits()).status().code(),
            ErrorCode::kConflict);
  EXPECT_EQ(CreateVault(dir.path() + "/x", "short", MinimumVaultLimits()).status().code(),
            ErrorCode::kInvalidArgument);
}

// --- the key service ---

TEST(KeyServiceTest, TheDaemonHandsTheKeyOnlyOnceUnlocked) {
  muster::testing::TempDir dir;
  auto master = CreateVault(dir.path(), kPassphrase, MinimumVaultLimits());
  ASSERT_TRUE(master.ok());
  auto no_daemon = FetchKey(dir.path());
  EXPECT_EQ(no_daemon.status().code(), ErrorCode::kNotReady);
  EXPECT_TRUE(
      Contains(no_daemon.status().message(), "the store is locked: run muster-agent unlock"));

  auto service = KeyService::Start(dir.path());
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  EXPECT_EQ(muster::testing::FileMode(KeySocketPath(dir.path())), 0600);
  auto locked = FetchKey(dir.path());
  EXPECT_EQ(locked.status().code(), ErrorCode::kNotReady);
  EXPECT_TRUE(Contains(locked.status().message(), "the store is locked: run muster-agent unlock"));

  SecretBytes wrong(32);
  randombytes_buf(wrong.data(), wrong.size());
  EXPECT_EQ(HandKey(dir.path(), wrong).code(), ErrorCode::kBadKey);
  EXPECT_FALSE((*service)->Key());

  std::atomic<bool> stop{false};
  std::optional<SecretBytes> waited;
  std::thread waiter([&] { waited = (*service)->WaitForKey(stop); });
  ASSERT_TRUE(HandKey(dir.path(), *master).ok());
  waiter.join();
  ASSERT_TRUE(waited);
  EXPECT_TRUE(waited->Equals(*master));
  auto fetched = FetchKey(dir.path());
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_TRUE(fetched->Equals(*master));

  service->reset();  // the daemon stops: the socket goes, and the key with it
  EXPECT_FALSE(FileExists(KeySocketPath(dir.path())));
  EXPECT_EQ(FetchKey(dir.path()).status().code(), ErrorCode::kNotReady);
}

TEST(KeyServiceTest, AnotherUserGetsNoKeyEvenThroughAnOpenSocket) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
  muster::testing::TempDir dir;
  auto master = CreateVault(dir.path(), kPassphrase, MinimumVaultLimits());
  ASSERT_TRUE(master.ok());
  auto service = KeyService::Start(dir.path());
  ASSERT_TRUE(service.ok());
  ASSERT_TRUE(HandKey(dir.path(), *master).ok());
  // Opened up on purpose, so that only the peer's uid stands in the way.
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  ASSERT_EQ(::chmod(KeySocketPath(dir.path()).c_str(), 0666), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    auto key = FetchKey(dir.path());
    ::_exit(key.ok() ? 1 : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: another uid was given the key";
  EXPECT_TRUE(FetchKey(dir.path()).ok()) << "the member still gets it";
}

TEST(KeyServiceTest, WaitingStopsWhenTheDaemonIsStopped) {
  muster::testing::TempDir dir;
  ASSERT_TRUE(CreateVault(dir.path(), kPassphrase, MinimumVaultLimits()).ok());
  auto service = KeyService::Start(dir.path());
  ASSERT_TRUE(service.ok());
  std::atomic<bool> stop{true};
  EXPECT_FALSE((*service)->WaitForKey(stop));
}

// --- the sealed store and copies (the fixture's store is sealed) ---

class SealedStoreTest : public AgentTest {};

TEST_F(SealedStoreTest, NoFindingTextReachesTheDisk) {
  Deploy();
  std::ostringstream out;
  ASSERT_TRUE(RecordNote(*store_, "", kSecretText, out).ok()) << out.str();
  ASSERT_TRUE(
      RecordFinding(*store_, "secondary_inspection", {"dose_rate_1m=12.5"}, true, false, false, out)
          .ok())
      << out.str();
  for (const char* file : {"agent.db", "agent.db-wal"}) {
    const std::string bytes = Bytes(dir_.File(file));
    EXPECT_EQ(bytes.find("Cs-137"), std::string::npos) << file;
    EXPECT_EQ(bytes.find("secondary_inspection"), std::string::npos) << file;
    EXPECT_EQ(bytes.find("dose_rate_1m"), std::string::npos) << file;
  }
  // Another connection with the key reads it all; without the key, nothing opens.
  auto another = OpenAnother();
  ASSERT_TRUE(another);
  auto records = another->outbox().Records("");
  ASSERT_TRUE(records.ok());
  EXPECT_GE(records->size(), 2u);
  auto plain = AgentStore::Open(dir_.path(), bundle_, clock_);
  EXPECT_EQ(plain.status().code(), ErrorCode::kStoreCorrupt);
  SecretBytes wrong(32);
  auto locked = AgentStore::Open(dir_.path(), bundle_, clock_, &wrong);
  EXPECT_TRUE(Contains(locked.status().message(), "wrong passphrase or damaged file"));
}

TEST_F(SealedStoreTest, AttachedCopiesAreSealedAndReadBackInPieces) {
  std::string content;
  for (int i = 0; content.size() < 200'000; ++i)
    content += "spectrum line " + std::to_string(i) + "\n";
  ASSERT_TRUE(WriteFileAtomic(dir_.File("cs137.spe"), content, 0600).ok());
  const SecretBytes* key = store_->copies_key();
  ASSERT_NE(key, nullptr);
  auto imported = ImportAttachment(dir_.path(), dir_.File("cs137.spe"), key);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->sha256, Sha256Hex(content));
  const std::string path = AttachmentPath(dir_.path(), imported->sha256, key);
  EXPECT_EQ(path.find(imported->sha256), std::string::npos) << "the name reveals the hash";
  EXPECT_EQ(Bytes(path).find("spectrum line"), std::string::npos);
  EXPECT_TRUE(VerifyCopy(dir_.path(), imported->sha256, key).ok());
  auto piece = ReadPiece(dir_.path(), imported->sha256, 65'000, 70'000, key);  // across chunks
  ASSERT_TRUE(piece.ok()) << piece.status().ToString();
  EXPECT_EQ(*piece, content.substr(65'000, 70'000));
  EXPECT_EQ(ReadPiece(dir_.path(), imported->sha256, 199'000, 5'000, key).status().code(),
            ErrorCode::kDamaged);
  {  // one flipped byte in the second chunk
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(70'000);
    file.put('\x55');
  }
  EXPECT_EQ(VerifyCopy(dir_.path(), imported->sha256, key).code(), ErrorCode::kDamaged);
  EXPECT_TRUE(ReadPiece(dir_.path(), imported->sha256, 0, 1000, key).ok()) << "the first chunk";
}

// --- sealing a store that was plain ---

class PlainStoreTest : public AgentTest {
 protected:
  bool Sealed() const override { return false; }
};

TEST_F(PlainStoreTest, SealingKeepsEveryRecordAndLeavesNothingPlain) {
  Deploy();
  std::ostringstream out;
  ASSERT_TRUE(RecordNote(*store_, "", kSecretText, out).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_.File("photo.jpg"), "a photo of the source", 0600).ok());
  ASSERT_TRUE(RecordFinding(*store_, "secondary_inspection", {"dose_rate_1m=3"}, false, false,
                            false, out, {dir_.File("photo.jpg")})
                  .ok())
      << out.str();
  auto before = store_->outbox().Records("");
  ASSERT_TRUE(before.ok());
  const auto head = store_->outbox().Head();
  store_.reset();

  auto master = CreateVault(dir_.path(), kPassphrase, MinimumVaultLimits());
  ASSERT_TRUE(master.ok());
  ASSERT_TRUE(SealPlainStore(dir_.path(), *master).ok());
  EXPECT_EQ(Bytes(dir_.File("agent.db")).find("Cs-137"), std::string::npos);
  EXPECT_FALSE(FileExists(dir_.File("agent.db.plain")));
  EXPECT_FALSE(FileExists(AttachmentPath(dir_.path(), Sha256Hex("a photo of the source"))));

  auto sealed = AgentStore::Open(dir_.path(), bundle_, clock_, &*master);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  auto after = (*sealed)->outbox().Records("");
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), before->size());
  for (std::size_t i = 0; i < before->size(); ++i) {
    EXPECT_EQ((*after)[i].seq, (*before)[i].seq);
    EXPECT_EQ((*after)[i].body, (*before)[i].body);
  }
  EXPECT_EQ(*(*sealed)->outbox().Head(), *head);
  auto appended = (*sealed)->outbox().Append(wire::NoteRecord{.text = "after sealing"});
  ASSERT_TRUE(appended.ok());
  EXPECT_EQ(*appended, *head + 1);
  EXPECT_TRUE(
      VerifyCopy(dir_.path(), Sha256Hex("a photo of the source"), (*sealed)->copies_key()).ok());
  EXPECT_EQ(AgentStore::Open(dir_.path(), bundle_, clock_).status().code(),
            ErrorCode::kStoreCorrupt);
}

// --- retention ---

class RetentionTest : public AgentTest {
 protected:
  // HQ closes every task of deployment 1 (its snapshot says completed).
  void CloseDeployment() {
    std::vector<Delivery> closing;
    std::uint64_t seq = *store_->AppliedWatermark() + 1;
    for (const char* step :
         {"secondary_inspection", "establish_cordon", "expand_cordon", "identify_nuclide"}) {
      closing.push_back(TaskDelivery(seq++, {.step = step, .state = "completed"}));
    }
    ASSERT_TRUE(store_->ApplyDeliveries(closing).ok());
  }
  std::uint64_t Note(const std::string& text) {
    auto seq = store_->outbox().Append(wire::NoteRecord{.text = text});
    EXPECT_TRUE(seq.ok());
    return seq.ok() ? *seq : 0;
  }
};

TEST_F(RetentionTest, OnlyOldAcknowledgedRecordsGoAndNoSeqIsGivenTwice) {
  Deploy();
  std::ostringstream out;
  ASSERT_TRUE(
      RecordFinding(*store_, "secondary_inspection", {"dose_rate_1m=3"}, false, false, false, out)
          .ok());
  const std::uint64_t finding_head = *store_->outbox().Head();  // the finding and its effects
  const std::uint64_t old_acked = Note("old, acknowledged");
  const std::uint64_t old_pending = Note("old, HQ does not have it");
  const std::uint64_t old_acked_above = Note("old, acknowledged above the pending one");
  std::vector<std::uint64_t> acked = {old_acked, old_acked_above};
  for (std::uint64_t seq = 1; seq <= finding_head; ++seq) acked.push_back(seq);
  ASSERT_TRUE(store_->outbox().MarkAcked(acked).ok());
  clock_.Advance(20LL * 86'400'000);
  const std::uint64_t recent = Note("recent, acknowledged");
  ASSERT_TRUE(store_->outbox().MarkAcked({recent}).ok());
  const auto head_before = *store_->outbox().Head();
  const auto watermark_before = *store_->outbox().AckedWatermark();
  const auto acked_before = store_->outbox().Stats()->acked;

  Pruner pruner(OpenAnother(), clock_, kDefaultRetention);
  auto open_deployment = pruner.PruneOnce();
  ASSERT_TRUE(open_deployment.ok()) << open_deployment.status().ToString();
  auto records = store_->outbox().Records("");
  ASSERT_TRUE(records.ok());
  std::set<std::uint64_t> left;
  for (const auto& record : *records) left.insert(record.seq);
  EXPECT_TRUE(left.count(1)) << "a finding of an open deployment is kept: triggers read it";
  EXPECT_FALSE(left.count(old_acked)) << "a note with no task, acknowledged 20 days ago";
  EXPECT_TRUE(left.count(old_pending)) << "never a record HQ does not hold";
  EXPECT_TRUE(left.count(old_acked_above)) << "above the watermark: HQ's ranges still name it";
  EXPECT_TRUE(left.count(recent));

  CloseDeployment();
  ASSERT_TRUE(store_->outbox().MarkAcked({old_pending}).ok());
  clock_.Advance(20LL * 86'400'000);
  ASSERT_TRUE(pruner.PruneOnce().ok());
  records = store_->outbox().Records("");
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u) << "the newest record stays: the sequence goes on from it; "
                                 << records->front().kind << " " << records->front().task;
  EXPECT_EQ(records->front().seq, head_before);
  EXPECT_EQ(*store_->outbox().Head(), head_before);
  EXPECT_GE(*store_->outbox().AckedWatermark(), watermark_before);
  EXPECT_EQ(store_->outbox().Stats()->acked, acked_before + 1) << "pruned records count as HQ's";
  EXPECT_EQ(Note("the next record"), head_before + 1);
}

TEST_F(RetentionTest, AFileGoesWithItsPiecesOnceAllAreOldAndAcknowledged) {
  Deploy();
  ASSERT_TRUE(WriteFileAtomic(dir_.File("photo.jpg"), "a photo of the source", 0600).ok());
  std::ostringstream out;
  ASSERT_TRUE(RecordFinding(*store_, "secondary_inspection", {"dose_rate_1m=3"}, false, false,
                            false, out, {dir_.File("photo.jpg")})
                  .ok());
  const std::string copy =
      AttachmentPath(dir_.path(), Sha256Hex("a photo of the source"), store_->copies_key());
  ASSERT_TRUE(FileExists(copy));
  CloseDeployment();
  Pruner pruner(OpenAnother(), clock_, kDefaultRetention);
  // HQ takes the finding, then the file's piece (cut once the lanes before it are empty).
  for (int round = 0; round < 3; ++round) {
    auto batch = store_->outbox().NextBatch(100, 1 << 20);
    ASSERT_TRUE(batch.ok());
    std::vector<std::uint64_t> seqs;
    for (const auto& record : *batch) seqs.push_back(record.seq);
    if (round == 1) {  // the piece is cut, but HQ has not acknowledged it yet
      ASSERT_FALSE(seqs.empty());
      clock_.Advance(20LL * 86'400'000);
      ASSERT_TRUE(pruner.PruneOnce().ok());
      EXPECT_TRUE(FileExists(copy)) << "not acknowledged yet";
    }
    ASSERT_TRUE(store_->outbox().MarkAcked(seqs).ok());
  }
  ASSERT_EQ(store_->outbox().Attachments("")->front().acked, 21u);
  Note("newest");
  ASSERT_TRUE(store_->outbox().MarkAcked({*store_->outbox().Head()}).ok());
  clock_.Advance(20LL * 86'400'000);
  auto pruned = pruner.PruneOnce();
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->files, 1u);
  EXPECT_FALSE(FileExists(copy));
  EXPECT_TRUE(store_->outbox().Attachments("")->empty());
}

TEST_F(RetentionTest, TheRelaysCopiesOfTeammatesRecordsGoOnceHqHeldThemLongAgo) {
  RelayQueue queue(store_->database(), clock_, store_->agent_id());
  const auto record = [](std::uint64_t seq) {
    return RelayedRecord{"jonas-1", {seq, "note", 1, {{"text", "seen at the gate"}}}, "tag"};
  };
  ASSERT_TRUE(queue.Keep("jonas-1", {record(1), record(2)}).ok());
  ASSERT_TRUE(queue.MarkHeldAtHq("jonas-1", {1}).ok());
  clock_.Advance(20LL * 86'400'000);
  Pruner pruner(OpenAnother(), clock_, kDefaultRetention);
  auto pruned = pruner.PruneOnce();
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->relayed, 1u);
  auto counts = queue.Stats();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->held, 1u) << "the one HQ does not hold stays, however old";
  EXPECT_EQ(counts->waiting, 1u);
}

// --- the real CLI ---

struct Output {
  int status = -1;
  std::string text;  // stdout and stderr
};

class VaultCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bundle_ = MakeBundle();
    ASSERT_TRUE(WriteFileAtomic(dir_.File("bundle.json"), BundleToJson(bundle_), 0600).ok());
    ASSERT_TRUE(WriteFileAtomic(config_, "bundle: " + dir_.File("bundle.json") +
                                             "\ndata_dir: " + data_ + "\nlog_level: warn\n")
                    .ok());
  }
  void TearDown() override { StopDaemon(); }

  // Runs muster-agent with |args|, |input| on its stdin (not a terminal).
  Output Run(const std::vector<std::string>& args, const std::string& input = "") {
    int in[2], out[2];
    EXPECT_EQ(::pipe(in), 0);
    EXPECT_EQ(::pipe(out), 0);
    const pid_t child = ::fork();
    if (child == 0) {
      ::dup2(in[0], STDIN_FILENO);
      ::dup2(out[1], STDOUT_FILENO);
      ::dup2(out[1], STDERR_FILENO);
      ::close(in[1]);
      ::close(out[0]);
      std::vector<std::string> all = {MUSTER_AGENT_BIN, "--config", config_};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& arg : all) argv.push_back(arg.data());
      argv.push_back(nullptr);
      ::execv(MUSTER_AGENT_BIN, argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    if (!input.empty()) {
      EXPECT_EQ(::write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
    }
    ::close(in[1]);
    Output result;
    char buffer[4096];
    for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) result.text.append(buffer, n);
    ::close(out[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }

  void StartDaemon() {
    daemon_ = ::fork();
    if (daemon_ == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      ::execl(MUSTER_AGENT_BIN, MUSTER_AGENT_BIN, "--config", config_.c_str(), "run", nullptr);
      ::_exit(127);
    }
    // Up once its key socket answers.
    for (int i = 0; i < 200 && !FileExists(KeySocketPath(data_)); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  void StopDaemon() {
    if (daemon_ <= 0) return;
    ::kill(daemon_, SIGTERM);
    int status = 0;
    ::waitpid(daemon_, &status, 0);
    daemon_ = -1;
  }

  muster::testing::TempDir dir_;
  std::string config_ = dir_.File("agent.yaml");
  std::string data_ = dir_.File("data");
  Bundle bundle_;
  pid_t daemon_ = -1;
};

TEST_F(VaultCliTest, OneUnlockAShiftServesTheDaemonAndEveryVerb) {
  // A laptop set up before the vault: its plain store is sealed by --set-passphrase.
  Output note = Run({"note", kSecretText});
  ASSERT_EQ(note.status, 0) << note.text;
  Output set = Run({"unlock", "--set-passphrase"}, std::string(kPassphrase) + "\n");
  ASSERT_EQ(set.status, 0) << set.text;
  EXPECT_EQ(Bytes(data_ + "/agent.db").find("Cs-137"), std::string::npos);

  Output locked = Run({"tasks"});
  EXPECT_EQ(locked.status, 1);
  EXPECT_TRUE(Contains(locked.text, "the store is locked: run muster-agent unlock")) << locked.text;
  Output no_daemon = Run({"unlock"}, std::string(kPassphrase) + "\n");
  EXPECT_EQ(no_daemon.status, 1);
  EXPECT_TRUE(Contains(no_daemon.text, "the daemon is not running")) << no_daemon.text;

  StartDaemon();  // at boot: locked, waiting
  ASSERT_TRUE(FileExists(KeySocketPath(data_)));
  locked = Run({"log"});
  EXPECT_EQ(locked.status, 1);
  EXPECT_TRUE(Contains(locked.text, "the store is locked: run muster-agent unlock")) << locked.text;
  Output empty = Run({"unlock"}, "");
  EXPECT_EQ(empty.status, 2) << "a wrong use, as for any bad argument";
  EXPECT_TRUE(Contains(empty.text, "the passphrase is read from standard input")) << empty.text;
  EXPECT_FALSE(Contains(empty.text, "--password-stdin")) << "muster-agent has no such flag";
  Output wrong = Run({"unlock"}, "not the passphrase\n");
  EXPECT_EQ(wrong.status, 1);
  EXPECT_TRUE(Contains(wrong.text, "wrong passphrase")) << wrong.text;

  Output unlocked = Run({"unlock"}, std::string(kPassphrase) + "\n");
  ASSERT_EQ(unlocked.status, 0) << unlocked.text;
  // Verbs now open the sealed store with the daemon's key, while the daemon holds it open.
  for (int i = 0; i < 5; ++i) {
    Output another = Run({"note", "note " + std::to_string(i)});
    ASSERT_EQ(another.status, 0) << another.text;
  }
  Output log = Run({"log"});
  ASSERT_EQ(log.status, 0) << log.text;
  EXPECT_TRUE(Contains(log.text, kSecretText));
  EXPECT_TRUE(Contains(log.text, "note 4"));
  Output status = Run({"status"});
  EXPECT_EQ(status.status, 0) << status.text;

  StopDaemon();  // the laptop shuts down: the key is gone with the daemon
  locked = Run({"log"});
  EXPECT_EQ(locked.status, 1);
  EXPECT_TRUE(Contains(locked.text, "the store is locked")) << locked.text;
}

}  // namespace
}  // namespace muster::agent::testing
