// Muster under load: agents against a real muster-coordinator process over
// tcp://127.0.0.1, HQ's CPU and memory read from /proc.
//
// Most scenarios use simulated agents (sim_agents.h): each one a DEALER with CURVE and its
// own enrolled key speaking the real wire protocol, hundreds of them polled by each of a
// few driver threads, with no agent store, sending a member's next group of records the
// moment HQ acknowledges the previous one. They cost the benchmark little, so the figures
// measure HQ. Two scenarios use real `muster-agent run` processes instead: the backlog
// drain (one agent, its own memory) and a team of 50 recording continuously (the real
// agent keeps up, or not).
//
// Agent stores of the real agents live on tmpfs (/dev/shm): on one machine, their fsyncs
// would otherwise share HQ's disk, which real laptops never do. HQ's store is on disk with
// its production settings (WAL, synchronous=FULL).
//
// Usage: fleet_bench --bin BUILD_DIR --out FILE.json [--quick] [--max-agents N]
//                    [--agents-per-thread N] [--in-flight N] [--real-agents N]
//                    [--dispatch-only | --ingest-only]
#include <poll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <csignal>
#include <unistd.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "agent_store.h"
#include "api_client.h"
#include "bench_common.h"
#include "service/headquarters.h"
#include "muster/files.h"
#include "muster/keys.h"
#include "muster/log.h"
#include "muster/playbook/load.h"
#include "processes.h"
#include "sim_agents.h"

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
  int max_agents = 0;  // the concurrency scenario's cap; 0: 10,000 (1,000 with --quick)
  int agents_per_thread = 500;
  int in_flight = 1;
  int real_agents = 50;
  bool dispatch_only = false;  // only the dispatch scenario, to look at it on its own
  bool ingest_only = false;    // only the steady ingest scenarios, to profile them
};

[[noreturn]] void Die(const std::string& what) { bench::Die("fleet_bench", what); }

void Check(const Status& status, const std::string& what) {
  if (!status.ok()) Die("cannot " + what + ": " + status.ToString());
}

void Sleep(double seconds) { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); }

// The coordinator as its own process, so that its CPU and memory can be read from /proc.
// The fleet's agents each send tens of messages a second, far more than a member does,
// so its per-agent rate limit is raised out of the way (every message still passes the
// limiter); the agents count any rate_limited answer.
class HqProcess {
 public:
  HqProcess(std::string binary, std::string dir, int port)
      : binary_(std::move(binary)), dir_(std::move(dir)), port_(port) {
    config_ = dir_ + "/../coordinator.yaml";
    std::ofstream(config_) << "data_dir: " << dir_ << "\nlog_level: info\nagents:\n  bind: tcp://127.0.0.1:"
                           << port_ << "\n  messages_per_second: 100000\n  message_burst: 100000\n"
                           << "api:\n  bind: 127.0.0.1\n  port: 0\n";
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

// A member of the fleet: enrolled with its own key, and the task it reports on (its own
// assignment; "" for members that are not deployed).
struct Member {
  Bundle bundle;
  std::string task;
};

// HQ and its members. Members [0, sims) are for simulated agents, the first |deployed| of
// them deployed in teams of kTeamSize; the |reals| after them for real agent processes,
// deployed in teams too.
class Fleet {
 public:
  Fleet(const Options& options, int deployed, int sims, int reals) : sims_(sims) {
    root_ = "/tmp/muster-fleet-" + std::to_string(getpid());
    agents_root_ = "/dev/shm/muster-fleet-" + std::to_string(getpid());
    fs::remove_all(root_);
    fs::remove_all(agents_root_);
    fs::create_directories(root_);
    fs::create_directories(agents_root_);
    Check(EnsureDirectory(root_ + "/hq", 0700), "make HQ's directory");
    hq_ = std::make_unique<HqProcess>(options.bin_dir + "/coordinator/muster-coordinator",
                                      root_ + "/hq", FreePort());
    Enrol(deployed, sims, reals);
    hq_->Start();
    hq_read_ = std::make_unique<SQLite::Database>(root_ + "/hq/muster.db", SQLite::OPEN_READONLY);
    hq_read_->setBusyTimeout(5000);
  }
  ~Fleet() {
    hq_read_.reset();
    hq_.reset();
    fs::remove_all(root_);
    fs::remove_all(agents_root_);
  }

  HqProcess& hq() { return *hq_; }
  const Member& member(int i) const { return members_[i]; }
  int sims() const { return sims_; }
  const std::string& root() const { return root_; }
  const std::string& agents_root() const { return agents_root_; }
  const std::string& playbook_source() const { return playbook_source_; }

  std::vector<SimAgentSpec> SimSpecs(int from, int to) const {
    std::vector<SimAgentSpec> specs;
    for (int i = from; i < to; ++i) specs.push_back({members_[i].bundle, members_[i].task});
    return specs;
  }

  // Records HQ holds (committed), from every agent.
  std::uint64_t Inbound() {
    SQLite::Statement count(*hq_read_, "SELECT COUNT(*) FROM inbound");
    count.executeStep();
    return static_cast<std::uint64_t>(count.getColumn(0).getInt64());
  }
  // The last delivery HQ has queued for the agent of member |i|.
  std::uint64_t DeliveryHead(int i) {
    SQLite::Statement query(*hq_read_, "SELECT next_delivery - 1 FROM agents WHERE id=?");
    query.bind(1, members_[i].bundle.agent_id);
    query.executeStep();
    return static_cast<std::uint64_t>(query.getColumn(0).getInt64());
  }
  // Waits until HQ holds |records| records; false on |timeout_s| or if HQ died.
  bool WaitInbound(std::uint64_t records, double timeout_s) {
    const auto start = Steady::now();
    while (Inbound() < records) {
      if (SecondsSince(start) > timeout_s || !hq_->Alive()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

 private:
  // Members, agents and deployments are made directly in HQ's store before the coordinator
  // starts, with synchronous=OFF: set-up is not what is measured, and thousands of fsyncs
  // would take minutes on a shared disk.
  void Enrol(int deployed, int sims, int reals) {
    const std::string hq_dir = root_ + "/hq";
    auto keys = LoadOrCreateKeyPair(hq_dir, "coordinator");
    Check(keys.status(), "make HQ's keys");
    auto store = hq::Headquarters::Open(hq_dir + "/muster.db", clock_);
    Check(store.status(), "open HQ's store");
    (*store)->database().db().exec("PRAGMA synchronous=OFF");
    hq::IncidentInput incident;
    incident.id = "INC-1";
    incident.title = "fleet benchmark";
    Check((*store)->incidents().Create(incident, "bench").status(), "create the incident");
    const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(hq_->port());
    const int total = sims + reals;
    members_.resize(total);
    for (int i = 0; i < total; ++i) {
      hq::MemberInput member;
      member.id = BenchMember(i);
      member.name = member.id;
      member.roles = {"team_leader", "radiation_specialist", "forensic_examiner", "liaison_officer"};
      Check((*store)->roster().Add(member, "bench").status(), "add a member");
      auto agent_keys = GenerateKeyPair();
      Check(agent_keys.status(), "make an agent key");
      auto agent_id = (*store)->registry().Enroll(member.id, agent_keys->public_key,
                                                    hq::DeviceRule::kOnly, "bench");
      Check(agent_id.status(), "enrol an agent");
      members_[i].bundle = Bundle{agent_id->agent_id,         member.id, endpoint, keys->public_key,
                                  agent_keys->public_key, agent_keys->secret_key,
                                  (*store)->database().hq_id()};
    }
    auto book = playbook::LoadFile(std::string(MUSTER_SOURCE_DIR) +
                                   "/playbooks/radioactive-material-border-seizure.yaml");
    if (!book.playbook) Die("cannot load the benchmark playbook");
    playbook_source_ = book.playbook->source;
    // Teams of kTeamSize, as an incident response team is: each deployment relays its whole
    // team's progress to every member, which a single deployment of 1,000 would make
    // megabytes per member. Every member reports on secondary_inspection
    // (radiation_specialist); the other roles, which a deployment needs filled, go to the
    // team's first member. Deployments are numbered from 1 in the order they are made.
    int deployment = 0;
    const auto deploy_teams = [&](int from, int to) {
      for (int first = from; first < to; first += kTeamSize) {
        hq::DeployInput deploy;
        deploy.incident_id = "INC-1";
        deploy.playbook_source = playbook_source_;
        const int last = std::min(to, first + kTeamSize);
        for (int i = first; i < last; ++i) deploy.assign["radiation_specialist"].push_back(BenchMember(i));
        for (const char* role : {"team_leader", "forensic_examiner", "liaison_officer"}) {
          deploy.assign[role].push_back(BenchMember(first));
        }
        Check((*store)->deployments().Deploy(deploy, nullptr).status(), "deploy");
        ++deployment;
        for (int i = first; i < last; ++i) {
          members_[i].task = "d" + std::to_string(deployment) + ".secondary_inspection." + BenchMember(i);
        }
      }
    };
    deploy_teams(0, deployed);
    deploy_teams(sims, total);
  }

  SystemClock clock_;
  int sims_;
  std::string root_, agents_root_, playbook_source_;
  std::unique_ptr<HqProcess> hq_;
  std::unique_ptr<SQLite::Database> hq_read_;
  std::vector<Member> members_;
};

// HQ's resources, this benchmark's own CPU and the wire between two moments.
struct Window {
  Steady::time_point start = Steady::now();
  Millis wall_start = SystemClock().Now();
  ProcSample hq_start;
  ProcSample bench_start = SampleProcess(getpid());
  WireBytes wire_start;
  std::uint64_t inbound_start = 0;

  std::unique_ptr<ThreadStates> hq_threads;

  explicit Window(Fleet& fleet)
      : hq_start(SampleProcess(fleet.hq().pid())),
        wire_start(ServerWireBytes(fleet.hq().port())),
        inbound_start(fleet.Inbound()),
        hq_threads(std::make_unique<ThreadStates>(fleet.hq().pid())) {}

  json Close(Fleet& fleet) {
    const double seconds = SecondsSince(start);
    // HQ's threads: the busiest one near 1.0 means HQ is the bottleneck (its router
    // thread, running or waiting for the disk), not the agents.
    const json threads = hq_threads->Stop();
    const ProcSample hq = SampleProcess(fleet.hq().pid());
    const ProcSample bench = SampleProcess(getpid());
    const WireBytes wire = ServerWireBytes(fleet.hq().port());
    const std::uint64_t records = fleet.Inbound() - inbound_start;
    const double hq_cpu = hq.cpu_seconds - hq_start.cpu_seconds;
    json out = {{"seconds", seconds},
                {"records", records},
                {"records_per_s", records / seconds},
                {"hq_cpu_percent", 100 * hq_cpu / seconds},
                {"hq_rss_mb", hq.rss_mb},
                {"hq_peak_rss_mb", hq.peak_rss_mb},
                // The harness: this process (simulated agents, their ZeroMQ threads, the
                // members of real agents), for showing that it is not what is measured.
                {"bench_cpu_percent", 100 * (bench.cpu_seconds - bench_start.cpu_seconds) / seconds},
                {"connections", wire.connections},
                {"hq_threads", threads},
                {"hq_busiest_thread_busy", threads.empty() ? 0.0 : threads[0]["busy"].get<double>()},
                {"load_average", LoadAverage()}};
    if (records > 0) {
      out["hq_cpu_us_per_record"] = 1e6 * hq_cpu / static_cast<double>(records);
      out["up_bytes_per_record"] = static_cast<double>(wire.up - wire_start.up) / records;
      out["down_bytes_per_record"] = static_cast<double>(wire.down - wire_start.down) / records;
    }
    return out;
  }
};

// Waits until agents [0, count) are all in session; false on |timeout_s|.
bool WaitWelcomed(Fleet& fleet, const Swarm& swarm, int count, double timeout_s) {
  const auto start = Steady::now();
  while (swarm.Counts(0, count).welcomed < count) {
    if (SecondsSince(start) > timeout_s || !fleet.hq().Alive()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Waits until HQ has acknowledged every record the swarm made; false on |timeout_s|.
bool WaitAcked(Fleet& fleet, const Swarm& swarm, double timeout_s) {
  const auto start = Steady::now();
  for (;;) {
    const SwarmCounts counts = swarm.Counts();
    if (counts[kAcked] >= counts[kMade]) return true;
    if (SecondsSince(start) > timeout_s || !fleet.hq().Alive()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Waits until agents [0, count) have acknowledged every delivery HQ had queued for them
// when this was called (or, with |heads|, those), counting from |start|; returns how many
// have, after at most |timeout_s|.
int WaitDeliveriesTaken(Fleet& fleet, const Swarm& swarm, int count, double timeout_s,
                        Steady::time_point start = Steady::now(),
                        std::vector<std::uint64_t> heads = {}) {
  if (heads.empty()) {
    for (int i = 0; i < count; ++i) heads.push_back(fleet.DeliveryHead(i));
  }
  int done = 0;
  while (SecondsSince(start) < timeout_s && fleet.hq().Alive()) {
    done = 0;
    for (int i = 0; i < count; ++i) done += swarm.Applied(i) >= heads[i] ? 1 : 0;
    if (done == count) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return done;
}

// Steady ingest: agents [0, agents) each keep a group of records in flight and make the
// next the moment HQ acknowledges one.
json SteadyIngest(Fleet& fleet, Swarm& swarm, int agents, double seconds) {
  std::cerr << "steady ingest, " << agents << " simulated agents\n";
  if (!WaitWelcomed(fleet, swarm, agents, 120)) Die("agents did not all come into session");
  WaitDeliveriesTaken(fleet, swarm, agents, 60);  // the deployment's, sent after WELCOME
  swarm.Record(agents);
  Sleep(1);  // every agent has its groups in flight
  const SwarmCounts before = swarm.Counts(0, agents);
  swarm.TakeLatencies();
  swarm.MeasureLatency(true);
  Window window(fleet);
  Sleep(seconds);
  json result = window.Close(fleet);
  swarm.MeasureLatency(false);
  swarm.Record(0);
  result["agents"] = agents;
  result["drained"] = WaitAcked(fleet, swarm, 120);
  std::vector<double> latencies = swarm.TakeLatencies();
  result["latency_ms"] = Percentiles(latencies);
  const SwarmCounts after = swarm.Counts(0, agents);
  for (Counter counter : {kRefused, kRateLimited, kOtherErrors}) {
    result[CounterName(counter)] = after[counter] - before[counter];
  }
  result["agents_counts"] = after.ToJson();
  return result;
}

// Agents connected and recording nothing: what their keep-alive costs HQ. The window is a
// whole number of keep-alive periods, so that each agent PINGs as often in it as it does
// on average.
json Idle(Fleet& fleet, Swarm& swarm, int agents, double seconds) {
  std::cerr << "idle, " << agents << " simulated agents for " << seconds << " s\n";
  WaitAcked(fleet, swarm, 120);
  // The team relay goes on for a little while after the last records: the window opens
  // once no delivery has arrived for 3 s (at most 60 s from now).
  const auto quiet_start = Steady::now();
  std::uint64_t deliveries = swarm.Counts()[kDeliveries];
  auto last_change = Steady::now();
  while (SecondsSince(last_change) < 3 && SecondsSince(quiet_start) < 60) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::uint64_t now = swarm.Counts()[kDeliveries];
    if (now != deliveries) {
      deliveries = now;
      last_change = Steady::now();
    }
  }
  const SwarmCounts before = swarm.Counts();
  Window window(fleet);
  Sleep(seconds);
  json result = window.Close(fleet);
  const SwarmCounts after = swarm.Counts();
  result["agents"] = agents;
  result["pings"] = after[kPings] - before[kPings];
  result["welcomed"] = after.welcomed;
  const WireBytes wire = ServerWireBytes(fleet.hq().port());
  result["bytes_per_agent_per_s"] =
      static_cast<double>(wire.up + wire.down - window.wire_start.up - window.wire_start.down) /
      agents / seconds;
  return result;
}

// The coordinator stops under connected agents; while it is down each member records a
// group; it starts again. Time from its start until HQ has acknowledged every queued record.
json ReconnectStorm(Fleet& fleet, Swarm& swarm, int agents) {
  std::cerr << "reconnect storm, " << agents << " simulated agents\n";
  WaitAcked(fleet, swarm, 120);
  fleet.hq().Stop();
  swarm.QueueGroup(agents);
  Sleep(1);
  const std::uint64_t inbound_before = fleet.Inbound();
  const auto start = Steady::now();
  fleet.hq().Start();
  Window window(fleet);
  const bool drained = WaitAcked(fleet, swarm, 120);
  const double seconds = SecondsSince(start);
  json result = window.Close(fleet);
  result["records"] = fleet.Inbound() - inbound_before;
  result.erase("records_per_s");  // the window opened after HQ had started taking records
  result.erase("hq_cpu_us_per_record");
  result["agents"] = agents;
  result["queued_records"] = agents * kGroupRecords;
  result["drained"] = drained;
  result["drain_s"] = seconds;
  result["welcomed"] = swarm.Counts().welcomed;
  return result;
}

// A deployment to |agents| members through the API: time from the request until every
// agent has acknowledged (DELIVERED) every delivery it queued. The simulated agents apply
// nothing (no playbook is parsed): this is HQ's side of a dispatch.
json Dispatch(Fleet& fleet, int agents, const SwarmOptions& swarm_options) {
  std::cerr << "dispatch to " << agents << " simulated agents\n";
  Swarm swarm(swarm_options);
  swarm.Add(fleet.SimSpecs(0, agents));
  if (!WaitWelcomed(fleet, swarm, agents, 120)) Die("agents did not all come into session");
  WaitDeliveriesTaken(fleet, swarm, agents, 60);  // what each was sent on joining
  Sleep(1);
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
  std::vector<std::uint64_t> heads;
  for (int i = 0; i < agents; ++i) heads.push_back(fleet.DeliveryHead(i));
  const int done = WaitDeliveriesTaken(fleet, swarm, agents, 60, start, heads);
  const double seconds = SecondsSince(start);
  json result = window.Close(fleet);
  result["agents"] = agents;
  result["agents_acknowledged"] = done;
  result["tasks"] = (*deployed)["tasks"];
  result["api_s"] = api_s;
  result["all_acknowledged_s"] = seconds;
  result["agents_counts"] = swarm.Counts().ToJson();
  return result;
}

// A real agent's data directory with its bundle and configuration, for `muster-agent run`.
struct RealAgent {
  std::string dir, config;
  std::unique_ptr<agent::AgentStore> member;  // what the member's verbs would use
  std::unique_ptr<testing::ChildProcess> process;
};

RealAgent PrepareRealAgent(Fleet& fleet, int index, const Clock& clock) {
  const Member& m = fleet.member(index);
  RealAgent real;
  real.dir = fleet.agents_root() + "/" + m.bundle.agent_id;
  Check(EnsureDirectory(real.dir, 0700), "make an agent directory");
  auto store = agent::AgentStore::Open(real.dir, m.bundle, clock);
  Check(store.status(), "create an agent store");
  real.member = std::move(store).value();
  const std::string bundle_path = fleet.agents_root() + "/" + m.bundle.agent_id + ".bundle";
  Check(WriteFileAtomic(bundle_path, BundleToJson(m.bundle), 0600), "write the bundle");
  real.config = fleet.agents_root() + "/" + m.bundle.agent_id + ".yaml";
  std::ofstream(real.config) << "bundle: " << bundle_path << "\ndata_dir: " << real.dir
                             << "\nlog_level: warn\n";
  return real;
}

void StartRealAgent(Fleet& fleet, const Options& options, RealAgent& real, const std::string& name) {
  real.process = std::make_unique<testing::ChildProcess>(
      options.bin_dir + "/agent/muster-agent", std::vector<std::string>{"--config", real.config, "run"},
      fleet.root() + "/" + name + ".log");
}

// Records |count| records of the member's group in one local transaction, as the verbs do.
Status AppendRecords(agent::AgentStore& store, const std::string& task, std::uint64_t first_index,
                     int count) {
  return store.outbox().Transaction([&]() -> Status {
    for (int r = 0; r < count; ++r) {
      BenchRecord record = MakeRecord(task, first_index + r);
      auto seq = store.outbox().Append(record.kind, task, record.body,
                              record.kind == "status" ? agent::kLaneStatus : agent::kLaneFinding);
      if (!seq.ok()) return seq.status();
    }
    return Status::Ok();
  });
}

// One real `muster-agent run` process drains |records| recorded offline: the drain over
// time, its duration, the wire cost, and the agent's own memory.
json Backlog(Fleet& fleet, const Options& options, int index, int records,
             const std::string& series_path) {
  std::cerr << "backlog of " << records << " records, one real agent process\n";
  SystemClock clock;
  RealAgent real = PrepareRealAgent(fleet, index, clock);
  const std::string& task = fleet.member(index).task;
  for (int done = 0; done < records; done += 1000) {
    Check(AppendRecords(*real.member, task, static_cast<std::uint64_t>(done),
                        std::min(1000, records - done)),
          "record the backlog");
  }
  Window window(fleet);
  const auto start = Steady::now();
  StartRealAgent(fleet, options, real, "backlog-agent");
  std::ofstream series(series_path);
  series << "# seconds pending agent_rss_mb\n";
  double peak_rss = 0, drained_s = -1;
  while (SecondsSince(start) < 60) {
    auto stats = real.member->outbox().Stats();
    const ProcSample agent = SampleProcess(real.process->pid());
    peak_rss = std::max(peak_rss, agent.rss_mb);
    const std::uint64_t pending = stats.ok() ? stats->pending : records;
    series << SecondsSince(start) << " " << pending << " " << agent.rss_mb << "\n";
    if (pending == 0) {
      drained_s = SecondsSince(start);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const WireBytes wire = ServerWireBytes(fleet.hq().port());
  const ProcSample agent = SampleProcess(real.process->pid());
  json result = window.Close(fleet);
  result["records"] = records;
  result["drain_s"] = drained_s;
  result["agent_rss_mb"] = agent.rss_mb;
  result["agent_peak_rss_mb"] = std::max(peak_rss, agent.peak_rss_mb);
  result["agent_cpu_s"] = agent.cpu_seconds;
  result["up_bytes_per_record"] = static_cast<double>(wire.up - window.wire_start.up) / records;
  result["down_bytes_per_record"] =
      static_cast<double>(wire.down - window.wire_start.down) / records;
  real.process->Terminate();
  return result;
}

// Starts |count| real agents, members [from, from + count), each with a note recorded
// first, and returns once HQ holds every note (every agent is in session) and each agent
// has applied the deployment's deliveries sent after WELCOME (playbook parsed).
// |expected| counts the records HQ's inbound should hold, the notes included.
std::vector<RealAgent> StartRealAgents(Fleet& fleet, const Options& options, int from, int count,
                                       const Clock& clock, std::uint64_t& expected) {
  std::vector<RealAgent> reals;
  for (int i = 0; i < count; ++i) {
    reals.push_back(PrepareRealAgent(fleet, from + i, clock));
    Check(reals.back()
              .member->outbox()
              .Append("note", "", {{"text", "on station"}}, agent::kLaneStatus)
              .status(),
          "record a note");
    ++expected;
  }
  for (int i = 0; i < count; ++i) {
    StartRealAgent(fleet, options, reals[i], "agent-" + std::to_string(i));
  }
  if (!fleet.WaitInbound(expected, 120)) Die("the real agents did not all come into session");
  const auto start_up = Steady::now();
  for (auto& real : reals) {
    while (SecondsSince(start_up) < 60) {
      auto deliveries = real.member->Deliveries();
      if (deliveries.ok() && deliveries->hq_head > 0 &&
          deliveries->applied >= deliveries->hq_head) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return reals;
}

// The members of real agents, on one thread until Stop(): each records a group of records
// in one local transaction the moment its agent has the previous group acknowledged by HQ.
// The thread is woken by inotify on the agents' data directories (the daemon commits an
// ACK there) instead of polling; read-only connections see what each agent acknowledged.
class RecordingMembers {
 public:
  RecordingMembers(Fleet& fleet, std::vector<RealAgent>& reals, int from)
      : fleet_(fleet),
        reals_(reals),
        from_(from),
        count_(static_cast<int>(reals.size())),
        made_(count_, 0),
        last_seq_(count_, 0),
        check_(count_, true) {
    notify_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (notify_ < 0) Die("inotify_init1 failed");
    for (int i = 0; i < count_; ++i) {
      by_watch_[inotify_add_watch(notify_, reals_[i].dir.c_str(), IN_MODIFY)] = i;
      readers_.push_back(
          std::make_unique<SQLite::Database>(reals_[i].dir + "/agent.db", SQLite::OPEN_READONLY));
      readers_.back()->setBusyTimeout(5000);
    }
    thread_ = std::thread([this] { Run(); });
  }
  RecordingMembers(const RecordingMembers&) = delete;
  RecordingMembers& operator=(const RecordingMembers&) = delete;
  ~RecordingMembers() { Stop(); }

  void Stop() {
    if (!thread_.joinable()) return;
    stop_ = true;
    thread_.join();
    ::close(notify_);
  }
  std::uint64_t appended() const { return appended_; }

  // Milliseconds from each record's commit to its ACK committed in the agent's store, for
  // the records made from |since| on (the notes aside).
  std::vector<double> AckLatencies(Millis since) {
    std::vector<double> latencies;
    for (auto& reader : readers_) {
      SQLite::Statement query(*reader,
                              "SELECT acked_at - created_at FROM outbox WHERE kind != 'note' AND "
                              "acked_at IS NOT NULL AND created_at >= ?");
      query.bind(1, static_cast<std::int64_t>(since));
      while (query.executeStep()) {
        latencies.push_back(static_cast<double>(query.getColumn(0).getInt64()));
      }
    }
    return latencies;
  }

 private:
  void Run() {
    auto last_full_pass = Steady::now();
    while (!stop_) {
      for (int i = 0; i < count_ && !stop_; ++i) {
        if (!check_[i]) continue;
        check_[i] = false;
        if (last_seq_[i] != 0 && Waiting(i)) continue;
        const std::string& task = fleet_.member(from_ + i).task;
        Check(AppendRecords(*reals_[i].member, task, made_[i], kGroupRecords), "record a group");
        made_[i] += kGroupRecords;
        last_seq_[i] = LastSeq(i);
        appended_ += kGroupRecords;
      }
      WaitForChanges();
      // Whatever inotify may have folded together is looked at every 50 ms anyway.
      if (SecondsSince(last_full_pass) > 0.05) {
        std::fill(check_.begin(), check_.end(), true);
        last_full_pass = Steady::now();
      }
    }
  }

  // Member |i|'s last group is not all acknowledged yet.
  bool Waiting(int i) {
    SQLite::Statement query(*readers_[i],
                            "SELECT COUNT(*) FROM outbox WHERE seq > ? AND acked_at IS NULL");
    query.bind(1, last_seq_[i] - kGroupRecords);
    query.executeStep();
    return query.getColumn(0).getInt64() > 0;
  }

  std::int64_t LastSeq(int i) {
    SQLite::Statement query(*readers_[i], "SELECT COALESCE(MAX(seq), 0) FROM outbox");
    query.executeStep();
    return query.getColumn(0).getInt64();
  }

  // Waits up to 50 ms for inotify, and marks the members whose directory changed.
  void WaitForChanges() {
    pollfd item{notify_, POLLIN, 0};
    ::poll(&item, 1, 50);
    char buffer[16384];
    for (ssize_t n; (n = ::read(notify_, buffer, sizeof buffer)) > 0;) {
      for (char* at = buffer; at < buffer + n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(at);
        if (auto it = by_watch_.find(event->wd); it != by_watch_.end()) check_[it->second] = true;
        at += sizeof(inotify_event) + event->len;
      }
    }
  }

  Fleet& fleet_;
  std::vector<RealAgent>& reals_;
  const int from_;
  const int count_;
  int notify_ = -1;
  std::map<int, int> by_watch_;
  std::vector<std::unique_ptr<SQLite::Database>> readers_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> appended_{0};
  std::vector<std::uint64_t> made_;  // records each member has made
  std::vector<std::int64_t> last_seq_;
  std::vector<bool> check_;
  std::thread thread_;
};

// The sum of one field of the real agents' outbox stats (those that could be read).
std::uint64_t SumStats(std::vector<RealAgent>& reals, std::uint64_t agent::OutboxStats::*field) {
  std::uint64_t sum = 0;
  for (auto& real : reals) {
    auto stats = real.member->outbox().Stats();
    if (stats.ok()) sum += (*stats).*field;
  }
  return sum;
}

// Real agents recording continuously: |count| `muster-agent run` processes (members
// [from, from + count), one team), their members recording as RecordingMembers says.
// Records/s are counted at HQ; latency is from the member's commit to the ACK committed
// in the agent's store.
json RealAgents(Fleet& fleet, const Options& options, int from, int count, double seconds) {
  std::cerr << "steady ingest, " << count << " real agent processes\n";
  SystemClock clock;
  std::uint64_t expected = fleet.Inbound();
  std::vector<RealAgent> reals = StartRealAgents(fleet, options, from, count, clock, expected);
  auto members = std::make_unique<RecordingMembers>(fleet, reals, from);
  Sleep(1);
  std::vector<ProcSample> agents_start;
  for (auto& real : reals) agents_start.push_back(SampleProcess(real.process->pid()));
  Window window(fleet);
  Sleep(seconds);
  json result = window.Close(fleet);
  double agents_cpu = 0, peak_rss = 0;
  for (int i = 0; i < count; ++i) {
    const ProcSample sample = SampleProcess(reals[i].process->pid());
    agents_cpu += sample.cpu_seconds - agents_start[i].cpu_seconds;
    peak_rss = std::max(peak_rss, sample.peak_rss_mb);
  }
  // Recorded, not yet acknowledged, when the window closed.
  const std::uint64_t pending = SumStats(reals, &agent::OutboxStats::pending);
  members->Stop();
  expected += members->appended();
  result["agents"] = count;
  result["pending_at_end"] = pending;
  result["agents_cpu_percent"] = 100 * agents_cpu / result["seconds"].get<double>();
  if (result["records"].get<std::uint64_t>() > 0) {
    result["agents_cpu_us_per_record"] = 1e6 * agents_cpu / result["records"].get<double>();
  }
  result["agent_peak_rss_mb"] = peak_rss;
  result["drained"] = fleet.WaitInbound(expected, 120);
  std::vector<double> latencies = members->AckLatencies(window.wall_start);
  result["latency_ms"] = Percentiles(latencies);
  result["refused"] = SumStats(reals, &agent::OutboxStats::refused);
  members.reset();
  for (auto& real : reals) real.process->Terminate();
  return result;
}

// Adds simulated agents |step| at a time until HQ no longer takes them all into session
// within a minute, the coordinator dies, no more agents can be started, or |cap| is
// reached. Each step's agents live in a child process of their own (its own ZeroMQ
// contexts and driver threads), which reports how many are in session through shared
// memory: one process's open-file limit would otherwise stop the benchmark long before
// the coordinator (an agent holds several descriptors).
json MaxAgents(Fleet& fleet, const SwarmOptions& swarm_options, int cap, int step) {
  json steps = json::array();
  int sustained = 0;
  std::string stopped_by = "the cap of this run (" + std::to_string(cap) + " agents)";
  const std::size_t slots = static_cast<std::size_t>(cap / step + 1);
  void* shared = ::mmap(nullptr, slots * sizeof(std::atomic<int>), PROT_READ | PROT_WRITE,
                        MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) Die("mmap failed");
  auto* welcomed = static_cast<std::atomic<int>*>(shared);
  for (std::size_t k = 0; k < slots; ++k) new (&welcomed[k]) std::atomic<int>(0);
  std::vector<pid_t> hosts;
  const auto in_session = [&] {
    int total = 0;
    for (std::size_t k = 0; k < hosts.size(); ++k) total += welcomed[k].load();
    return total;
  };
  for (int count = step; count <= cap; count += step) {
    std::cerr << "concurrency: " << count << " simulated agents\n";
    const std::size_t slot = hosts.size();
    std::vector<SimAgentSpec> specs = fleet.SimSpecs(count - step, count);
    const auto start = Steady::now();
    const pid_t host = ::fork();
    if (host == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      Swarm swarm(swarm_options);
      swarm.Add(std::move(specs));
      while (true) {
        welcomed[slot] = swarm.Counts().welcomed;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    if (host < 0) {
      stopped_by = "the benchmark could not start more agents (fork failed)";
      break;
    }
    hosts.push_back(host);
    bool all = false, host_alive = true;
    while (SecondsSince(start) < 60 && fleet.hq().Alive()) {
      host_alive = ::waitpid(host, nullptr, WNOHANG) == 0;
      all = in_session() >= count;
      if (all || !host_alive) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const double seconds = SecondsSince(start);
    const ProcSample hq = SampleProcess(fleet.hq().pid());
    const WireBytes wire = ServerWireBytes(fleet.hq().port());
    steps.push_back({{"agents", count},
                     {"in_session", in_session()},
                     {"all_in_session", all},
                     {"seconds", seconds},
                     {"connections", wire.connections},
                     {"hq_rss_mb", hq.rss_mb},
                     {"hq_peak_rss_mb", hq.peak_rss_mb},
                     {"host_rss_mb", SampleProcess(host).rss_mb},
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
  ::munmap(shared, slots * sizeof(std::atomic<int>));
  return {{"sustained", sustained}, {"stopped_by", stopped_by}, {"steps", steps}};
}

}  // namespace
}  // namespace muster::bench

int main(int argc, char** argv) {
  using namespace muster::bench;
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool value = i + 1 < argc;
    if (arg == "--quick") options.quick = true;
    else if (arg == "--dispatch-only") options.dispatch_only = true;
    else if (arg == "--ingest-only") options.ingest_only = true;
    else if (arg == "--bin" && value) options.bin_dir = argv[++i];
    else if (arg == "--out" && value) options.out = argv[++i];
    else if (arg == "--max-agents" && value) options.max_agents = std::stoi(argv[++i]);
    else if (arg == "--agents-per-thread" && value) options.agents_per_thread = std::stoi(argv[++i]);
    else if (arg == "--in-flight" && value) options.in_flight = std::stoi(argv[++i]);
    else if (arg == "--real-agents" && value) options.real_agents = std::stoi(argv[++i]);
    else {
      Die("usage: fleet_bench --bin BUILD_DIR --out FILE.json [--quick] [--max-agents N] "
          "[--agents-per-thread N] [--in-flight N] [--real-agents N] [--dispatch-only | "
          "--ingest-only]");
    }
  }
  if (options.bin_dir.empty() || options.out.empty()) Die("give --bin and --out");
  muster::InitLogging("error");
  const int small = options.quick ? 20 : 100;
  const int big = options.quick ? 200 : 1000;
  const int dispatch = 200;
  const double steady_s = options.quick ? 3 : 10;
  SwarmOptions swarm_options;
  swarm_options.agents_per_thread = options.agents_per_thread;
  swarm_options.groups_in_flight = options.in_flight;
  // A whole number of keep-alive periods (30 s), so that every idle agent PINGs in it.
  const double idle_s = options.quick ? 30 : 60;
  const int cap =
      std::max(big, options.max_agents > 0 ? options.max_agents : options.quick ? 1000 : 10'000);
  const int step = cap >= 5000 ? 1000 : 500;
  const int reals = options.real_agents;
  const std::uint64_t files = RaiseFileLimit(static_cast<std::uint64_t>(cap) * 16 + 4096);

  json out = {{"machine", MachineDescription()},
              {"load_average_at_start", LoadAverage()},
              {"open_file_limit", files},
              {"quick", options.quick},
              {"agents_per_thread", swarm_options.agents_per_thread},
              {"groups_in_flight", swarm_options.groups_in_flight},
              {"keepalive_ms", swarm_options.keepalive_ms}};
  {
    // Members [0, cap) for simulated agents, then |reals| for the real team, then one for
    // the backlog's real agent.
    Fleet fleet(options, big, cap, reals + 1);
    if (options.dispatch_only) {
      out["dispatch"] = Dispatch(fleet, dispatch, swarm_options);
      WriteResult(out, options.out);
      return 0;
    }
    {
      Swarm swarm(swarm_options);
      // As many simulated agents as the real ones below, for comparison, then the two sizes
      // the baselines run with.
      std::vector<std::pair<int, std::string>> runs = {{small, "steady_small"}, {big, "steady_big"}};
      if (reals > 0 && reals != small && reals < big) runs.push_back({reals, "steady_as_real"});
      std::sort(runs.begin(), runs.end());
      for (const auto& [agents, name] : runs) {
        swarm.Add(fleet.SimSpecs(swarm.size(), agents));
        out[name] = SteadyIngest(fleet, swarm, agents, steady_s);
      }
      if (options.ingest_only) {
        WriteResult(out, options.out);
        return 0;
      }
      out["idle"] = Idle(fleet, swarm, big, idle_s);
      out["storm"] = ReconnectStorm(fleet, swarm, big);
    }
    out["dispatch"] = Dispatch(fleet, dispatch, swarm_options);
    if (reals > 0) out["real_agents"] = RealAgents(fleet, options, cap, reals, steady_s);
    out["backlog"] = Backlog(fleet, options, cap + reals, 10000,
                             fs::path(options.out).replace_filename("drain.dat").string());
    out["max_agents"] = MaxAgents(fleet, swarm_options, cap, step);
  }
  out["load_average_at_end"] = LoadAverage();
  WriteResult(out, options.out);
  return 0;
}
