// The daemon wakes on a verb's commit, end to end: the real Link::Run in a thread against
// an in-process coordinator (CURVE over tcp://127.0.0.1), with its keep-alive and status
// refresh an hour away, so that only the wake can make it send. Records are committed by
// another connection to the agent's store (as a verb is another process), and by the
// real muster-agent CLI. Each must be acknowledged by HQ within 5 s: that bound catches
// a daemon that never woke (it would sleep until its next due time, up to 60 s), not
// slowness; the latencies are recorded as test properties, not asserted.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <sstream>
#include <thread>

#include "coordinator_fixture.h"
#include "muster/files.h"
#include "verbs.h"

namespace muster::coordtest {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPerRecordLimit = std::chrono::seconds(5);
constexpr Millis kHour = 3'600'000;

class WakeTest : public CoordinatorTest {
 protected:
  void SetUp() override {
    CoordinatorTest::SetUp();
    StartHq();
    bundle_ = Enroll("jonas");
    Post("/v1/incidents", {{"id", "INC-1"}, {"title", "Portal alarm"}});
    Post("/v1/deployments", {{"incident", "INC-1"},
                             {"playbook_source", BorderPlaybookSource()},
                             {"assign", {{"team_leader", {"jonas"}},
                                         {"radiation_specialist", {"jonas"}},
                                         {"forensic_examiner", {"jonas"}},
                                         {"liaison_officer", {"jonas"}}}}});
    data_ = dir_.File("agent");
    std::filesystem::create_directories(data_);
    auto daemon_store = agent::AgentStore::Open(data_, bundle_, clock_);
    ASSERT_TRUE(daemon_store.ok()) << daemon_store.status().ToString();
    daemon_store_ = std::move(daemon_store).value();
    agent::LinkOptions options;
    options.watch_dir = data_;
    options.status_every_ms = kHour;
    options.sync.keepalive_ms = kHour;
    link_ = std::make_unique<agent::Link>(*daemon_store_, bundle_, clock_, options);
    daemon_ = std::thread([this] { link_->Run(stop_); });
    auto verb = agent::AgentStore::Open(data_, bundle_, clock_);
    ASSERT_TRUE(verb.ok()) << verb.status().ToString();
    verb_ = std::move(verb).value();
    // Welcomed, with the tasks HQ delivered.
    ASSERT_TRUE(WaitUntil(Clock::now() + std::chrono::seconds(15), [&] {
      return verb_->Link()->connected && verb_->Tasks()->size() >= 3;
    })) << "the daemon did not connect";
  }
  void TearDown() override {
    if (daemon_.joinable()) {
      stop_ = true;
      link_->Interrupt();
      daemon_.join();
    }
    link_.reset();
    CoordinatorTest::TearDown();
  }

  static bool WaitUntil(Clock::time_point deadline, const std::function<bool()>& done) {
    while (!done()) {
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  std::uint64_t Acked() {
    auto stats = verb_->outbox().Stats();
    return stats.ok() ? stats->acked : 0;
  }
  std::uint64_t Sent() { return link_->stats().sync.records_sent; }

  // Runs the real CLI on this agent's data directory; its exit status.
  int RunCli(const std::vector<std::string>& args) {
    const std::string config = dir_.File("agent.yaml");
    if (!std::filesystem::exists(config)) {
      EXPECT_TRUE(WriteFileAtomic(dir_.File("bundle.json"), BundleToJson(bundle_), 0600).ok());
      EXPECT_TRUE(WriteFileAtomic(config, "bundle: " + dir_.File("bundle.json") +
                                              "\ndata_dir: " + data_ + "\n")
                      .ok());
    }
    std::vector<std::string> argv = {MUSTER_AGENT_BIN, "--config", config};
    argv.insert(argv.end(), args.begin(), args.end());
    const pid_t child = ::fork();
    if (child == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, STDOUT_FILENO);
      std::vector<char*> raw;
      for (std::string& arg : argv) raw.push_back(arg.data());
      raw.push_back(nullptr);
      ::execv(MUSTER_AGENT_BIN, raw.data());
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  Bundle bundle_;
  std::string data_;
  std::unique_ptr<agent::AgentStore> daemon_store_;
  std::unique_ptr<agent::AgentStore> verb_;
  std::unique_ptr<agent::Link> link_;
  std::atomic<bool> stop_{false};
  std::thread daemon_;
};

double Millis(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

TEST_F(WakeTest, EveryCommitOfAnotherConnectionIsSentWithoutATimer) {
  constexpr int kCommits = 50;
  std::vector<double> sent_ms, acked_ms;
  for (int i = 0; i < kCommits; ++i) {
    // Commits land in every phase of the daemon's loop: asleep, or still busy with the
    // previous acknowledgement.
    std::this_thread::sleep_for(std::chrono::milliseconds((i % 5) * 7));
    const std::uint64_t sent_before = Sent();
    const std::uint64_t acked_before = Acked();
    std::uint64_t records = 1;
    const auto committed_at = Clock::now();
    if (i % 2 == 0) {
      // A lone Append: the `note` and `alert` verbs.
      std::ostringstream out;
      Status noted = agent::RecordNote(*verb_, "", "note " + std::to_string(i), out);
      ASSERT_TRUE(noted.ok()) << noted.ToString();
    } else {
      // Several records in one Transaction: `done`, `finding`, `ack`.
      records = 2;
      Status status = verb_->outbox().Transaction([&]() -> Status {
        for (int part = 0; part < 2; ++part) {
          auto seq = verb_->outbox().Append("note", "", {{"text", "part " + std::to_string(part)}},
                                   agent::kLaneStatus);
          if (!seq.ok()) return seq.status();
        }
        return Status::Ok();
      });
      ASSERT_TRUE(status.ok()) << status.ToString();
    }
    const auto deadline = committed_at + kPerRecordLimit;
    ASSERT_TRUE(WaitUntil(deadline, [&] { return Sent() >= sent_before + records; }))
        << "commit " << i << " was not sent within 5 s: the daemon did not wake";
    sent_ms.push_back(Millis(Clock::now() - committed_at));
    ASSERT_TRUE(WaitUntil(deadline, [&] { return Acked() >= acked_before + records; }))
        << "commit " << i << " was sent but not acknowledged within 5 s";
    acked_ms.push_back(Millis(Clock::now() - committed_at));
  }
  auto median = [](std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
  };
  RecordProperty("commits", kCommits);
  RecordProperty("sent_median_ms", std::to_string(median(sent_ms)));
  RecordProperty("sent_max_ms", std::to_string(*std::max_element(sent_ms.begin(), sent_ms.end())));
  RecordProperty("acked_median_ms", std::to_string(median(acked_ms)));
  RecordProperty("acked_max_ms",
                 std::to_string(*std::max_element(acked_ms.begin(), acked_ms.end())));
  std::cout << "commit to sent: median " << median(sent_ms) << " ms, max "
            << *std::max_element(sent_ms.begin(), sent_ms.end())
            << " ms; commit to acknowledged by HQ: median " << median(acked_ms) << " ms, max "
            << *std::max_element(acked_ms.begin(), acked_ms.end()) << " ms\n";
}

TEST_F(WakeTest, TheRealVerbsWakeTheDaemon) {
  // `note` appends alone; `ack` and `start` append inside a transaction.
  const std::vector<std::vector<std::string>> verbs = {
      {"note", "on scene"}, {"ack", "arrival_briefing"}, {"note", "portal 2400 cps"},
      {"start", "arrival_briefing"}, {"note", "briefing now"}};
  for (const auto& args : verbs) {
    const std::uint64_t acked_before = Acked();
    const auto started = Clock::now();
    ASSERT_EQ(RunCli(args), 0) << args[0];
    EXPECT_TRUE(WaitUntil(started + kPerRecordLimit, [&] { return Acked() > acked_before; }))
        << "`muster-agent " << args[0] << "` was not acknowledged within 5 s";
  }
}

}  // namespace
}  // namespace muster::coordtest
