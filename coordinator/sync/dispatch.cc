#include "sync/dispatch.h"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <set>

#include "muster/sqlite_store.h"

namespace muster::hq {

Status Dispatch::QueueBacklog(const std::string& agent_id, const std::string& member_id) {
  auto query = statements_.Get(
      "SELECT t.id, d.playbook_hash, d.id FROM tasks t JOIN deployments d "
      "ON d.id=t.deployment_id WHERE t.member_id=? AND d.status='active' "
      "ORDER BY d.id, t.rowid");
  query->bind(1, member_id);
  std::vector<std::string> tasks;
  std::vector<std::string> hashes;
  std::set<std::int64_t> deployments;
  while (query->executeStep()) {
    tasks.push_back(query->getColumn(0).getString());
    deployments.insert(query->getColumn(2).getInt64());
    const std::string hash = query->getColumn(1).getString();
    if (std::find(hashes.begin(), hashes.end(), hash) == hashes.end()) hashes.push_back(hash);
  }
  query->reset();
  for (const std::string& hash : hashes) {
    auto book = playbooks_.ByHash(hash);
    if (!book.ok()) return book.status();
    MUSTER_RETURN_IF_ERROR(QueuePlaybook(agent_id, **book));
  }
  Holders holders;
  for (const std::string& task_id : tasks) {
    std::optional<wire::TaskDelivery> snapshot = TaskSnapshot(task_id, holders);
    if (snapshot) MUSTER_RETURN_IF_ERROR(deliveries_.Queue(agent_id, *snapshot));
  }
  for (std::int64_t deployment : deployments) {
    MUSTER_RETURN_IF_ERROR(team_.QueueSnapshot(deployment, agent_id, nullptr));
  }
  // The watchlist of every incident the member serves in (by assignment: a member may
  // hold no task there yet).
  auto incidents = statements_.Get(
      "SELECT DISTINCT d.incident_id FROM assignments a JOIN deployments d ON "
      "d.id=a.deployment_id WHERE a.member_id=? AND d.status='active' ORDER BY d.incident_id");
  incidents->bind(1, member_id);
  std::vector<std::string> served;
  while (incidents->executeStep()) served.push_back(incidents->getColumn(0).getString());
  for (const std::string& incident : served) {
    MUSTER_RETURN_IF_ERROR(watchlist_.QueueWhole(agent_id, incident));
  }
  return Status::Ok();
}

Status Dispatch::QueueWatchlist(const std::string& agent_id, std::int64_t deployment_id,
                                bool carry) {
  auto incident = statements_.Get("SELECT incident_id FROM deployments WHERE id=?");
  incident->bind(1, deployment_id);
  if (!incident->executeStep()) return Status::Ok();
  return watchlist_.QueueWhole(agent_id, incident->getColumn(0).getString(), carry);
}

const std::vector<wire::WaitsOn>& Dispatch::HoldersOf(std::int64_t deployment_id,
                                                     const std::string& step, Holders& holders) {
  auto [it, added] = holders.try_emplace({deployment_id, step});
  if (!added) return it->second;
  auto query = statements_.Get(
      "SELECT t.id, t.member_id, t.state, m.name FROM tasks t JOIN members "
      "m ON m.id=t.member_id WHERE t.deployment_id=? AND t.step_id=? AND "
      "t.state NOT IN ('cancelled','reassigned') ORDER BY t.id");
  query->bind(1, deployment_id);
  query->bind(2, step);
  while (query->executeStep()) {
    it->second.push_back({query->getColumn(0).getString(), step, query->getColumn(1).getString(),
                          query->getColumn(3).getString(), query->getColumn(2).getString()});
  }
  return it->second;
}

bool Dispatch::HasTasks(std::int64_t deployment_id, const std::string& step) {
  auto query = statements_.Get("SELECT 1 FROM tasks WHERE deployment_id=? AND step_id=? LIMIT 1");
  query->bind(1, deployment_id);
  query->bind(2, step);
  const bool found = query->executeStep();
  query->reset();
  return found;
}

std::optional<wire::TaskDelivery> Dispatch::TaskSnapshot(const std::string& task_id,
                                                         Holders& holders) {
  auto query = statements_.Get(
      "SELECT t.deployment_id, t.step_id, t.member_id, t.state, t.dormant, t.reason, t.due_at, "
      "d.playbook_hash, d.incident_id, i.title, t.ready_at, i.exercise FROM tasks t "
      "JOIN deployments d ON d.id=t.deployment_id JOIN incidents i ON i.id=d.incident_id "
      "WHERE t.id=?");
  query->bind(1, task_id);
  if (!query->executeStep()) return std::nullopt;
  wire::TaskDelivery snapshot;
  snapshot.task = task_id;
  snapshot.deployment = query->getColumn(0).getInt64();
  snapshot.step = query->getColumn(1).getString();
  snapshot.member = query->getColumn(2).getString();
  snapshot.state = query->getColumn(3).getString();
  snapshot.dormant = query->getColumn(4).getInt() != 0;
  snapshot.reason = query->getColumn(5).getString();
  if (!query->getColumn(6).isNull()) snapshot.due_at = query->getColumn(6).getInt64();
  snapshot.playbook = query->getColumn(7).getString();
  snapshot.incident = query->getColumn(8).getString();
  snapshot.incident_title = query->getColumn(9).getString();
  if (!query->getColumn(10).isNull()) snapshot.ready_at = query->getColumn(10).getInt64();
  snapshot.exercise = query->getColumn(11).getInt() != 0;
  auto book = playbooks_.ByHash(snapshot.playbook);
  if (!book.ok()) return snapshot;
  const playbook::Step* step = (*book)->FindStep(snapshot.step);
  if (step == nullptr) return snapshot;
  for (const std::string& dependency : step->depends_on) {
    const std::vector<wire::WaitsOn>& held = HoldersOf(snapshot.deployment, dependency, holders);
    const playbook::Step* needed = (*book)->FindStep(dependency);
    for (wire::WaitsOn entry : held) {
      entry.any = needed != nullptr && needed->completion == playbook::Completion::kAny;
      snapshot.waits_on.push_back(std::move(entry));
    }
    if (snapshot.state == "waiting" && held.empty() &&
        playbook::WaitsForEmptyRole(**book, dependency) &&
        !HasTasks(snapshot.deployment, dependency)) {
      // The role is empty and says `when_empty: wait`: the task waits on no one yet (a
      // task HQ released, the step having been stood down, waits on nothing).
      const std::string role = (*book)->FindStep(dependency)->role;
      snapshot.waits_on.push_back({"", dependency, "", "no one in role " + role + " yet", "unfilled"});
    }
  }
  return snapshot;
}

Status Dispatch::QueueTaskSnapshots(const std::vector<std::string>& task_ids,
                                    std::vector<std::string>* agents_to_notify) {
  Holders holders;
  for (const std::string& task_id : task_ids) {
    std::optional<wire::TaskDelivery> snapshot = TaskSnapshot(task_id, holders);
    if (!snapshot) continue;
    // No agent yet: enrolment sends the backlog.
    for (const std::string& agent : deliveries_.ActiveAgentsOf(snapshot->member)) {
      MUSTER_RETURN_IF_ERROR(deliveries_.Queue(agent, *snapshot));
      if (agents_to_notify && std::find(agents_to_notify->begin(), agents_to_notify->end(),
                                        agent) == agents_to_notify->end()) {
        agents_to_notify->push_back(agent);
      }
    }
  }
  return Status::Ok();
}

Result<Dispatch::DeliveryCursor> Dispatch::Reconcile(const std::string& agent_id,
                                                     std::uint64_t agent_applied) {
  DeliveryCursor cursor;
  Status status = InTransaction(*db_, [&]() -> Status {
    const auto head = [&] {
      auto read = statements_.Get("SELECT next_delivery - 1 FROM agents WHERE id=?");
      read->bind(1, agent_id);
      read->executeStep();
      return static_cast<std::uint64_t>(read->getColumn(0).getInt64());
    };
    auto query = statements_.Get("SELECT next_delivery - 1, member_id FROM agents WHERE id=?");
    query->bind(1, agent_id);
    if (!query->executeStep()) return Status::Ok();
    cursor.head = static_cast<std::uint64_t>(query->getColumn(0).getInt64());
    const std::string member = query->getColumn(1).getString();
    query->reset();
    if (agent_applied > cursor.head) {
      cursor.hq_restored = true;
      auto skip = statements_.Get("UPDATE agents SET next_delivery=? WHERE id=?");
      skip->bind(1, static_cast<std::int64_t>(agent_applied + 1));
      skip->bind(2, agent_id);
      skip->exec();
      MUSTER_RETURN_IF_ERROR(QueueBacklog(agent_id, member));
      cursor.head = head();
      return Status::Ok();
    }
    // Every delivery after the agent's cursor must be here for it to continue. A gap is
    // left where a restored store continued another's numbering; a full view was queued
    // right after it, and the agent can start there.
    auto rows = statements_.Get("SELECT seq FROM outbound WHERE agent_id=? AND seq>? ORDER BY seq");
    rows->bind(1, agent_id);
    rows->bind(2, static_cast<std::int64_t>(agent_applied));
    std::uint64_t expected = agent_applied + 1;
    std::optional<std::uint64_t> after_gap;
    while (rows->executeStep()) {
      const auto seq = static_cast<std::uint64_t>(rows->getColumn(0).getInt64());
      if (seq != expected) after_gap = seq;
      expected = seq + 1;
    }
    rows->reset();
    if (expected != cursor.head + 1) {
      // The last deliveries themselves are gone: queue a full view to start from.
      after_gap = cursor.head + 1;
      MUSTER_RETURN_IF_ERROR(QueueBacklog(agent_id, member));
      cursor.head = head();
    }
    cursor.restart_from = after_gap;
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return cursor;
}

Status Dispatch::QueuePlaybook(const std::string& agent_id, const playbook::Playbook& book) {
  Result<wire::PlaybookDelivery> delivery = playbooks_.DeliveryOf(book);
  if (!delivery.ok()) return delivery.status();
  MUSTER_RETURN_IF_ERROR(deliveries_.Queue(agent_id, *delivery));
  // A version revoked while its deployment runs: an agent that gets it now learns that too.
  auto revocation = playbooks_.RevocationOf(book.content_hash);
  if (!revocation.ok()) return revocation.status();
  if (!*revocation) return Status::Ok();
  return deliveries_.Queue(agent_id, wire::PlaybookStatusDelivery{book.content_hash,
                                                                  (*revocation)->at,
                                                                  (*revocation)->by,
                                                                  (*revocation)->reason});
}

}  // namespace muster::hq
