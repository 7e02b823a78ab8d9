#include "sync/team_relay.h"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <utility>

#include "muster/log.h"
#include "muster/protocol.h"
#include "muster/sqlite_store.h"

namespace muster::hq {
namespace {

// A task's state as teammates see it: HQ's bookkeeping (ready → delivered) is no news,
// and a waiting task no trigger has activated is dormant.
std::string TeamState(const std::string& state, bool dormant) {
  if (state == "delivered") return "ready";
  if (state == "waiting" && dormant) return "dormant";
  return state;
}

int TeamStateCode(const std::string& state) {
  const auto& states = protocol::TeamStates();
  auto it = std::find(states.begin(), states.end(), state);
  return it == states.end() ? -1 : static_cast<int>(it - states.begin());
}

}  // namespace

Result<std::int64_t> TeamRelay::AdvanceView(std::int64_t deployment_id) {
  auto version = statements_.Get("SELECT team_version FROM deployments WHERE id=?");
  version->bind(1, deployment_id);
  if (!version->executeStep()) {
    return Status::Error(ErrorCode::kNotFound, "no deployment " + std::to_string(deployment_id));
  }
  const std::int64_t current = version->getColumn(0).getInt64();
  version->reset();
  auto rows = statements_.Get(
      "SELECT rowid, state, dormant, team_index, team_state FROM tasks "
      "WHERE deployment_id=? ORDER BY rowid");
  rows->bind(1, deployment_id);
  std::int64_t next_index = 0;
  struct Change {
    std::int64_t rowid;
    std::string state;
    bool added;
  };
  std::vector<Change> changes;
  while (rows->executeStep()) {
    const std::string state =
        TeamState(rows->getColumn(1).getString(), rows->getColumn(2).getInt() != 0);
    const bool indexed = !rows->getColumn(3).isNull();
    if (indexed) next_index = std::max(next_index, rows->getColumn(3).getInt64() + 1);
    if (!indexed || rows->getColumn(4).isNull() || rows->getColumn(4).getString() != state) {
      changes.push_back({rows->getColumn(0).getInt64(), state, !indexed});
    }
  }
  rows->reset();
  if (changes.empty()) return current;
  const std::int64_t next = current + 1;
  auto update = statements_.Get(
      "UPDATE tasks SET team_state=?, team_changed=?, "
      "team_index=COALESCE(team_index, ?), team_added=CASE WHEN team_index "
      "IS NULL THEN ? ELSE team_added END WHERE rowid=?");
  for (const Change& change : changes) {
    update->bind(1, change.state);
    update->bind(2, next);
    update->bind(3, change.added ? next_index++ : 0);
    update->bind(4, next);
    update->bind(5, change.rowid);
    update->exec();
    update->reset();
  }
  auto bump = statements_.Get("UPDATE deployments SET team_version=? WHERE id=?");
  bump->bind(1, next);
  bump->bind(2, deployment_id);
  bump->exec();
  return next;
}

std::optional<wire::TeamView> TeamRelay::Snapshot(std::int64_t deployment_id) {
  auto version = AdvanceView(deployment_id);
  if (!version.ok()) return std::nullopt;
  auto deployment =
      statements_.Get("SELECT incident_id, playbook_hash FROM deployments WHERE id=?");
  deployment->bind(1, deployment_id);
  if (!deployment->executeStep()) return std::nullopt;
  wire::TeamView snapshot;
  snapshot.deployment = deployment_id;
  snapshot.incident = deployment->getColumn(0).getString();
  snapshot.playbook = deployment->getColumn(1).getString();
  snapshot.at = clock_.Now();
  snapshot.version = *version;
  // Titles are not sent: every member's agent holds the pinned playbook and looks them up.
  // The order is the view's: changes name tasks by their place in it.
  auto tasks = statements_.Get(
      "SELECT t.id, t.step_id, t.member_id, m.name, t.team_state "
      "FROM tasks t JOIN members m ON m.id=t.member_id "
      "WHERE t.deployment_id=? ORDER BY t.team_index");
  tasks->bind(1, deployment_id);
  while (tasks->executeStep()) {
    const std::string member = tasks->getColumn(2).getString();
    snapshot.members[member] = tasks->getColumn(3).getString();
    snapshot.tasks.push_back({tasks->getColumn(0).getString(), tasks->getColumn(1).getString(),
                              member, tasks->getColumn(4).getString()});
  }
  auto agents = statements_.Get(
      "SELECT id, public_key, member_id FROM agents WHERE status='active' AND member_id IN "
      "(SELECT member_id FROM tasks WHERE deployment_id=?)");
  agents->bind(1, deployment_id);
  while (agents->executeStep()) {
    snapshot.agents[agents->getColumn(0).getString()] = agents->getColumn(1).getString();
    snapshot.agent_members[agents->getColumn(0).getString()] = agents->getColumn(2).getString();
  }
  return snapshot;
}

Status TeamRelay::NoteView(const std::string& agent_id, std::int64_t deployment_id,
                           std::int64_t version) {
  auto upsert = statements_.Get(
      "INSERT INTO team_views(agent_id, deployment_id, version, seq) VALUES(?,?,?, "
      "(SELECT next_delivery - 1 FROM agents WHERE id=?)) ON CONFLICT(agent_id, deployment_id) "
      "DO UPDATE SET version=excluded.version, seq=excluded.seq");
  upsert->bind(1, agent_id);
  upsert->bind(2, deployment_id);
  upsert->bind(3, version);
  upsert->bind(4, agent_id);
  upsert->exec();
  return Status::Ok();
}

Status TeamRelay::QueueSnapshot(std::int64_t deployment_id,
                                const std::optional<std::string>& only_agent,
                                std::vector<std::string>* agents_to_notify,
                                const std::string& except_agent) {
  std::vector<std::string> agents;
  if (only_agent) {
    agents.push_back(*only_agent);
  } else {
    agents = TeamAgents(deployment_id);
  }
  std::erase(agents, except_agent);
  if (agents.empty()) return Status::Ok();
  std::optional<wire::TeamView> snapshot = Snapshot(deployment_id);
  if (!snapshot) return Status::Ok();
  MUSTER_RETURN_IF_ERROR(deliveries_.QueueShared(
      agents, wire::DeliveryKindName(wire::TeamView::kKind), snapshot->Encode().dump()));
  for (const std::string& agent : agents) {
    MUSTER_RETURN_IF_ERROR(NoteView(agent, deployment_id, snapshot->version));
    if (agents_to_notify && std::find(agents_to_notify->begin(), agents_to_notify->end(), agent) ==
                                agents_to_notify->end()) {
      agents_to_notify->push_back(agent);
    }
  }
  return Status::Ok();
}

std::vector<std::string> TeamRelay::TeamAgents(std::int64_t deployment_id) {
  std::vector<std::string> agents;
  auto members = statements_.Get(
      "SELECT DISTINCT member_id FROM assignments WHERE "
      "deployment_id=? ORDER BY member_id");
  members->bind(1, deployment_id);
  while (members->executeStep()) {
    for (std::string& agent : deliveries_.ActiveAgentsOf(members->getColumn(0).getString())) {
      agents.push_back(std::move(agent));
    }
  }
  return agents;
}

Result<std::vector<std::string>> TeamRelay::Relay(const RelayPace& pace) {
  std::vector<std::string> notify;
  // Deployment -> still active; read before any write, so an idle tick takes no lock.
  std::vector<std::pair<std::int64_t, bool>> dirty;
  // The revisits are taken now and given back if the relay fails: unlike a deployment's
  // mark, they are not in the database, so a rolled-back relay would lose them.
  std::set<std::int64_t> revisits = std::exchange(revisit_, {});
  const auto give_back = [&](Status failed) {
    revisit_.merge(revisits);
    return failed;
  };
  Status read = Guarded([&]() -> Status {
    auto query = statements_.Get(
        "SELECT id, status='active' FROM deployments WHERE team_dirty=1 ORDER BY id");
    while (query->executeStep()) {
      dirty.emplace_back(query->getColumn(0).getInt64(), query->getColumn(1).getInt() != 0);
      revisits.erase(dirty.back().first);
    }
    for (std::int64_t deployment : revisits) dirty.emplace_back(deployment, true);
    return Status::Ok();
  });
  if (!read.ok()) return give_back(read);
  if (dirty.empty()) return notify;
  const Millis now = clock_.Now();
  Status status = InTransaction(*db_, [&]() -> Status {
    auto clean = statements_.Get("UPDATE deployments SET team_dirty=0 WHERE id=?");
    for (const auto& [deployment, active] : dirty) {
      // A closed deployment's open tasks were cancelled on its agents: no team view to keep.
      // An offline agent's change does not keep the deployment marked: Revisit brings it
      // back when the agent greets.
      bool done = true;
      if (active) {
        auto version = AdvanceView(deployment);
        if (!version.ok()) return version.status();
        for (const std::string& agent : TeamAgents(deployment)) {
          auto sent = RelayTo(agent, deployment, *version, now, pace);
          if (!sent.ok()) return sent.status();
          if (*sent == RelayOutcome::kWaiting) done = false;
          if (*sent == RelayOutcome::kQueued) notify.push_back(agent);
        }
      }
      if (done) {
        clean->bind(1, deployment);
        clean->exec();
        clean->reset();
      }
    }
    return Status::Ok();
  });
  if (!status.ok()) return give_back(status);
  return notify;
}

void TeamRelay::Revisit(const std::string& agent_id) {
  Status status = Guarded([&]() -> Status {
    auto query = statements_.Get(
        "SELECT DISTINCT a.deployment_id FROM agents g JOIN assignments a ON "
        "a.member_id=g.member_id JOIN deployments d ON d.id=a.deployment_id WHERE g.id=? AND "
        "d.status='active'");
    query->bind(1, agent_id);
    while (query->executeStep()) revisit_.insert(query->getColumn(0).getInt64());
    return Status::Ok();
  });
  if (!status.ok()) {
    // The deployment keeps its mark until the next change; the agent's view lags until then.
    Logger("team")->warn("event=revisit_failed agent={} error=\"{}\"", agent_id, status.ToString());
  }
}

Result<TeamRelay::RelayOutcome> TeamRelay::RelayTo(const std::string& agent_id,
                                                   std::int64_t deployment_id, std::int64_t version,
                                                   Millis now, const RelayPace& pace) {
  auto view = statements_.Get(
      "SELECT v.version, v.seq, a.applied, a.member_id FROM agents a LEFT "
      "JOIN team_views v ON v.agent_id=a.id AND v.deployment_id=? WHERE "
      "a.id=?");
  view->bind(1, deployment_id);
  view->bind(2, agent_id);
  if (!view->executeStep()) return RelayOutcome::kNothing;
  if (view->getColumn(0).isNull()) {
    // An agent that never had this team's view (a member added later) gets all of it.
    MUSTER_RETURN_IF_ERROR(QueueSnapshot(deployment_id, agent_id, nullptr));
    return RelayOutcome::kQueued;
  }
  const std::int64_t held = view->getColumn(0).getInt64();
  const std::int64_t last_seq = view->getColumn(1).getInt64();
  const std::int64_t applied = view->getColumn(2).getInt64();
  const std::string member = view->getColumn(3).getString();
  view->reset();
  if (held >= version) return RelayOutcome::kNothing;
  const std::optional<Millis> online = pace ? pace(agent_id) : std::nullopt;
  // Offline, one change waits for the agent: what comes meanwhile joins it.
  if (!online && applied < last_seq) return RelayOutcome::kOffline;
  // Online, changes go at the agent's pace, the first waiting a little for company.
  const std::string key = agent_id + "#" + std::to_string(deployment_id);
  const Millis every = online.value_or(0);
  const Millis since = gathering_since_.emplace(key, now).first->second;
  if (now < since + every / 3) return RelayOutcome::kWaiting;
  auto next = next_relay_at_.find(key);
  if (next != next_relay_at_.end() && now < next->second) return RelayOutcome::kWaiting;

  wire::TeamChange change;
  change.deployment = deployment_id;
  change.version = version;
  auto changed = statements_.Get(
      "SELECT t.team_index, t.team_state, t.team_added, t.id, t.step_id, "
      "t.member_id, m.name FROM tasks t JOIN members m ON "
      "m.id=t.member_id WHERE t.deployment_id=? AND t.team_changed>? "
      "ORDER BY t.team_index");
  changed->bind(1, deployment_id);
  changed->bind(2, held);
  while (changed->executeStep()) {
    const std::int64_t index = changed->getColumn(0).getInt64();
    const int code = TeamStateCode(changed->getColumn(1).getString());
    if (changed->getColumn(2).getInt64() > held) {
      // New to this agent: all of it, its own tasks too, so that places stay in step.
      change.add.push_back({static_cast<std::uint64_t>(index), changed->getColumn(3).getString(),
                            changed->getColumn(4).getString(), changed->getColumn(5).getString(),
                            code});
      change.members[changed->getColumn(5).getString()] = changed->getColumn(6).getString();
    } else if (changed->getColumn(5).getString() != member) {
      // The member's own tasks come as task snapshots; the team view shows what they did.
      change.set.push_back({static_cast<std::uint64_t>(index), code});
    }
  }
  gathering_since_.erase(key);
  if (change.set.empty() && change.add.empty()) {
    // Only the member's own tasks changed: its view of the others is already current.
    auto keep =
        statements_.Get("UPDATE team_views SET version=? WHERE agent_id=? AND deployment_id=?");
    keep->bind(1, version);
    keep->bind(2, agent_id);
    keep->bind(3, deployment_id);
    keep->exec();
    return RelayOutcome::kNothing;
  }
  MUSTER_RETURN_IF_ERROR(deliveries_.Queue(agent_id, change));
  MUSTER_RETURN_IF_ERROR(NoteView(agent_id, deployment_id, version));
  next_relay_at_[key] = now + every;
  gathering_since_.erase(key);
  return RelayOutcome::kQueued;
}

void TeamRelay::MarkDirty(const std::set<std::int64_t>& deployments) {
  auto dirty = statements_.Get("UPDATE deployments SET team_dirty=1 WHERE id=?");
  for (std::int64_t deployment : deployments) {
    dirty->bind(1, deployment);
    dirty->exec();
    dirty->reset();
  }
}

}  // namespace muster::hq
