#include "agent_fixture.h"

#include <sodium.h>

#include "muster/keys.h"
#include "muster/playbook/load.h"
#include "muster/wire/deliveries.h"
#include "vault/vault.h"

namespace muster::agent::testing {

using nlohmann::json;

const playbook::Playbook& BorderSeizure() {
  static const playbook::Playbook* book = [] {
    const std::string path =
        std::string(MUSTER_SOURCE_DIR) + "/playbooks/radioactive-material-border-seizure.yaml";
    playbook::LoadResult loaded = playbook::LoadFile(path);
    std::string diagnostics;
    for (const auto& d : loaded.diagnostics) diagnostics += d.ToString() + "\n";
    EXPECT_TRUE(loaded.ok()) << diagnostics;
    return loaded.ok() ? new playbook::Playbook(std::move(*loaded.playbook))
                       : new playbook::Playbook();
  }();
  return *book;
}

Bundle MakeBundle(const std::string& agent_id) {
  auto agent = GenerateKeyPair();
  auto server = GenerateKeyPair();
  EXPECT_TRUE(agent.ok() && server.ok());
  Bundle bundle;
  bundle.agent_id = agent_id;
  bundle.member_id = kMember;
  bundle.endpoint = "tcp://127.0.0.1:7400";
  bundle.server_public_key = server.ok() ? server->public_key : "";
  bundle.public_key = agent.ok() ? agent->public_key : "";
  bundle.secret_key = agent.ok() ? agent->secret_key : "";
  bundle.hq_id = kHqId;
  return bundle;
}

std::string TaskIdOf(const std::string& step, std::int64_t deployment) {
  return "d" + std::to_string(deployment) + "." + step + "." + kMember;
}

Delivery PlaybookDelivery(std::uint64_t seq, const playbook::Playbook& book) {
  return wire::MakeDelivery(seq, 1'700'000'000'000, wire::PlaybookDelivery::Of(book, std::nullopt));
}

Delivery TaskDelivery(std::uint64_t seq, const TaskSpec& spec, const playbook::Playbook& book) {
  wire::TaskDelivery task;
  task.task = "d" + std::to_string(spec.deployment) + "." + spec.step + "." + spec.member;
  task.deployment = spec.deployment;
  task.step = spec.step;
  task.member = spec.member;
  task.state = spec.state;
  task.dormant = spec.dormant;
  task.reason = spec.reason;
  task.due_at = spec.due_at;
  task.playbook = book.content_hash;
  task.incident = "INC-2026-0042";
  task.incident_title = "Portal alarm at Nickelsdorf";
  Delivery delivery = wire::MakeDelivery(seq, 1'700'000'000'000, task);
  // As given, so that tests can send entries no HQ would.
  delivery.body["waits_on"] = spec.waits_on;
  return delivery;
}

json WaitsOn(const std::string& step, const std::string& state, const std::string& member,
             std::int64_t deployment) {
  return {{"task", "d" + std::to_string(deployment) + "." + step + "." + member},
          {"step", step},
          {"member", member},
          {"state", state}};
}

void AgentTest::SetUp() {
  ASSERT_FALSE(BorderSeizure().content_hash.empty()) << "the shipped playbook does not load";
  bundle_ = MakeBundle();
  master_ = SecretBytes(32);
  randombytes_buf(master_.data(), master_.size());
  auto opened = AgentStore::Open(dir_.path(), bundle_, clock_, Key());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  store_ = std::move(opened).value();
}

std::unique_ptr<SQLite::Database> AgentTest::RawStore() {
  std::optional<SecretBytes> key;
  if (Sealed()) key = DeriveSubkey(master_, Subkey::kStore);
  auto db = OpenStore(dir_.File("agent.db"), AgentMigrations(), key ? &*key : nullptr);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

std::unique_ptr<AgentStore> AgentTest::OpenAnother() {
  auto opened = AgentStore::Open(dir_.path(), bundle_, clock_, Key());
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  return opened.ok() ? std::move(opened).value() : nullptr;
}

void AgentTest::Deploy() {
  auto applied = store_->ApplyDeliveries({
      PlaybookDelivery(1),
      TaskDelivery(2, {.step = "secondary_inspection", .state = "ready",
                       .due_at = clock_.Now() + 45 * 60'000}),
      TaskDelivery(3, {.step = "establish_cordon",
                       .waits_on = json::array({WaitsOn("secondary_inspection", "ready")})}),
      TaskDelivery(4, {.step = "expand_cordon", .dormant = true}),
      TaskDelivery(5, {.step = "identify_nuclide",
                       .waits_on = json::array({WaitsOn("secondary_inspection", "ready")})}),
  });
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ASSERT_EQ(*applied, 5u);
}

Task AgentTest::GetTask(const std::string& step) {
  auto task = store_->FindTask(step);
  EXPECT_TRUE(task.ok()) << step << ": " << task.status().ToString();
  return task.ok() ? *task : Task{};
}

std::string AgentTest::StateOf(const std::string& step) {
  auto all = store_->Tasks();
  EXPECT_TRUE(all.ok());
  if (!all.ok()) return "";
  return store_->DisplayState(GetTask(step), *all);
}

}  // namespace muster::agent::testing
