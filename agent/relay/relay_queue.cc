#include "relay/relay_queue.h"

#include <SQLiteCpp/Statement.h>

#include <algorithm>

#include "muster/sqlite_store.h"
#include "muster/wire/deliveries.h"
#include "relay/site_view.h"

namespace muster::agent {

using nlohmann::json;

json RelayedRecord::Encode() const {
  json element = entry.Encode();
  element["agent"] = agent;
  element["auth"] = auth;
  return element;
}

RelayQueue::RelayQueue(SQLite::Database& db, const Clock& clock, std::string own_agent_id)
    : db_(db), clock_(clock), own_agent_id_(std::move(own_agent_id)) {}

Result<std::vector<std::uint64_t>> RelayQueue::Keep(const std::string& agent,
                                                    const std::vector<RelayedRecord>& records) {
  std::vector<std::uint64_t> held;
  Status status = InTransaction(db_, [&]() -> Status {
    SQLite::Statement insert(db_,
                             "INSERT INTO relayed(agent, seq, kind, task, state, at, entry, "
                             "received_at) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING");
    const auto now = static_cast<std::int64_t>(clock_.Now());
    for (const RelayedRecord& record : records) {
      const std::vector<std::uint8_t> packed = json::to_msgpack(record.Encode());
      insert.bind(1, agent);
      insert.bind(2, static_cast<std::int64_t>(record.entry.seq));
      insert.bind(3, record.entry.kind);
      const json& body = record.entry.body;
      insert.bind(4, body.contains("task") && body["task"].is_string()
                         ? body["task"].get<std::string>()
                         : std::string());
      if (record.entry.kind == "status" && body.contains("state") && body["state"].is_string()) {
        insert.bind(5, body["state"].get<std::string>());
      } else {
        insert.bind(5);
      }
      insert.bind(6, static_cast<std::int64_t>(record.entry.at));
      insert.bind(7, packed.data(), static_cast<int>(packed.size()));
      insert.bind(8, now);
      insert.exec();
      insert.reset();
      held.push_back(record.entry.seq);
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return held;
}

Status RelayQueue::HqHoldsUpTo(const std::string& agent, std::uint64_t watermark) {
  return Guarded(db_, [&]() -> Status {
    SQLite::Statement mark(db_,
                           "UPDATE relayed SET hq_at=? WHERE agent=? AND seq<=? AND hq_at IS NULL");
    mark.bind(1, static_cast<std::int64_t>(clock_.Now()));
    mark.bind(2, agent);
    mark.bind(3, static_cast<std::int64_t>(watermark));
    mark.exec();
    return Status::Ok();
  });
}

Result<std::vector<RelayedRecord>> RelayQueue::NextForHq(std::size_t max_records,
                                                         std::size_t max_bytes) {
  std::vector<RelayedRecord> batch;
  std::size_t bytes = 0;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(db_,
                            "SELECT entry FROM relayed WHERE hq_at IS NULL "
                            "ORDER BY received_at, agent, seq LIMIT ?");
    query.bind(1, static_cast<std::int64_t>(max_records));
    while (query.executeStep()) {
      const SQLite::Column column = query.getColumn(0);
      const auto* data = static_cast<const std::uint8_t*>(column.getBlob());
      const json element = json::from_msgpack(data, data + column.getBytes(), /*strict=*/true,
                                              /*allow_exceptions=*/false);
      if (!element.is_object()) continue;  // cannot happen: Keep wrote it
      const std::size_t size = static_cast<std::size_t>(column.getBytes());
      if (!batch.empty() && bytes + size > max_bytes) break;
      bytes += size;
      batch.push_back({element.value("agent", ""), wire::Entry::FromChecked(element),
                       element.value("auth", "")});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return batch;
}

Status RelayQueue::MarkHeldAtHq(const std::string& agent, const std::vector<std::uint64_t>& seqs) {
  return InTransaction(db_, [&]() -> Status {
    SQLite::Statement mark(db_,
                           "UPDATE relayed SET hq_at=? WHERE agent=? AND seq=? AND hq_at IS NULL");
    for (std::uint64_t seq : seqs) {
      mark.bind(1, static_cast<std::int64_t>(clock_.Now()));
      mark.bind(2, agent);
      mark.bind(3, static_cast<std::int64_t>(seq));
      mark.exec();
      mark.reset();
    }
    return Status::Ok();
  });
}

Status RelayQueue::MarkRefusedAtHq(const std::string& agent, std::uint64_t seq,
                                   const std::string& why) {
  return Guarded(db_, [&]() -> Status {
    SQLite::Statement mark(db_, "UPDATE relayed SET hq_at=?, hq_refusal=? WHERE agent=? AND seq=?");
    mark.bind(1, static_cast<std::int64_t>(clock_.Now()));
    mark.bind(2, why.empty() ? std::string("refused") : why);
    mark.bind(3, agent);
    mark.bind(4, static_cast<std::int64_t>(seq));
    mark.exec();
    return Status::Ok();
  });
}

Status RelayQueue::NoteRefusedEffect(const std::string& agent, std::uint64_t seq,
                                     const std::string& code, const std::string& why) {
  return Guarded(db_, [&]() -> Status {
    SQLite::Statement mark(db_,
                           "UPDATE relayed SET hq_at=COALESCE(hq_at, ?), hq_code=?, hq_refusal=? "
                           "WHERE agent=? AND seq=?");
    mark.bind(1, static_cast<std::int64_t>(clock_.Now()));
    mark.bind(2, code);
    mark.bind(3, why);
    mark.bind(4, agent);
    mark.bind(5, static_cast<std::int64_t>(seq));
    mark.exec();
    return Status::Ok();
  });
}

Result<std::vector<RelayQueue::Refusal>> RelayQueue::TakeRefusals(const std::string& agent) {
  std::vector<Refusal> refusals;
  Status status = InTransaction(db_, [&]() -> Status {
    SQLite::Statement query(db_,
                            "SELECT seq, hq_code, hq_refusal FROM relayed WHERE agent=? AND "
                            "hq_code<>'' AND told=0 ORDER BY seq");
    query.bind(1, agent);
    while (query.executeStep()) {
      refusals.push_back({static_cast<std::uint64_t>(query.getColumn(0).getInt64()),
                          query.getColumn(1).getString(), query.getColumn(2).getString()});
    }
    SQLite::Statement told(db_, "UPDATE relayed SET told=1 WHERE agent=? AND hq_code<>''");
    told.bind(1, agent);
    told.exec();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return refusals;
}

Result<std::uint64_t> RelayQueue::Prune(Millis cutoff) {
  std::uint64_t pruned = 0;
  Status status = Guarded(db_, [&]() -> Status {
    SQLite::Statement prune(db_, "DELETE FROM relayed WHERE hq_at IS NOT NULL AND hq_at < ?");
    prune.bind(1, static_cast<std::int64_t>(cutoff));
    pruned = static_cast<std::uint64_t>(prune.exec());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return pruned;
}

Result<RelayQueue::Counts> RelayQueue::Stats() {
  Counts counts;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(db_,
                            "SELECT COUNT(*), COALESCE(SUM(hq_at IS NULL), 0), "
                            "COALESCE(SUM(hq_refusal<>''), 0) FROM relayed");
    if (query.executeStep()) {
      counts.held = static_cast<std::uint64_t>(query.getColumn(0).getInt64());
      counts.waiting = static_cast<std::uint64_t>(query.getColumn(1).getInt64());
      counts.refused = static_cast<std::uint64_t>(query.getColumn(2).getInt64());
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return counts;
}

Result<std::vector<wire::TeamView>> RelayQueue::OpenViews() {
  std::vector<wire::TeamView> views;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(db_, "SELECT body FROM team ORDER BY deployment");
    while (query.executeStep()) {
      auto view =
          wire::TeamView::Decode(json::parse(query.getColumn(0).getString(), nullptr, false));
      if (!view.ok()) continue;
      const bool open = std::any_of(view->tasks.begin(), view->tasks.end(), [](const auto& task) {
        return task.state != "completed" && task.state != "cancelled" &&
               task.state != "reassigned" && !task.task.empty();
      });
      if (open) views.push_back(std::move(*view));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return views;
}

Result<std::map<std::string, std::string>> RelayQueue::TeamKeys() {
  auto views = OpenViews();
  if (!views.ok()) return views.status();
  std::map<std::string, std::string> keys;
  for (const wire::TeamView& view : *views) {
    for (const auto& [agent, key] : view.agents) keys[key] = agent;
  }
  return keys;
}

Result<std::vector<SiteTeam>> RelayQueue::Site() {
  auto views = OpenViews();
  if (!views.ok()) return views.status();
  std::vector<SiteTeam> teams;
  Status status = Guarded([&]() -> Status {
    // What is known on site: each task's newest status from the records the relay holds,
    // written by the agent of the task's own member (a teammate cannot speak for it, as
    // HQ would refuse), and this laptop's own tasks as its member left them.
    struct Known {
      std::string state;
      std::string agent;  // empty: this laptop's own
    };
    std::map<std::string, Known> known;
    SQLite::Statement statuses(db_,
                               "SELECT task, state, agent FROM relayed WHERE kind='status' AND "
                               "state IS NOT NULL ORDER BY seq");
    while (statuses.executeStep()) {
      known[statuses.getColumn(0).getString() + "\n" + statuses.getColumn(2).getString()] = {
          statuses.getColumn(1).getString(), statuses.getColumn(2).getString()};
    }
    SQLite::Statement own(db_, "SELECT id, local_state FROM tasks WHERE local_state<>''");
    while (own.executeStep()) {
      known[own.getColumn(0).getString() + "\n" + own_agent_id_] = {own.getColumn(1).getString(),
                                                                    own_agent_id_};
    }
    std::map<std::string, std::int64_t> findings;  // "task\nagent" -> count
    SQLite::Statement found(db_,
                            "SELECT task, agent, COUNT(*) FROM relayed WHERE kind='finding' "
                            "GROUP BY task, agent UNION ALL SELECT task, ?, COUNT(*) FROM outbox "
                            "WHERE kind='finding' GROUP BY task");
    found.bind(1, own_agent_id_);
    while (found.executeStep()) {
      findings[found.getColumn(0).getString() + "\n" + found.getColumn(1).getString()] +=
          found.getColumn(2).getInt64();
    }
    for (const wire::TeamView& view : *views) {
      SiteTeam team;
      team.deployment = view.deployment;
      team.agents = view.agents;
      for (const wire::TeamTask& task : view.tasks) {
        if (task.task.empty()) continue;
        SiteTask entry{task.task, task.state, false, 0};
        for (const auto& [agent, member] : view.agent_members) {
          if (member != task.member) continue;
          const std::string key = task.task + "\n" + agent;
          if (auto here = known.find(key);
              here != known.end() && AheadOf(here->second.state, entry.state)) {
            entry.state = here->second.state;
            entry.on_site = true;
          }
          if (auto count = findings.find(key); count != findings.end())
            entry.findings += count->second;
        }
        team.tasks.push_back(std::move(entry));
      }
      teams.push_back(std::move(team));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return teams;
}

json RelayQueue::SiteBody(const std::vector<SiteTeam>& teams, const std::string& agent,
                          const std::string& relay_id, Millis now) {
  json list = json::array();
  for (const SiteTeam& team : teams) {
    if (!team.agents.count(agent)) continue;
    json tasks = json::array();
    for (const SiteTask& task : team.tasks) {
      tasks.push_back({{"task", task.task},
                       {"state", task.state},
                       {"on_site", task.on_site},
                       {"findings", task.findings}});
    }
    list.push_back({{"deployment", team.deployment}, {"tasks", std::move(tasks)}});
  }
  return {{"time", now}, {"relay", relay_id}, {"teams", std::move(list)}};
}

}  // namespace muster::agent
