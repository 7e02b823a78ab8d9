#include "relay/relay_queue.h"

#include <SQLiteCpp/Statement.h>

#include <set>

#include "muster/sqlite_store.h"
#include "muster/wire/deliveries.h"

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

Result<std::map<std::string, std::string>> RelayQueue::TeamKeys() {
  auto teams = Site();
  if (!teams.ok()) return teams.status();
  std::map<std::string, std::string> keys;
  for (const SiteTeam& team : *teams) {
    for (const auto& [agent, key] : team.agents) keys[key] = agent;
  }
  return keys;
}

Result<std::vector<SiteTeam>> RelayQueue::Site() {
  std::vector<SiteTeam> teams;
  Status status = Guarded([&]() -> Status {
    // What is known on site: each task's newest status from its member's records the
    // relay holds, and this laptop's own tasks as its member left them.
    std::map<std::string, std::string> known;
    SQLite::Statement statuses(
        db_,
        "SELECT task, state FROM relayed r WHERE kind='status' AND state IS NOT NULL AND "
        "seq=(SELECT MAX(seq) FROM relayed WHERE agent=r.agent AND task=r.task AND "
        "kind='status' AND state IS NOT NULL)");
    while (statuses.executeStep()) {
      known[statuses.getColumn(0).getString()] = statuses.getColumn(1).getString();
    }
    SQLite::Statement own(db_, "SELECT id, local_state FROM tasks WHERE local_state<>''");
    while (own.executeStep()) known[own.getColumn(0).getString()] = own.getColumn(1).getString();
    std::map<std::string, std::int64_t> findings;
    SQLite::Statement found(db_,
                            "SELECT task, COUNT(*) FROM relayed WHERE kind='finding' GROUP BY task "
                            "UNION ALL SELECT task, COUNT(*) FROM outbox WHERE kind='finding' "
                            "GROUP BY task");
    while (found.executeStep()) {
      findings[found.getColumn(0).getString()] += found.getColumn(1).getInt64();
    }
    SQLite::Statement views(db_, "SELECT body FROM team ORDER BY deployment");
    while (views.executeStep()) {
      auto view =
          wire::TeamView::Decode(json::parse(views.getColumn(0).getString(), nullptr, false));
      if (!view.ok()) continue;
      SiteTeam team;
      team.deployment = view->deployment;
      team.agents = view->agents;
      for (const wire::TeamTask& task : view->tasks) {
        if (task.task.empty()) continue;
        SiteTask entry{task.task, task.state, false, 0};
        auto here = known.find(task.task);
        const bool decided = task.state == "cancelled" || task.state == "reassigned";
        if (here != known.end() && !decided && here->second != task.state) {
          entry.state = here->second;
          entry.on_site = true;
        }
        if (auto count = findings.find(task.task); count != findings.end()) {
          entry.findings = count->second;
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
