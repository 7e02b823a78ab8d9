#include "team_rig.h"

#include <sodium.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>
#include <stdexcept>

#include "muster/files.h"
#include "verbs.h"

namespace muster::testing {

std::string SurveyPlaybook() {
  std::string yaml = R"(id: site-survey
version: "1.0.0"
title: Survey a site over a thin link
hazards: [radiological]
roles:
  - id: surveyor
    title: Surveyor
phases:
  - id: survey
    title: Survey
steps:
)";
  for (const auto& [id, title] : {std::pair{"approach", "Approach the site"},
                                  {"perimeter", "Walk the perimeter"},
                                  {"sample", "Take a sample"},
                                  {"report", "Report"}}) {
    yaml += std::string("  - id: ") + id + "\n    title: " + title +
            "\n    phase: survey\n    role: surveyor\n    findings:\n"
            "      - {id: reading, type: number, unit: µSv/h}\n"
            "      - {id: remark, type: text}\n"
            "      - {id: photo, type: attachment}\n";
  }
  return yaml;
}

namespace {

void Check(const Status& status, const std::string& what) {
  if (!status.ok()) throw std::runtime_error("team rig: " + what + ": " + status.ToString());
}

}  // namespace

bool WaitUntil(const std::function<bool()>& condition, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int>(seconds * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

TeamRig::TeamRig(TeamRigOptions options) : options_(std::move(options)) {
  static std::atomic<int> next{0};
  root_ = (std::filesystem::temp_directory_path() /
           ("muster-team-" + std::to_string(::getpid()) + "-" + std::to_string(++next)))
              .string();
  std::filesystem::remove_all(root_);
  std::filesystem::create_directories(root_);
  options_.coordinator.data_dir = root_ + "/hq";
  options_.coordinator.agent_bind = "tcp://127.0.0.1:*";
  options_.coordinator.api_port = 0;
  options_.coordinator.log_level = "warn";
  StartCoordinator();
  // Restarts bind the same port, so that the link and the bundles stay valid.
  options_.coordinator.agent_bind = hq_->agent_endpoint();
  const std::string endpoint = hq_->agent_endpoint();
  link_ = std::make_unique<LinkEmulator>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));

  nlohmann::json assign = nlohmann::json::array();
  for (int i = 1; i <= options_.members; ++i) {
    const std::string member = "m" + std::to_string(i);
    members_.push_back(member);
    assign.push_back(member);
    Check(api_->Post("/v1/members", {{"id", member}, {"name", "Member " + std::to_string(i)}})
              .status(),
          "add " + member);
    auto enrolled = api_->Post("/v1/agents", {{"member", member}});
    Check(enrolled.status(), "enrol " + member);
    auto bundle = ParseBundle((*enrolled)["bundle"].get<std::string>());
    Check(bundle.status(), "read the bundle of " + member);
    auto agent = std::make_unique<Agent>();
    agent->bundle = *bundle;
    agent->bundle.endpoint = "tcp://127.0.0.1:" + std::to_string(link_->port());
    const std::string dir = root_ + "/agent-" + member;
    std::filesystem::create_directories(dir);
    const std::size_t index = members_.size() - 1;
    agent->clock = std::make_unique<OffsetClock>(
        clock_, index < options_.laptop_clock_shifts.size() ? options_.laptop_clock_shifts[index] : 0);
    if (options_.sealed) {
      agent->master.emplace(32);
      randombytes_buf(agent->master->data(), agent->master->size());
    }
    auto store = agent::AgentStore::Open(dir, agent->bundle, *agent->clock,
                                         agent->master ? &*agent->master : nullptr);
    Check(store.status(), "open the store of " + member);
    agent->store = std::move(store).value();
    agents_.push_back(std::move(agent));
  }
  Check(api_->Post("/v1/incidents",
                   {{"id", "INC-1"}, {"title", "Site survey"}, {"exercise", options_.exercise}})
            .status(),
        "open the incident");
  auto deployed = api_->Post("/v1/deployments", {{"incident", "INC-1"},
                                                 {"playbook_source", options_.playbook},
                                                 {"assign", {{"surveyor", assign}}}});
  Check(deployed.status(), "deploy");
  deployment_ = (*deployed)["id"].get<std::int64_t>();
}

TeamRig::~TeamRig() {
  StopSite();
  StopAgents();
  link_.reset();
  hq_.reset();
  std::filesystem::remove_all(root_);
}

void TeamRig::StartCoordinator() {
  hq_ = std::make_unique<hq::Coordinator>(options_.coordinator, clock_);
  Check(hq_->Start(), "start the coordinator");
  api_ = std::make_unique<console::ApiClient>(hq_->api_url(), hq_->api_token());
}

void TeamRig::StopCoordinator() { hq_.reset(); }

void TeamRig::StartAgents() {
  for (int i = 0; i < size(); ++i) StartAgent(i);
}

void TeamRig::StopAgents() {
  for (int i = 0; i < size(); ++i) StopAgent(i);
}

void TeamRig::StartAgent(int i) {
  Agent& agent = *agents_[i];
  if (agent.link) return;
  agent.stop = false;
  agent::LinkOptions options = options_.link;
  options.forward_relayed = i == options_.relay;
  agent.link = std::make_unique<agent::Link>(*agent.store, agent.bundle, *agent.clock, options);
  agent.thread = std::thread([raw = &agent] { raw->link->Run(raw->stop); });
}

void TeamRig::StopAgent(int i) {
  Agent& agent = *agents_[i];
  if (!agent.link) return;
  agent.stop = true;
  agent.link->Interrupt();
  agent.thread.join();
  agent.stats = agent.link->stats();
  agent.link.reset();
}

std::unique_ptr<agent::AgentStore> TeamRig::OpenStore(int i) {
  auto store = agent::AgentStore::Open(agents_[i]->store->data_dir(), agents_[i]->bundle,
                                       *agents_[i]->clock,
                                       agents_[i]->master ? &*agents_[i]->master : nullptr);
  Check(store.status(), "open another store connection of " + members_[i]);
  return std::move(store).value();
}

void TeamRig::StartSite() {
  if (relay_server_ || options_.relay < 0) return;
  site_stop_ = false;
  const int relay = options_.relay;
  relay_store_ = OpenStore(relay);
  agent::RelayServerOptions server_options;
  server_options.bind = "tcp://127.0.0.1:*";
  server_options.site_every_ms = 200;
  relay_server_ = std::make_unique<agent::RelayServer>(*relay_store_, agents_[relay]->bundle,
                                                       *agents_[relay]->clock, server_options);
  Check(relay_server_->Start(), "start the field relay");
  site_threads_.emplace_back([this] { relay_server_->Run(site_stop_); });
  for (int i = 0; i < size(); ++i) {
    if (i == relay) continue;
    site_stores_.push_back(OpenStore(i));
    agent::RelayLinkOptions link_options;
    link_options.endpoint = relay_server_->endpoint();
    link_options.relay_agent = agents_[relay]->bundle.agent_id;
    link_options.poll_ms = 50;
    site_links_.push_back(std::make_unique<agent::RelayLink>(
        *site_stores_.back(), agents_[i]->bundle, *agents_[i]->clock, link_options));
    site_threads_.emplace_back([this, link = site_links_.back().get()] { link->Run(site_stop_); });
  }
}

void TeamRig::StopSite() {
  site_stop_ = true;
  for (std::thread& thread : site_threads_) thread.join();
  site_threads_.clear();
  site_links_.clear();
  site_stores_.clear();
  relay_server_.reset();
}

agent::LinkStats TeamRig::stats(int i) const {
  return agents_[i]->link ? agents_[i]->link->stats() : agents_[i]->stats;
}

bool TeamRig::WaitUntilDeployed(int seconds) {
  return WaitUntil(
      [&] {
        for (auto& agent : agents_) {
          auto tasks = agent->store->Tasks();
          auto team = agent->store->TeamSnapshots();
          if (!tasks.ok() || tasks->empty() || !team.ok() || team->empty()) return false;
        }
        return AllConnected();
      },
      seconds);
}

std::uint64_t TeamRig::Pending() {
  std::uint64_t pending = 0;
  for (auto& agent : agents_) {
    auto stats = agent->store->outbox().Stats();
    pending += stats.ok() ? stats->pending : 1;
  }
  return pending;
}

bool TeamRig::AllConnected() {
  for (auto& agent : agents_) {
    auto link = agent->store->Link();
    if (!link.ok() || !link->connected) return false;
  }
  return true;
}

std::int64_t TeamRig::HqScalar(const std::string& sql) {
  try {
    SQLite::Database db(root_ + "/hq/muster.db", SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    SQLite::Statement query(db, sql);
    if (!query.executeStep() || query.getColumn(0).isNull()) return 0;
    return query.getColumn(0).getInt64();
  } catch (const std::exception&) {
    return -1;
  }
}

std::string TeamRig::HqText(const std::string& sql) {
  try {
    SQLite::Database db(root_ + "/hq/muster.db", SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    SQLite::Statement query(db, sql);
    return query.executeStep() ? query.getColumn(0).getString() : "";
  } catch (const std::exception& error) {
    return std::string("error: ") + error.what();
  }
}

std::string TeamRig::Task(int i, const std::string& step) const {
  return "d" + std::to_string(deployment_) + "." + step + "." + members_[i];
}

void TeamRig::RecordSurvey(int i, const std::string& photo) {
  agent::AgentStore& store = *agents_[i]->store;
  std::ostringstream out;
  const auto must = [&](const Status& status, const std::string& what) {
    Check(status, members_[i] + " " + what + ": " + out.str());
  };
  int reading = 1;
  for (const char* step : {"approach", "perimeter", "sample"}) {
    must(agent::SetState(store, step, "acknowledged", "", false, out), "ack");
    must(agent::SetState(store, step, "in_progress", "", false, out), "start");
    must(agent::RecordFinding(store, step, {"reading=" + std::to_string(reading++) + ".5",
                                            "remark=clear at " + std::string(step)},
                              false, false, false, out),
         "finding");
    must(agent::RecordFinding(store, step, {}, false, true, false, out), "done");
  }
  must(agent::SetState(store, "report", "acknowledged", "", false, out), "ack report");
  must(agent::RecordFinding(store, "report", {"reading=0.2"}, false, false, false, out),
       "finding");
  must(agent::RecordFinding(store, "report", {"remark=photo of the site"}, false, false, false,
                            out, {photo}),
       "photo");
}

std::string TeamRig::WritePhoto(const std::string& name, std::size_t bytes, std::uint32_t seed) {
  std::mt19937 random(seed);
  std::string content(bytes, '\0');
  for (char& byte : content) byte = static_cast<char>(random());
  const std::string path = root_ + "/" + name;
  Check(WriteFileAtomic(path, content, 0600), "write " + path);
  return path;
}

Millis TeamRig::AllHeldAt(const std::string& kind, int expected) {
  if (HqScalar("SELECT COUNT(*) FROM inbound WHERE kind='" + kind + "'") < expected) return 0;
  return HqScalar("SELECT MAX(received_at) FROM inbound WHERE kind='" + kind + "'");
}

Millis TeamRig::AllFilesVerifiedAt(int expected) {
  if (HqScalar("SELECT COUNT(*) FROM attachments WHERE state='verified'") < expected) return 0;
  return HqScalar("SELECT MAX(verified_at) FROM attachments");
}

Millis TeamRig::FirstChunkSentAt() {
  Millis first = 0;
  for (auto& agent : agents_) {
    try {
      SQLite::Database db(agent->store->data_dir() + "/agent.db", SQLite::OPEN_READONLY);
      db.setBusyTimeout(5000);
      SQLite::Statement query(db, "SELECT MIN(sent_at) FROM outbox WHERE kind='attachment_chunk'");
      if (query.executeStep() && !query.getColumn(0).isNull()) {
        const Millis at = query.getColumn(0).getInt64();
        if (first == 0 || at < first) first = at;
      }
    } catch (const std::exception&) {
    }
  }
  return first;
}

}  // namespace muster::testing
