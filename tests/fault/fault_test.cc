// Nothing lost, nothing twice, whatever happens between a field agent and HQ. Every test
// ends by comparing both sides record by record: every record the agent committed is
// acknowledged, HQ holds each exactly once with the same content, and its effect (a
// timeline note) exists exactly once.
#include <gtest/gtest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <thread>

#include "agent_store.h"
#include "api_client.h"
#include "link_emulator.h"
#include "service/headquarters.h"
#include "muster/bundle.h"
#include "muster/files.h"
#include "muster/playbook/load.h"
#include "muster/digest.h"
#include "processes.h"
#include "verbs.h"

namespace muster {
namespace {

using nlohmann::json;
using testing::ChildProcess;
using testing::LinkEmulator;
using testing::ProcessResult;

bool WaitUntil(const std::function<bool()>& condition, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (std::filesystem::temp_directory_path() /
             ("muster-fault-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                .string();
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ + "/hq");
    std::ofstream(root_ + "/coordinator.yaml")
        << "data_dir: " << root_ << "/hq\nlog_level: warn\nagents:\n  bind: tcp://127.0.0.1:*\n"
        << "api:\n  bind: 127.0.0.1\n  port: 0\n";
    proxy_ = std::make_unique<LinkEmulator>(1);
    StartCoordinator();
    Enroll("jonas");
  }

  void TearDown() override {
    agent_.reset();
    hq_.reset();
    store_.reset();
    proxy_.reset();
    if (!HasFailure()) std::filesystem::remove_all(root_);  // kept for the post-mortem
  }

  void StartCoordinator() {
    std::filesystem::remove(root_ + "/hq/coordinator.json");
    hq_ = std::make_unique<ChildProcess>(
        MUSTER_COORDINATOR_BIN, std::vector<std::string>{"--config", root_ + "/coordinator.yaml"},
        root_ + "/coordinator.log");
    json info;
    ASSERT_TRUE(WaitUntil(
        [&] {
          auto text = ReadFile(root_ + "/hq/coordinator.json");
          if (!text.ok()) return false;
          info = json::parse(*text, nullptr, false);
          return info.is_object() && info.value("pid", 0) == hq_->pid();
        },
        20))
        << "the coordinator did not start; see " << root_ << "/coordinator.log";
    const std::string endpoint = info["agent_endpoint"];
    proxy_->SetTarget(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
    auto api = console::ApiClient::FromDataDir(root_ + "/hq");
    ASSERT_TRUE(api.ok());
    api_ = std::make_unique<console::ApiClient>(*api);
    ASSERT_TRUE(WaitUntil([&] { return api_->Get("/v1/health").ok(); }, 10));
  }

  void Enroll(const std::string& member) {
    ASSERT_TRUE(api_->Post("/v1/members", {{"id", member}}).ok());
    auto enrolled = api_->Post("/v1/agents", {{"member", member}});
    ASSERT_TRUE(enrolled.ok()) << enrolled.status().ToString();
    auto bundle = ParseBundle((*enrolled)["bundle"].get<std::string>());
    ASSERT_TRUE(bundle.ok());
    bundle_ = *bundle;
    bundle_.endpoint = "tcp://127.0.0.1:" + std::to_string(proxy_->port());  // via the "link"
    const std::string dir = root_ + "/" + member;
    std::filesystem::create_directories(dir);
    ASSERT_TRUE(WriteFileAtomic(dir + "/bundle.json", BundleToJson(bundle_), 0600).ok());
    std::ofstream(dir + "/agent.yaml") << "bundle: " << dir << "/bundle.json\ndata_dir: " << dir
                                       << "/data\nlog_level: info\n";
    agent_config_ = dir + "/agent.yaml";
    std::filesystem::create_directories(dir + "/data");
    auto store = agent::AgentStore::Open(dir + "/data", bundle_, clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  void StartAgent() {
    agent_ = std::make_unique<ChildProcess>(
        MUSTER_AGENT_BIN, std::vector<std::string>{"--config", agent_config_, "run"},
        root_ + "/agent.log");
  }

  // What the member records: notes, each committed before this returns.
  void Record(int count) {
    for (int i = 0; i < count; ++i) {
      auto seq = store_->outbox().Append("note", "", {{"text", "note " + std::to_string(next_note_++)}},
                                agent::kLaneStatus);
      ASSERT_TRUE(seq.ok()) << seq.status().ToString();
    }
  }

  std::uint64_t Pending() {
    auto stats = store_->outbox().Stats();
    return stats.ok() ? stats->pending : ~0ull;
  }

  std::int64_t HqCount(const std::string& sql) {
    try {
      SQLite::Database db(root_ + "/hq/muster.db", SQLite::OPEN_READONLY);
      db.setBusyTimeout(5000);
      SQLite::Statement query(db, sql);
      query.bind(1, bundle_.agent_id);
      query.executeStep();
      return query.getColumn(0).getInt64();
    } catch (const std::exception&) {
      return -1;
    }
  }
  std::int64_t HqHeld() { return HqCount("SELECT COUNT(*) FROM inbound WHERE agent_id=?"); }

  // The end state every fault test must reach.
  // Generous: a loaded CI machine, a dead-peer timeout (15 s) and a backoff that may have
  // grown to its 30 s cap while the link was down all come before the drain itself.
  void ExpectExactlyOnce(int seconds = 180) {
    ASSERT_TRUE(WaitUntil([&] { return Pending() == 0; }, seconds))
        << Pending() << " record(s) never acknowledged; see " << root_;
    auto records = store_->outbox().Records("");
    ASSERT_TRUE(records.ok());
    ASSERT_EQ(static_cast<int>(records->size()), next_note_);
    SQLite::Database db(root_ + "/hq/muster.db", SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    SQLite::Statement held(db, "SELECT seq, body FROM inbound WHERE agent_id=? ORDER BY seq");
    held.bind(1, bundle_.agent_id);
    std::map<std::uint64_t, json> at_hq;
    while (held.executeStep()) {
      at_hq[static_cast<std::uint64_t>(held.getColumn(0).getInt64())] =
          json::parse(held.getColumn(1).getString());
    }
    ASSERT_EQ(at_hq.size(), records->size()) << "HQ holds a different number of records";
    for (const auto& record : *records) {
      ASSERT_TRUE(at_hq.count(record.seq)) << "seq " << record.seq << " lost";
      EXPECT_EQ(at_hq[record.seq], record.body) << "seq " << record.seq << " differs";
    }
    SQLite::Statement notes(db, "SELECT COUNT(*), COUNT(DISTINCT text) FROM timeline WHERE "
                                "kind='note'");
    notes.executeStep();
    EXPECT_EQ(notes.getColumn(0).getInt(), next_note_) << "a note's effect is missing or doubled";
    EXPECT_EQ(notes.getColumn(1).getInt(), next_note_);
  }

  SystemClock clock_;
  std::string root_;
  std::unique_ptr<LinkEmulator> proxy_;
  std::unique_ptr<ChildProcess> hq_;
  std::unique_ptr<ChildProcess> agent_;
  std::unique_ptr<console::ApiClient> api_;
  Bundle bundle_;
  std::string agent_config_;
  std::unique_ptr<agent::AgentStore> store_;
  int next_note_ = 0;
};

TEST_F(FaultTest, CoordinatorKilledWhileIngestingLosesAndDoublesNothing) {
  Record(3000);
  StartAgent();
  for (std::int64_t stop_at : {300, 1200, 2400}) {
    ASSERT_TRUE(WaitUntil([&] { return HqHeld() >= stop_at; }, 60));
    hq_->Kill();  // mid-stream: batches are in flight and being committed
    StartCoordinator();
  }
  ExpectExactlyOnce();
}

TEST_F(FaultTest, AgentKilledRightAfterLocalCommitsLosesAndDoublesNothing) {
  std::mt19937 random(7);
  for (int round = 0; round < 15; ++round) {
    StartAgent();
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 300));
    Record(40);  // committed; the daemon may be reading, sending or marking them
    agent_->Kill();
  }
  StartAgent();
  ExpectExactlyOnce();
}

TEST_F(FaultTest, LinkCutAndRestoredAtRandomMomentsLosesAndDoublesNothing) {
  StartAgent();
  std::atomic<bool> recording{true};
  std::thread member([&] {
    for (int i = 0; i < 100; ++i) {
      Record(15);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    recording = false;
  });
  std::mt19937 random(42);
  int cuts = 0;
  while (recording || cuts < 20) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + random() % 250));
    proxy_->Cut();
    ++cuts;
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + random() % 250));
    proxy_->Restore();
  }
  member.join();
  EXPECT_GE(cuts, 20);
  ExpectExactlyOnce();
}

TEST_F(FaultTest, LongOfflineBacklogDrainsCompletelyOnReconnection) {
  proxy_->Cut();
  StartAgent();
  Record(5000);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(HqHeld(), 0);
  proxy_->Restore();
  ExpectExactlyOnce();
}

// A one-step playbook whose step takes a photo, deployed to jonas.
constexpr char kPhotoPlaybook[] = R"(id: photo-drill
version: "1.0.0"
title: Photograph the scene
hazards: [radiological]
roles:
  - id: lead
    title: Lead
phases:
  - id: work
    title: Work
steps:
  - id: photograph
    title: Photograph
    phase: work
    role: lead
    findings:
      - id: photo
        type: attachment
)";

TEST_F(FaultTest, AnAttachmentRecordedOfflineResumesAcrossCutsAndArrivesVerified) {
  ASSERT_TRUE(api_->Post("/v1/incidents", {{"id", "INC-1"}, {"title", "Drill"}}).ok());
  auto deployed = api_->Post("/v1/deployments", {{"incident", "INC-1"},
                                                 {"playbook_source", kPhotoPlaybook},
                                                 {"assign", {{"lead", {"jonas"}}}}});
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  StartAgent();
  ASSERT_TRUE(WaitUntil([&] { auto tasks = store_->Tasks(); return tasks.ok() && !tasks->empty(); }, 60))
      << "the task never reached the agent";
  proxy_->Cut();

  // 2 MiB that do not compress, recorded with the link down, among status and notes.
  std::mt19937 random(7);
  std::string photo(2u << 20, '\0');
  for (char& byte : photo) byte = static_cast<char>(random());
  const std::string path = root_ + "/scene.jpg";
  ASSERT_TRUE(WriteFileAtomic(path, photo, 0600).ok());
  std::ostringstream out;
  ASSERT_TRUE(agent::SetState(*store_, "photograph", "in_progress", "", false, out).ok()) << out.str();
  ASSERT_TRUE(agent::RecordFinding(*store_, "photograph", {"photo=" + path}, false, true, false, out).ok())
      << out.str();
  std::filesystem::remove(path);  // the member deletes the original: the store has a copy
  Record(200);

  proxy_->ResetCounters();
  proxy_->Restore();
  // Cut the link again and again while the file travels.
  int cuts = 0;
  while (Pending() > 0 && cuts < 15) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + random() % 700));
    proxy_->Cut();
    ++cuts;
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + random() % 200));
    proxy_->Restore();
  }
  ASSERT_TRUE(WaitUntil([&] { return Pending() == 0; }, 240))
      << Pending() << " record(s) never acknowledged; see " << root_;

  EXPECT_EQ(HqCount("SELECT COUNT(*) FROM attachments WHERE agent_id=? AND state='verified'"), 1);
  EXPECT_EQ(HqCount("SELECT received FROM attachments WHERE agent_id=?"),
            static_cast<std::int64_t>(photo.size()))
      << "the pieces cover the file exactly once";
  auto listed = api_->Get("/v1/incidents/INC-1/findings");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  const json& file = (*listed)[0]["attachments"][0];
  EXPECT_EQ(file["sha256"], Sha256Hex(photo));
  auto content = api_->GetBytes("/v1/attachments/" + std::to_string(file["id"].get<int>()) +
                                "/content");
  ASSERT_TRUE(content.ok()) << content.status().ToString();
  EXPECT_TRUE(*content == photo) << "the file at HQ differs from the member's";
  EXPECT_EQ(HqCount("SELECT COUNT(*) FROM timeline WHERE kind='note' AND actor<>?"), 200);
  // Resumed, not restarted: what crossed the link is the file once plus what was in
  // flight at each cut (at most one 256 KiB batch), not the file once per cut.
  EXPECT_LT(proxy_->bytes_up(), photo.size() + (cuts + 2) * (300u << 10))
      << cuts << " cuts, " << proxy_->bytes_up() << " bytes up";
  RecordProperty("cuts", cuts);
  RecordProperty("bytes_up", static_cast<int>(proxy_->bytes_up()));
}

// The documented procedure (operations.md#backups): an online backup while the agent
// keeps sending, the coordinator's restore verb after the disaster.
TEST_F(FaultTest, CoordinatorRestoredFromAnOlderBackupGetsWhatItLostAgain) {
  const std::string coordinator = std::string(MUSTER_COORDINATOR_BIN) + " --data " + root_ + "/hq";
  StartAgent();
  Record(500);
  ASSERT_TRUE(WaitUntil([&] { return Pending() == 0; }, 60));
  // Online: the coordinator runs and the agent stays connected.
  ASSERT_EQ(std::system((coordinator + " backup --to " + root_ + "/backup.db >/dev/null").c_str()),
            0);
  EXPECT_EQ(std::filesystem::status(root_ + "/backup.db").permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  Record(700);
  ASSERT_TRUE(WaitUntil([&] { return Pending() == 0; }, 60));
  ASSERT_EQ(HqHeld(), 1200);

  // The restore refuses while the coordinator holds the data directory.
  EXPECT_NE(std::system((coordinator + " restore --from " + root_ + "/backup.db 2>/dev/null").c_str()),
            0);
  hq_->Terminate();  // disaster: HQ's store is restored from the older backup
  ASSERT_EQ(std::system((coordinator + " restore --from " + root_ + "/backup.db >/dev/null").c_str()),
            0);
  StartCoordinator();
  ASSERT_TRUE(WaitUntil([&] { return HqHeld() == 1200; }, 60))
      << "HQ holds " << HqHeld() << " of 1200 after the restore";
  ExpectExactlyOnce();
}

// protocol.md §6, the double restore: HQ is restored from a backup, then the agent from
// an even older copy. The deliveries after the agent's cursor are no longer all at HQ
// (HQ continued its numbering after what the agent had applied, leaving a gap); HQ
// restarts the agent at a full view, the agent converges on HQ's truth, and the member is
// told the view was rebuilt.
TEST_F(FaultTest, AfterBothSidesAreRestoredTheAgentConvergesOnHqsTruth) {
  ASSERT_TRUE(api_->Post("/v1/incidents", {{"id", "INC-1"}, {"title", "Drill"}}).ok());
  const auto deploy = [&] {
    auto deployed = api_->Post("/v1/deployments", {{"incident", "INC-1"},
                                                   {"playbook_source", kPhotoPlaybook},
                                                   {"assign", {{"lead", {"jonas"}}}}});
    ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  };
  const auto tasks_at_agent = [&] {
    auto tasks = store_->Tasks();
    return tasks.ok() ? tasks->size() : 0u;
  };
  const std::string data = root_ + "/jonas/data";
  const auto copy_store = [&](const std::string& from, const std::string& to) {
    std::filesystem::create_directories(to);
    for (const char* suffix : {"", "-wal"}) {
      std::filesystem::remove(to + "/agent.db" + suffix);
      if (std::filesystem::exists(from + "/agent.db" + suffix)) {
        std::filesystem::copy_file(from + "/agent.db" + suffix, to + "/agent.db" + suffix);
      }
    }
    std::filesystem::remove(to + "/agent.db-shm");
  };
  deploy();
  StartAgent();
  ASSERT_TRUE(WaitUntil([&] { return tasks_at_agent() == 1; }, 60));
  agent_->Terminate();
  copy_store(data, root_ + "/agent-backup");  // the laptop's oldest copy

  StartAgent();
  deploy();
  ASSERT_TRUE(WaitUntil([&] { return tasks_at_agent() == 2; }, 60));
  hq_->Terminate();
  std::filesystem::copy_file(root_ + "/hq/muster.db", root_ + "/hq-backup.db");
  StartCoordinator();
  // After HQ's backup: an officer cancels the first task; the laptop applies it.
  const std::string first = "d1.photograph.jonas";
  ASSERT_TRUE(api_->Post("/v1/tasks/" + first + "/cancel", {{"reason", "wrong site"}}).ok());
  ASSERT_TRUE(WaitUntil([&] { return store_->FindTask(first)->hq_state == "cancelled"; }, 60));

  // HQ is restored from its backup (the cancellation is gone there)...
  hq_->Terminate();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(root_ + "/hq/muster.db" + suffix);
  std::filesystem::copy_file(root_ + "/hq-backup.db", root_ + "/hq/muster.db");
  StartCoordinator();
  ASSERT_TRUE(WaitUntil([&] { return store_->FindTask(first)->hq_state != "cancelled"; }, 60))
      << "the laptop follows the restored HQ";
  // ...then the laptop from its older copy.
  agent_->Terminate();
  store_.reset();
  copy_store(root_ + "/agent-backup", data);
  auto reopened = agent::AgentStore::Open(data, bundle_, clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(reopened).value();
  ASSERT_EQ(tasks_at_agent(), 1u) << "the old copy knows only the first deployment";
  StartAgent();

  // The laptop converges on what HQ holds: both tasks, in HQ's states.
  const auto converged = [&] {
    auto tasks = store_->Tasks();
    if (!tasks.ok() || tasks->size() != 2) return false;
    for (const auto& task : *tasks) {
      SQLite::Database db(root_ + "/hq/muster.db", SQLite::OPEN_READONLY);
      db.setBusyTimeout(5000);
      SQLite::Statement state(db, "SELECT state FROM tasks WHERE id=?");
      state.bind(1, task.id);
      if (!state.executeStep()) return false;
      // HQ's bookkeeping (ready → delivered) may be ahead of the snapshot the laptop has.
      const auto plain = [](std::string text) { return text == "delivered" ? "ready" : text; };
      if (plain(task.hq_state) != plain(state.getColumn(0).getString())) return false;
    }
    return true;
  };
  ASSERT_TRUE(WaitUntil(converged, 90)) << "the laptop never caught up with HQ";
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto state = store_->Deliveries();
        return state.ok() && state->applied >= state->hq_head;
      },
      60))
      << "the view never caught up with what HQ had queued";
  auto state = store_->Deliveries();
  ASSERT_TRUE(state.ok());
  EXPECT_GT(state->restarted_at, 0) << "HQ restarted the laptop's deliveries";
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", agent_config_});
    return testing::RunProcess(MUSTER_AGENT_BIN, args);
  };
  ProcessResult status = cli({"status"});
  EXPECT_NE(status.output.find("rebuilt from HQ's copy"), std::string::npos) << status.output;
  EXPECT_EQ(status.output.find("NOT up to date"), std::string::npos) << status.output;
}

TEST_F(FaultTest, DuplicatedAndReorderedBatchesAreAppliedOnce) {
  // The same records arrive twice and out of order (a resend racing the original).
  hq_->Terminate();
  auto store = hq::Headquarters::Open(root_ + "/hq/muster.db", clock_);
  ASSERT_TRUE(store.ok());
  auto note = [](std::uint64_t seq) {
    return hq::InboundRecord{seq, "note", 1, {{"text", "note " + std::to_string(seq - 1)}}};
  };
  for (const std::vector<std::uint64_t>& order :
       {std::vector<std::uint64_t>{5, 3, 1}, {1, 2, 3, 4, 5}, {4, 2}, {2, 5, 1}}) {
    std::vector<hq::InboundRecord> batch;
    for (std::uint64_t seq : order) batch.push_back(note(seq));
    auto outcome = (*store)->ingest().Commit(bundle_.agent_id, batch);
    ASSERT_TRUE(outcome.ok());
    EXPECT_EQ(outcome->held, order);
  }
  EXPECT_EQ(*(*store)->ingest().Watermark(bundle_.agent_id), 5u);
  EXPECT_EQ(HqHeld(), 5);
  EXPECT_EQ(HqCount("SELECT COUNT(*) FROM timeline WHERE kind='note' AND actor<>?"), 5);
}

// The must-show of the field agent: a member's whole task list worked through with the
// real CLI while the coordinator is stopped; once it is back, the daemon delivers every
// record and `status` says HQ has acknowledged them all.
TEST_F(FaultTest, AWholeTaskListWorkedThroughWithHqStoppedIsAllAcknowledgedAfterwards) {
  auto book = playbook::LoadFile(std::string(MUSTER_SOURCE_DIR) +
                                 "/playbooks/radioactive-material-border-seizure.yaml");
  ASSERT_TRUE(book.ok());
  ASSERT_TRUE(api_->Post("/v1/incidents", {{"id", "INC-1"}, {"title", "Portal alarm"}}).ok());
  json every_role = json::object();
  for (const auto& role : book.playbook->roles) every_role[role.id] = {"jonas"};
  auto deployed = api_->Post("/v1/deployments", {{"incident", "INC-1"},
                                                 {"playbook_source", book.playbook->source},
                                                 {"assign", every_role}});
  ASSERT_TRUE(deployed.ok()) << deployed.status().ToString();
  ASSERT_EQ((*deployed)["tasks"], 13);
  StartAgent();
  ASSERT_TRUE(WaitUntil([&] { return store_->Tasks()->size() == 13; }, 60));
  ASSERT_TRUE(WaitUntil([&] { return !store_->TeamSnapshots()->empty(); }, 60));

  hq_->Terminate();
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", agent_config_});
    return testing::RunProcess(MUSTER_AGENT_BIN, args);
  };
  // Every step but the innocent-alarm one, which stays dormant: the reading below is not
  // innocent. Each completion makes the next step ready on this laptop, without HQ.
  const std::vector<std::pair<std::string, std::vector<std::string>>> work = {
      {"arrival_briefing", {"scene_location=46.2331,6.1052", "portal_reading=2400"}},
      {"safety_briefing", {"members_briefed=4"}},
      {"host_liaison", {"lead_agency=Border Police"}},
      {"secondary_inspection", {"dose_rate_1m=145", "neutrons_detected=no"}},
      {"identify_nuclide", {"nuclide=Cs-137", "assessment=suspect_material"}},
      {"establish_cordon", {"cordon_radius=30"}},
      {"expand_cordon", {"new_radius=100"}},
      {"photograph_scene", {"photo_count=48"}},
      {"recover_material", {"sample_id=RN-0042"}},
      {"notify_regulator", {"notified=yes"}},
      {"custody_transfer", {"received_by=Sgt. Meyer"}},
      {"situation_report", {"report_type=final", "summary=Recovered"}},
  };
  for (const auto& [step, fields] : work) {
    for (const char* verb : {"ack", "start"}) {
      auto run = cli({verb, step});
      ASSERT_EQ(run.exit_code, 0) << verb << " " << step << ": " << run.output;
    }
    std::vector<std::string> done = {"done", step};
    for (const std::string& field : fields) done.insert(done.end(), {"--field", field});
    auto run = cli(done);
    ASSERT_EQ(run.exit_code, 0) << "done " << step << ": " << run.output;
    EXPECT_NE(run.output.find("recorded:"), std::string::npos) << run.output;
  }
  // The daemon calls the link dead after 15 s without a word from HQ.
  ProcessResult offline;
  EXPECT_TRUE(WaitUntil(
      [&] {
        offline = cli({"status"});
        return offline.output.find("NOT connected") != std::string::npos;
      },
      60))
      << offline.output;
  EXPECT_NE(offline.output.find("waiting for HQ"), std::string::npos) << offline.output;
  const std::uint64_t recorded = store_->outbox().Stats()->pending;
  EXPECT_GE(recorded, 12u * 3);

  StartCoordinator();
  ASSERT_TRUE(WaitUntil([&] { return Pending() == 0; }, 180)) << Pending() << " unacknowledged";
  ProcessResult online;
  ASSERT_TRUE(WaitUntil(
      [&] {
        online = cli({"status"});
        return online.output.find("connected to HQ") != std::string::npos &&
               online.output.find("NOT connected") == std::string::npos;
      },
      60))
      << online.output;
  EXPECT_NE(online.output.find("empty — HQ has acknowledged all " + std::to_string(recorded) +
                               " record(s)"),
            std::string::npos)
      << online.output;
  EXPECT_EQ(HqCount("SELECT COUNT(*) FROM inbound WHERE agent_id=? AND outcome='applied'"),
            static_cast<std::int64_t>(recorded));
  auto board = api_->Get("/v1/incidents/INC-1/status");
  ASSERT_TRUE(board.ok());
  int completed = 0;
  for (const json& task : (*board)["deployments"][0]["tasks"]) {
    completed += task["state"] == "completed";
  }
  EXPECT_EQ(completed, 12);
}

}  // namespace
}  // namespace muster
