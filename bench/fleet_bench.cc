// Muster under load: N simulated agents against a real muster-coordinator process over
// tcp://127.0.0.1. Each simulated agent is a thread running the real agent link
// (agent::Link: DEALER, CURVE with its own enrolled key, SyncClient, backoff) on its own
// agent store file. Members record through a second handle on the same store file, as the
// muster-agent verbs do beside the daemon. The backlog scenario runs one real
// `muster-agent run` process, so that its memory is an agent's own.
//
// Agent stores live on tmpfs (/dev/shm): on one machine, a thousand agents' fsyncs would
// otherwise share HQ's disk, which real laptops never do. HQ's store is on disk with its
// production settings (WAL, synchronous=FULL).
//
// Usage: fleet_bench --bin BUILD_DIR --out FILE.json [--quick] [--max-agents N]
#include <sys/prctl.h>
#include <sys/wait.h>

#include <csignal>
#include <unistd.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "agent_store.h"
#include "api_client.h"
#include "bench_common.h"
#include "hq_store.h"
#include "link.h"
#include "muster/files.h"
#include "muster/keys.h"
#include "muster/log.h"
#include "muster/playbook/load.h"
#include "processes.h"

namespace muster::bench {
namespace {

// Members per deployment in the fleet (the dispatch scenario deploys its own team).
constexpr int kTeamSize = 50;

using nlohmann::json;
using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

struct Options {
  std::string bin_dir;
  std::string out;
  bool quick = false;
  int max_agents = 5000;
};

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "fleet_bench: " << what << "\n";
  std::exit(1);
}

void Check(const Status& status, const std::string& what) {
  if (!status.ok()) Die("cannot " + what + ": " + status.ToString());
}

// The coordinator as its own process, so that its CPU and memory can be read from /proc.
class HqProcess {
 public:
  HqProcess(std::string binary, std::string dir, int port)
      : binary_(std::move(binary)), dir_(std::move(dir)), port_(port) {
    config_ = dir_ + "/../coordinator.yaml";
    std::ofstream(config_) << "data_dir: " << dir_ << "\nlog_level: info\nagents:\n  bind: tcp://127.0.0.1:"
                           << port_ << "\napi:\n  bind: 127.0.0.1\n  port: 0\n";
  }
  void Start() {
    if (!fs::exists(binary_)) Die(binary_ + " is missing; build it first (scripts/bench does)");
    fs::remove(dir_ + "/coordinator.json");
    process_ = std::make_unique<testing::ChildProcess>(
        binary_, std::vector<std::string>{"--config", config_}, dir_ + "/../coordinator.log");
    for (int i = 0; i < 3000 && !fs::exists(dir_ + "/coordinator.json"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!fs::exists(dir_ + "/coordinator.json")) Die("the coordinator did not start; see its log");
  }
  void Stop() { process_.reset(); }
  bool Alive() const { return process_ && ::waitpid(process_->pid(), nullptr, WNOHANG) == 0; }
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  int port() const { return port_; }
  console::ApiClient Api() {
    auto api = console::ApiClient::FromDataDir(dir_);
    if (!api.ok()) Die("cannot reach the API: " + api.status().ToString());
    return *api;
  }

 private:
  std::string binary_, dir_, config_;
  int port_;
  std::unique_ptr<testing::ChildProcess> process_;
};

// One simulated agent: its bundle, its store directory, and while it runs, the thread
// with its link and the member's handle on the store.
struct SimAgent {
  Bundle bundle;
  std::string dir;
  std::unique_ptr<agent::AgentStore> link_store;
  std::unique_ptr<agent::AgentStore> member;  // what the member's verbs would use
  std::unique_ptr<std::atomic<bool>> stop;
  std::thread thread;
  std::uint64_t appended = 0;
  std::string task;  // the task its records are about
};

class Fleet {
 public:
  Fleet(const Options& options, int deployed, int total) : options_(options) {
    root_ = "/tmp/muster-fleet-" + std::to_string(getpid());
    agents_root_ = "/dev/shm/muster-fleet-" + std::to_string(getpid());
    fs::remove_all(root_);
    fs::remove_all(agents_root_);
    fs::create_directories(root_);
    Check(EnsureDirectory(root_ + "/hq", 0700), "make HQ's directory");
    hq_ = std::make_unique<HqProcess>(options.bin_dir + "/coordinator/muster-coordinator",
                                      root_ + "/hq", FreePort());
    Enrol(deployed, total);
    hq_->Start();
    hq_read_ = std::make_unique<SQLite::Database>(root_ + "/hq/muster.db", SQLite::OPEN_READONLY);
    hq_read_->setBusyTimeout(5000);
  }
  ~Fleet() {
    StopAgents(0, static_cast<int>(agents_.size()));
    hq_read_.reset();
    hq_.reset();
    fs::remove_all(root_);
    fs::remove_all(agents_root_);
  }

  HqProcess& hq() { return *hq_; }
  SimAgent& agent(int i) { return agents_[i]; }
  int size() const { return static_cast<int>(agents_.size()); }
  const std::string& root() const { return root_; }

  std::uint64_t Inbound() {
    SQLite::Statement count(*hq_read_, "SELECT COUNT(*) FROM inbound");
    count.executeStep();
    return static_cast<std::uint64_t>(count.getColumn(0).getInt64());
  }
  void ExpectMore(std::uint64_t records) { expected_ += records; }

  // Waits until HQ holds every record appended so far; false on |timeout_s|.
  bool WaitIngested(double timeout_s) {
    const auto start = Steady::now();
    while (Inbound() < expected_) {
      if (SecondsSince(start) > timeout_s || !hq_->Alive()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  // Starts agents [from, to): opens their stores, starts their links, and has each member
  // record one note, so that HQ holding every note means every agent is in session.
  Status StartAgents(int from, int to, bool keep_member_handle) {
    for (int i = from; i < to; ++i) {
      SimAgent& sim = agents_[i];
      auto store = agent::AgentStore::Open(sim.dir, sim.bundle, clock_);
      if (!store.ok()) return store.status();
      sim.link_store = std::move(store).value();
      MUSTER_RETURN_IF_ERROR(AppendNote(sim, keep_member_handle));
      sim.stop = std::make_unique<std::atomic<bool>>(false);
      try {
        sim.thread = std::thread([&sim, this] {
          // The real daemon wakes on inotify the moment a verb commits; a thousand in one
          // process would exceed the inotify instance limit, so the simulated links look at
          // their outbox on the default timer (1 s): a floor under the latency below.
          agent::Link link(*sim.link_store, sim.bundle, clock_, agent::LinkOptions{});
          link.Run(*sim.stop);
        });
      } catch (const std::system_error& error) {
        return Status::Error("thread", std::string("cannot start agent thread: ") + error.what());
      }
    }
    return Status::Ok();
  }

  void StopAgents(int from, int to) {
    for (int i = from; i < to; ++i) {
      if (agents_[i].stop) *agents_[i].stop = true;
    }
    for (int i = from; i < to; ++i) {
      SimAgent& sim = agents_[i];
      if (sim.thread.joinable()) sim.thread.join();
      sim.link_store.reset();
      sim.member.reset();
    }
  }

  // Appends one group of records for |sim|'s member in one local transaction.
  Status AppendGroup(SimAgent& sim, int records) {
    const std::string& task = sim.task;
    Status status = sim.member->Transaction([&]() -> Status {
      for (int r = 0; r < records; ++r) {
        BenchRecord record = MakeRecord(task, sim.appended + r);
        auto seq = sim.member->Append(record.kind, task, record.body,
                                      record.kind == "status" ? agent::kLaneStatus
                                                              : agent::kLaneFinding);
        if (!seq.ok()) return seq.status();
      }
      return Status::Ok();
    });
    if (status.ok()) {
      sim.appended += records;
      expected_ += records;
    }
    return status;
  }

  Status OpenMember(SimAgent& sim) {
    auto store = agent::AgentStore::Open(sim.dir, sim.bundle, clock_);
    if (!store.ok()) return store.status();
    sim.member = std::move(store).value();
    return Status::Ok();
  }

 private:
  Status AppendNote(SimAgent& sim, bool keep_member_handle) {
    if (!sim.member) MUSTER_RETURN_IF_ERROR(OpenMember(sim));
    auto seq = sim.member->Append("note", "", {{"text", "on station"}}, agent::kLaneStatus);
    if (!seq.ok()) return seq.status();
    ++sim.appended;
    ++expected_;
    if (!keep_member_handle) sim.member.reset();
    return Status::Ok();
  }

  // Members, agents and the first deployment are made directly in HQ's store before the
  // coordinator starts, with synchronous=OFF: set-up is not what is measured, and a few
  // thousand fsyncs would take minutes on a shared disk.
  void Enrol(int deployed, int total) {
    const std::string hq_dir = root_ + "/hq";
    auto keys = LoadOrCreateKeyPair(hq_dir, "coordinator");
    Check(keys.status(), "make HQ's keys");
    auto store = hq::HqStore::Open(hq_dir + "/muster.db", clock_);
    Check(store.status(), "open HQ's store");
    (*store)->db().exec("PRAGMA synchronous=OFF");
    hq::IncidentInput incident;
    incident.id = "INC-1";
    incident.title = "fleet benchmark";
    Check((*store)->CreateIncident(incident, "bench").status(), "create the incident");
    const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(hq_->port());
    agents_.resize(total);
    for (int i = 0; i < total; ++i) {
      hq::MemberInput member;
      member.id = BenchMember(i);
      member.name = member.id;
      member.roles = {"team_leader", "radiation_specialist", "forensic_examiner", "liaison_officer"};
      Check((*store)->CreateMember(member, "bench").status(), "add a member");
      auto agent_keys = GenerateKeyPair();
      Check(agent_keys.status(), "make an agent key");
      auto agent_id = (*store)->EnrollAgent(member.id, agent_keys->public_key, "bench");
      Check(agent_id.status(), "enrol an agent");
      agents_[i].bundle = Bundle{*agent_id,         member.id, endpoint, keys->public_key,
                                 agent_keys->public_key, agent_keys->secret_key,
                                 (*store)->hq_id()};
      agents_[i].dir = agents_root_ + "/" + *agent_id;
      // Deployments are numbered from 1 in the order they are made below.
      agents_[i].task = "d" + std::to_string(i / kTeamSize + 1) + ".secondary_inspection." +
                        member.id;
    }
    auto book = playbook::LoadFile(std::string(MUSTER_SOURCE_DIR) +
                                   "/playbooks/radioactive-material-border-seizure.yaml");
    if (!book.playbook) Die("cannot load the benchmark playbook");
    // Teams of kTeamSize, as an incident response team is: each deployment relays its whole
    // team's progress to every member, which a single deployment of 1,000 would make
    // megabytes per member. Every member reports on secondary_inspection
    // (radiation_specialist); the other roles, which a deployment needs filled, go to the
    // team's first member.
    for (int first = 0; first < deployed; first += kTeamSize) {
      hq::DeployInput deploy;
      deploy.incident_id = "INC-1";
      deploy.playbook_source = book.playbook->source;
      for (int i = first; i < std::min(deployed, first + kTeamSize); ++i) {
        deploy.assign["radiation_specialist"].push_back(BenchMember(i));
      }
      for (const char* role : {"team_leader", "forensic_examiner", "liaison_officer"}) {
        deploy.assign[role].push_back(BenchMember(first));
      }
      Check((*store)->Deploy(deploy, nullptr).status(), "deploy");
    }
    playbook_source_ = book.playbook->source;
    store->reset();
    // Agent stores are created in parallel: each costs a few transactions.
    std::vector<std::thread> makers;
    std::atomic<int> next{0};
    for (int t = 0; t < 2; ++t) {
      makers.emplace_back([&] {
        for (int i; (i = next++) < total;) {
          Check(EnsureDirectory(agents_[i].dir, 0700), "make an agent directory");
          Check(agent::AgentStore::Open(agents_[i].dir, agents_[i].bundle, clock_).status(),
                "create an agent store");
        }
      });
    }
    for (auto& maker : makers) maker.join();
  }

 public:
  const std::string& playbook_source() const { return playbook_source_; }

 private:
  const Options& options_;
  SystemClock clock_;
  std::string root_, agents_root_, playbook_source_;
  std::unique_ptr<HqProcess> hq_;
  std::unique_ptr<SQLite::Database> hq_read_;
  std::vector<SimAgent> agents_;
  std::uint64_t expected_ = 0;
};

// HQ's resources and the wire between two moments.
struct Window {
  Steady::time_point start = Steady::now();
  Millis wall_start = SystemClock().Now();
  ProcSample hq_start;
  WireBytes wire_start;
  std::uint64_t inbound_start = 0;

  explicit Window(Fleet& fleet)
      : hq_start(SampleProcess(fleet.hq().pid())),
        wire_start(ServerWireBytes(fleet.hq().port())),
        inbound_start(fleet.Inbound()) {}

  json Close(Fleet& fleet) const {
    const double seconds = SecondsSince(start);
    const ProcSample hq = SampleProcess(fleet.hq().pid());
    const WireBytes wire = ServerWireBytes(fleet.hq().port());
    const std::uint64_t records = fleet.Inbound() - inbound_start;
    json out = {{"seconds", seconds},
                {"records", records},
                {"records_per_s", records / seconds},
                {"hq_cpu_percent", 100 * (hq.cpu_seconds - hq_start.cpu_seconds) / seconds},
                {"hq_rss_mb", hq.rss_mb},
                {"hq_peak_rss_mb", hq.peak_rss_mb},
                {"connections", wire.connections},
                {"load_average", LoadAverage()}};
    if (records > 0) {
      out["up_bytes_per_record"] = static_cast<double>(wire.up - wire_start.up) / records;
      out["down_bytes_per_record"] = static_cast<double>(wire.down - wire_start.down) / records;
    }
    return out;
  }
};

// Agent commit → acknowledgement received by the agent (sent by HQ after its commit), for
// the records created at or after |since| (ms since the epoch).
json Latencies(Fleet& fleet, int from, int to, Millis since) {
  std::vector<double> values;
  for (int i = from; i < to; ++i) {
    auto records = fleet.agent(i).member->Records("");
    if (!records.ok()) continue;
    for (const auto& record : *records) {
      if (record.created_at >= since && record.acked_at && record.kind != "note") {
        values.push_back(static_cast<double>(*record.acked_at - record.created_at));
      }
    }
  }
  return Percentiles(values);
}

// Steady ingest: every member records a group of findings and status updates, waits until
// HQ has acknowledged it, and records the next (one group in flight per agent).
json SteadyIngest(Fleet& fleet, int agents, double seconds) {
  std::cerr << "steady ingest, " << agents << " agents\n";
  for (int i = 0; i < agents; ++i) {
    if (!fleet.agent(i).member) Check(fleet.OpenMember(fleet.agent(i)), "open a member store");
  }
  if (!fleet.WaitIngested(120)) Die("agents did not all come into session");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  Window window(fleet);
  std::atomic<bool> stop{false};
  std::vector<std::thread> members;
  std::mutex append_mutex;  // Fleet's expected count is shared
  for (int t = 0; t < 2; ++t) {
    members.emplace_back([&, t] {
      while (!stop) {
        bool idle = true;
        for (int i = t; i < agents && !stop; i += 2) {
          SimAgent& sim = fleet.agent(i);
          auto stats = sim.member->Stats();
          if (!stats.ok() || stats->pending > 0) continue;
          idle = false;
          std::lock_guard<std::mutex> lock(append_mutex);
          Check(fleet.AppendGroup(sim, kGroupRecords), "append a group");
        }
        if (idle) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& member : members) member.join();
  json result = window.Close(fleet);
  result["agents"] = agents;
  const bool drained = fleet.WaitIngested(120);
  result["drained"] = drained;
  result["latency_ms"] = Latencies(fleet, 0, agents, window.wall_start);
  return result;
}

json Idle(Fleet& fleet, int agents, double seconds) {
  std::cerr << "idle, " << agents << " agents for " << seconds << " s\n";
  fleet.WaitIngested(120);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  Window window(fleet);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  json result = window.Close(fleet);
  result["agents"] = agents;
  const WireBytes wire = ServerWireBytes(fleet.hq().port());
  result["bytes_per_agent_per_s"] =
      static_cast<double>(wire.up + wire.down - window.wire_start.up - window.wire_start.down) /
      agents / seconds;
  return result;
}

// The coordinator stops under connected agents; while it is down each member records a
// group; it starts again. Time from its start until HQ holds every queued record.
json ReconnectStorm(Fleet& fleet, int agents) {
  std::cerr << "reconnect storm, " << agents << " agents\n";
  fleet.WaitIngested(120);
  fleet.hq().Stop();
  for (int i = 0; i < agents; ++i) Check(fleet.AppendGroup(fleet.agent(i), kGroupRecords), "queue work");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto start = Steady::now();
  fleet.hq().Start();
  Window window(fleet);
  const std::uint64_t before = fleet.Inbound();
  const bool drained = fleet.WaitIngested(120);
  const double seconds = SecondsSince(start);
  json result = window.Close(fleet);
  result["agents"] = agents;
  result["queued_records"] = agents * kGroupRecords;
  result["records"] = fleet.Inbound() - before;
  result["drained"] = drained;
  result["drain_s"] = seconds;
  return result;
}

// A deployment to |agents| members through the API: time from the request until every
// agent has committed every delivery it queued.
json Dispatch(Fleet& fleet, int agents) {
  std::cerr << "dispatch to " << agents << " agents\n";
  if (!fleet.WaitIngested(120)) Die("agents did not all come into session");
  for (int i = 0; i < agents; ++i) {
    if (!fleet.agent(i).member) Check(fleet.OpenMember(fleet.agent(i)), "open a member store");
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto api = fleet.hq().Api();
  Check(api.Post("/v1/incidents", {{"id", "INC-2"}, {"title", "dispatch benchmark"}}).status(),
        "create an incident");
  // The members share the playbook's four roles out between them.
  const std::vector<std::string> roles = {"team_leader", "radiation_specialist", "forensic_examiner",
                                          "liaison_officer"};
  json assign = json::object();
  for (int i = 0; i < agents; ++i) assign[roles[i % roles.size()]].push_back(BenchMember(i));
  Window window(fleet);
  const auto start = Steady::now();
  auto deployed = api.Post("/v1/deployments", {{"incident", "INC-2"},
                                               {"playbook_source", fleet.playbook_source()},
                                               {"assign", assign}});
  Check(deployed.status(), "deploy");
  const double api_s = SecondsSince(start);
  SQLite::Database hq(fleet.root() + "/hq/muster.db", SQLite::OPEN_READONLY);
  hq.setBusyTimeout(5000);
  std::vector<std::uint64_t> targets(agents);
  for (int i = 0; i < agents; ++i) {
    SQLite::Statement query(hq, "SELECT next_delivery - 1 FROM agents WHERE id=?");
    query.bind(1, fleet.agent(i).bundle.agent_id);
    query.executeStep();
    targets[i] = static_cast<std::uint64_t>(query.getColumn(0).getInt64());
  }
  int done = 0;
  std::vector<bool> committed(agents, false);
  while (done < agents && SecondsSince(start) < 60) {
    for (int i = 0; i < agents; ++i) {
      if (committed[i]) continue;
      auto applied = fleet.agent(i).member->AppliedWatermark();
      if (applied.ok() && *applied >= targets[i]) {
        committed[i] = true;
        ++done;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const double seconds = SecondsSince(start);
  json result = window.Close(fleet);
  result["agents"] = agents;
  result["agents_committed"] = done;
  result["tasks"] = (*deployed)["tasks"];
  result["api_s"] = api_s;
  result["all_committed_s"] = seconds;
  return result;
}

// One real `muster-agent run` process drains |records| recorded offline: the drain over
// time, its duration, the wire cost, and the agent's own memory.
json Backlog(Fleet& fleet, const Options& options, int index, int records,
             const std::string& series_path) {
  std::cerr << "backlog of " << records << " records, one real agent process\n";
  SimAgent& sim = fleet.agent(index);
  if (!sim.member) Check(fleet.OpenMember(sim), "open a member store");
  for (int done = 0; done < records; done += 1000) {
    Check(fleet.AppendGroup(sim, std::min(1000, records - done)), "record the backlog");
  }
  const std::string bundle_path = sim.dir + "/../" + sim.bundle.agent_id + ".bundle";
  Check(WriteFileAtomic(bundle_path, BundleToJson(sim.bundle), 0600), "write the bundle");
  const std::string config_path = sim.dir + "/../" + sim.bundle.agent_id + ".yaml";
  std::ofstream(config_path) << "bundle: " << bundle_path << "\ndata_dir: " << sim.dir
                             << "\nlog_level: warn\n";
  Window window(fleet);
  const auto start = Steady::now();
  testing::ChildProcess process(options.bin_dir + "/agent/muster-agent",
                                {"--config", config_path, "run"}, fleet.root() + "/agent.log");
  std::ofstream series(series_path);
  series << "# seconds pending agent_rss_mb\n";
  double peak_rss = 0, drained_s = -1;
  WireBytes wire;
  while (SecondsSince(start) < 60) {
    auto stats = sim.member->Stats();
    const ProcSample agent = SampleProcess(process.pid());
    peak_rss = std::max(peak_rss, agent.rss_mb);
    const std::uint64_t pending = stats.ok() ? stats->pending : records;
    series << SecondsSince(start) << " " << pending << " " << agent.rss_mb << "\n";
    if (pending == 0) {
      drained_s = SecondsSince(start);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  wire = ServerWireBytes(fleet.hq().port());
  const ProcSample agent = SampleProcess(process.pid());
  json result = window.Close(fleet);
  result["records"] = records;
  result["drain_s"] = drained_s;
  result["agent_rss_mb"] = agent.rss_mb;
  result["agent_peak_rss_mb"] = std::max(peak_rss, agent.peak_rss_mb);
  result["up_bytes_per_record"] = static_cast<double>(wire.up - window.wire_start.up) / records;
  result["down_bytes_per_record"] =
      static_cast<double>(wire.down - window.wire_start.down) / records;
  process.Terminate();
  sim.member.reset();
  return result;
}

// Adds agents |step| at a time until HQ no longer takes them all into session within a
// minute, the coordinator dies, no more agents can be started, or |cap| is reached. Each
// step's agents live in a child process of their own: one process's open-file limit
// would otherwise stop the benchmark long before the coordinator.
json MaxAgents(Fleet& fleet, int cap, int step) {
  json steps = json::array();
  int sustained = 0;
  std::string stopped_by = "the cap of this run (" + std::to_string(cap) + " agents)";
  std::vector<pid_t> hosts;
  for (int count = step; count <= cap; count += step) {
    std::cerr << "concurrency: " << count << " agents\n";
    const pid_t host = ::fork();
    if (host == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      Status started = fleet.StartAgents(count - step, count, false);
      if (!started.ok()) {
        std::cerr << "fleet_bench: " << started.ToString() << "\n";
        ::_exit(1);
      }
      while (true) ::pause();
    }
    hosts.push_back(host);
    fleet.ExpectMore(step);  // the child records one note per agent
    const auto start = Steady::now();
    const bool all = fleet.WaitIngested(60);
    const double seconds = SecondsSince(start);
    const ProcSample hq = SampleProcess(fleet.hq().pid());
    const WireBytes wire = ServerWireBytes(fleet.hq().port());
    const bool host_alive = ::waitpid(host, nullptr, WNOHANG) == 0;
    steps.push_back({{"agents", count},
                     {"in_session", all},
                     {"seconds", seconds},
                     {"connections", wire.connections},
                     {"hq_rss_mb", hq.rss_mb},
                     {"load_average", LoadAverage()}});
    if (!fleet.hq().Alive()) {
      stopped_by = "the coordinator exited (see its log)";
      break;
    }
    if (!host_alive) {
      stopped_by = "the benchmark could not start more agents (see its error output)";
      break;
    }
    if (!all) {
      stopped_by = "HQ did not take " + std::to_string(step) + " more agents into session within 60 s";
      break;
    }
    sustained = count;
  }
  for (pid_t host : hosts) ::kill(host, SIGKILL);
  for (pid_t host : hosts) ::waitpid(host, nullptr, 0);
  return {{"sustained", sustained}, {"stopped_by", stopped_by}, {"steps", steps}};
}

}  // namespace
}  // namespace muster::bench

int main(int argc, char** argv) {
  using namespace muster::bench;
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") options.quick = true;
    else if (arg == "--bin" && i + 1 < argc) options.bin_dir = argv[++i];
    else if (arg == "--out" && i + 1 < argc) options.out = argv[++i];
    else if (arg == "--max-agents" && i + 1 < argc) options.max_agents = std::stoi(argv[++i]);
    else Die("usage: fleet_bench --bin BUILD_DIR --out FILE.json [--quick] [--max-agents N]");
  }
  if (options.bin_dir.empty() || options.out.empty()) Die("give --bin and --out");
  // The simulated agents' links log every reconnection; only errors matter here.
  muster::InitLogging("error");
  const int big = options.quick ? 200 : 1000;
  const int dispatch = 200;
  const double steady_s = options.quick ? 3 : 10;
  const double idle_s = options.quick ? 5 : 30;
  const int cap = std::max(big, options.quick ? 1000 : options.max_agents);
  const std::uint64_t files = RaiseFileLimit(static_cast<std::uint64_t>(cap) * 16 + 1024);

  json out = {{"machine", MachineDescription()},
              {"load_average_at_start", LoadAverage()},
              {"open_file_limit", files},
              {"quick", options.quick}};
  {
    Fleet fleet(options, big, cap);
    const int small = options.quick ? 20 : 100;
    Check(fleet.StartAgents(0, small, true), "start agents");
    out["steady_small"] = SteadyIngest(fleet, small, steady_s);
    Check(fleet.StartAgents(small, big, true), "start agents");
    out["steady_big"] = SteadyIngest(fleet, big, steady_s);
    out["idle"] = Idle(fleet, big, idle_s);
    out["storm"] = ReconnectStorm(fleet, big);
    fleet.StopAgents(0, big);
    Check(fleet.StartAgents(0, dispatch, true), "start agents");
    out["dispatch"] = Dispatch(fleet, dispatch);
    fleet.StopAgents(0, dispatch);
    out["backlog"] = Backlog(fleet, options, 0, 10000,
                             fs::path(options.out).replace_filename("drain.dat").string());
    out["max_agents"] = MaxAgents(fleet, cap, options.quick ? 500 : 1000);
  }
  out["load_average_at_end"] = LoadAverage();
  std::ofstream(options.out) << out.dump(2) << "\n";
  std::cout << out.dump(2) << "\n";
  return 0;
}
