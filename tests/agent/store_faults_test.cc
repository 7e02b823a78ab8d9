// The local store under the faults a field laptop meets: a writer killed in the middle of
// a commit (the closest a test gets to pulling the power), and a disk that is full for
// real. Nothing the member was told is recorded may be lost or doubled.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "agent_fixture.h"
#include "muster/files.h"
#include "verbs.h"

namespace muster::agent::testing {
namespace {

using nlohmann::json;

// How many finding records hold dose_rate_1m == value, by value, over the whole store.
std::map<long, int> FindingCounts(AgentStore& store) {
  std::map<long, int> counts;
  auto records = store.outbox().Records("");
  EXPECT_TRUE(records.ok());
  if (!records.ok()) return counts;
  for (const OutboxRecord& record : *records) {
    if (record.kind != "finding") continue;
    counts[record.body["values"]["dose_rate_1m"].get<long>()]++;
  }
  return counts;
}

std::string IntegrityCheck(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet("PRAGMA integrity_check").getString();
}

long FileSize(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? static_cast<long>(info.st_size) : 0;
}

// Reads one line from |fd|; false at end of file (the writer died).
bool ReadLine(int fd, std::string& line) {
  line.clear();
  char c = 0;
  while (::read(fd, &c, 1) == 1) {
    if (c == '\n') return true;
    line += c;
  }
  return false;
}

class StoreFaultsTest : public AgentTest {
 protected:
  // The real CLI runs on dir_ with no daemon to hand it a key; SealedVfsTest and
  // VaultCliTest cover sealed stores under concurrent processes.
  bool Sealed() const override { return false; }
  void SetUp() override {
    AgentTest::SetUp();
    Deploy();
    store_.reset();  // no connection of ours is carried into a child
  }
};

// A child records findings through the real verb, one per commit, and prints "recorded N"
// to a pipe after each returns; the parent reads a few and kills it with SIGKILL, wherever
// it is. Round after round on the same store.
TEST_F(StoreFaultsTest, AWriterKilledMidCommitLosesAndDoublesNothingItConfirmed) {
  std::mt19937 random(11);
  std::vector<long> confirmed;
  for (int round = 0; round < 8; ++round) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(pipe_fds[0]);
      auto store = AgentStore::Open(dir_.path(), bundle_, clock_);
      if (!store.ok()) ::_exit(3);
      for (long i = 0;; ++i) {
        const long value = round * 10'000 + i;
        std::ostringstream out;
        Status status = RecordFinding(**store, "secondary_inspection",
                                      {"dose_rate_1m=" + std::to_string(value)}, true, false,
                                      false, out);
        if (!status.ok()) ::_exit(4);
        const std::string line = "recorded " + std::to_string(value) + "\n";
        if (::write(pipe_fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
          ::_exit(5);
        }
      }
    }
    ::close(pipe_fds[1]);
    const int wanted = 5 + static_cast<int>(random() % 60);
    std::string line;
    for (int got = 0; got < wanted && ReadLine(pipe_fds[0], line); ++got) {
      ASSERT_EQ(line.rfind("recorded ", 0), 0u) << line;
      confirmed.push_back(std::stol(line.substr(9)));
    }
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    // Whatever the child wrote to the pipe before it died was confirmed too.
    while (ReadLine(pipe_fds[0], line)) confirmed.push_back(std::stol(line.substr(9)));
    ::close(pipe_fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "round " << round << ": the writer failed by itself ("
                                     << WEXITSTATUS(status) << ")";
  }
  EXPECT_EQ(IntegrityCheck(dir_.File("agent.db")), "ok");
  auto reopened = OpenAnother();
  ASSERT_NE(reopened, nullptr);
  std::map<long, int> counts = FindingCounts(*reopened);
  for (long value : confirmed) EXPECT_EQ(counts[value], 1) << "confirmed record " << value;
  for (const auto& [value, count] : counts) EXPECT_EQ(count, 1) << "record " << value;
  EXPECT_GE(counts.size(), confirmed.size());
  // The store goes on working after all that.
  std::ostringstream out;
  EXPECT_TRUE(RecordFinding(*reopened, "secondary_inspection", {"dose_rate_1m=99999"}, true,
                            false, false, out)
                  .ok());
}

// The real muster-agent, in a child whose file size limit (RLIMIT_FSIZE, SIGXFSZ ignored)
// stands in for a full disk: the kernel refuses the writes past it (EFBIG), exactly as a
// full file system refuses them (ENOSPC). Findings are recorded until one is refused.
TEST_F(StoreFaultsTest, AFullDiskRefusesTheNewRecordClearlyAndKeepsEveryEarlierOne) {
  ASSERT_TRUE(WriteFileAtomic(dir_.File("bundle.json"), BundleToJson(bundle_), 0600).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_.File("agent.yaml"), "bundle: " + dir_.File("bundle.json") +
                                                           "\ndata_dir: " + dir_.path() + "\n")
                  .ok());
  const rlim_t limit = static_cast<rlim_t>(
      std::max(FileSize(dir_.File("agent.db")), FileSize(dir_.File("agent.db-wal"))) + 16 * 1024);
  std::vector<long> accepted;
  std::string refusal;
  int refused_exit = 0;
  for (long value = 1; value <= 400 && refusal.empty(); ++value) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::dup2(pipe_fds[1], STDOUT_FILENO);
      ::dup2(pipe_fds[1], STDERR_FILENO);
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
      const rlimit size{limit, limit};
      ::setrlimit(RLIMIT_FSIZE, &size);
      ::signal(SIGXFSZ, SIG_IGN);
      const std::string config = dir_.File("agent.yaml");
      const std::string field = "dose_rate_1m=" + std::to_string(value);
      ::execl(MUSTER_AGENT_BIN, MUSTER_AGENT_BIN, "--config", config.c_str(), "finding",
              "secondary_inspection", "--field", field.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    std::string output;
    char buffer[512];
    for (ssize_t got; (got = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) {
      output.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status)) << "muster-agent died: " << output;
    if (WEXITSTATUS(status) == 0) {
      ASSERT_NE(output.find("recorded:"), std::string::npos) << output;
      accepted.push_back(value);
    } else {
      refusal = output;
      refused_exit = WEXITSTATUS(status);
    }
  }
  ASSERT_FALSE(refusal.empty()) << "the size limit never refused a write";
  EXPECT_FALSE(accepted.empty()) << "the limit left no room at all: " << refusal;
  EXPECT_NE(refused_exit, 0);
  EXPECT_TRUE(Contains(refusal, "disk full: free space is needed at " + dir_.path()));
  EXPECT_TRUE(Contains(refusal, "nothing recorded before is lost"));

  // Space is freed (this process has no limit): everything accepted is there, once.
  EXPECT_EQ(IntegrityCheck(dir_.File("agent.db")), "ok");
  auto reopened = OpenAnother();
  ASSERT_NE(reopened, nullptr);
  std::map<long, int> counts = FindingCounts(*reopened);
  for (long value : accepted) EXPECT_EQ(counts[value], 1) << "accepted record " << value;
  EXPECT_EQ(counts.size(), accepted.size()) << "the refused record must not be there";
  std::ostringstream out;
  EXPECT_TRUE(RecordFinding(*reopened, "secondary_inspection", {"dose_rate_1m=7"}, false, false,
                            false, out)
                  .ok());
}

}  // namespace
}  // namespace muster::agent::testing
