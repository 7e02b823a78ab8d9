#include "views/after_action.h"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <map>
#include <optional>

#include "muster/sqlite_store.h"
#include "store/lookups.h"

namespace muster::hq {
namespace {

json OptionalTime(const std::optional<Millis>& at) { return at ? json(*at) : json(); }

// The median of |values| (the lower middle of an even count); null when empty.
json Median(std::vector<Millis> values) {
  if (values.empty()) return json();
  std::sort(values.begin(), values.end());
  return values[(values.size() - 1) / 2];
}

// How a task ended, for the step it belongs to.
enum class Ending {
  kOpen,        // not finished
  kCompleted,   // its member completed it
  kExcused,     // an officer cancelled it while the deployment ran: it owes nothing
  kReassigned,  // handed to another member, whose task carries on
  kUnfinished,  // cancelled when its deployment closed, undone
};

struct TaskTimes {
  std::optional<Millis> ready_at;
  std::optional<Millis> due_at;
  Ending ending = Ending::kOpen;
  Millis ended_at = 0;  // when it ended, unless kOpen
  int blocked = 0;
};

}  // namespace

Millis AfterAction::EndOf(const std::string& incident_id, const json& run) {
  if (run["ended_at"].is_number()) return run["ended_at"].get<Millis>();
  SQLite::Statement query(*db_,
                          "SELECT COUNT(*), SUM(closed_at IS NULL), MAX(closed_at) FROM "
                          "deployments WHERE incident_id=?");
  query.bind(1, incident_id);
  query.executeStep();
  const bool all_closed = query.getColumn(0).getInt() > 0 && query.getColumn(1).getInt() == 0;
  return all_closed ? std::min<Millis>(query.getColumn(2).getInt64(), clock_.Now())
                    : clock_.Now();
}

json AfterAction::Steps(const std::string& incident_id, Millis end) {
  // Each task's times (the first occurrence of a recurring step): ready, due, how it
  // ended and when (a completion at the record's time, from the timeline), and how often
  // it was blocked.
  SQLite::Statement tasks(
      *db_,
      "SELECT t.id, t.deployment_id, t.step_id, t.ready_at, t.due_at, t.state, t.updated_at, "
      "d.playbook_hash, "
      "(SELECT MIN(at) FROM timeline l WHERE l.incident_id=d.incident_id AND "
      " l.kind='completed' AND l.text='task ' || t.id), "
      "(SELECT COUNT(*) FROM timeline l WHERE l.incident_id=d.incident_id AND "
      " l.kind='blocked' AND substr(l.text, 1, length(t.id) + 2)=t.id || ': '), "
      "d.closed_at, d.status "
      "FROM tasks t JOIN deployments d ON d.id=t.deployment_id "
      "WHERE d.incident_id=? AND t.occurrence=1 ORDER BY t.deployment_id, t.rowid");
  tasks.bind(1, incident_id);
  // (deployment, step) -> its tasks, in the order the steps first appear.
  std::vector<std::pair<std::int64_t, std::string>> order;
  std::map<std::pair<std::int64_t, std::string>, std::vector<TaskTimes>> steps;
  std::map<std::int64_t, std::string> playbook_of;
  std::map<std::int64_t, bool> running;
  while (tasks.executeStep()) {
    const std::pair<std::int64_t, std::string> key{tasks.getColumn(1).getInt64(),
                                                   tasks.getColumn(2).getString()};
    if (!steps.count(key)) order.push_back(key);
    playbook_of[key.first] = tasks.getColumn(7).getString();
    running[key.first] = tasks.getColumn(11).getString() == "active";
    TaskTimes times;
    if (!tasks.getColumn(3).isNull()) times.ready_at = tasks.getColumn(3).getInt64();
    if (!tasks.getColumn(4).isNull()) times.due_at = tasks.getColumn(4).getInt64();
    const std::string state = tasks.getColumn(5).getString();
    const Millis updated = tasks.getColumn(6).getInt64();
    if (!tasks.getColumn(8).isNull()) {
      times.ending = Ending::kCompleted;
      times.ended_at = tasks.getColumn(8).getInt64();
    } else if (state == "completed") {  // closed for it (completion: any)
      times.ending = Ending::kCompleted;
      times.ended_at = updated;
    } else if (state == "reassigned") {
      times.ending = Ending::kReassigned;
      times.ended_at = updated;
    } else if (state == "cancelled") {
      const bool at_close = !tasks.getColumn(10).isNull() && updated >= tasks.getColumn(10).getInt64();
      times.ending = at_close ? Ending::kUnfinished : Ending::kExcused;
      times.ended_at = updated;
    }
    times.blocked = tasks.getColumn(9).getInt();
    steps[key].push_back(times);
  }
  json list = json::array();
  for (const auto& key : order) {
    const std::vector<TaskTimes>& times = steps[key];
    auto book = playbooks_.ByHash(playbook_of[key.first]);
    const playbook::Step* step = book.ok() ? (*book)->FindStep(key.second) : nullptr;
    const bool any = step && step->completion == playbook::Completion::kAny;
    std::optional<Millis> ready;
    Millis done = 0;  // the step's completion, when |finished|
    int completed = 0, owing = 0, blocked = 0;
    for (const TaskTimes& task : times) {
      if (task.ready_at) ready = ready ? std::min(*ready, *task.ready_at) : *task.ready_at;
      blocked += task.blocked;
      // A reassigned task counts for when the step was ready and for lateness, not for
      // whether the step is done: its successor owes the work.
      if (task.ending == Ending::kExcused || task.ending == Ending::kReassigned) continue;
      ++owing;
      if (task.ending != Ending::kCompleted) continue;
      done = completed == 0 ? task.ended_at
                            : (any ? std::min(done, task.ended_at) : std::max(done, task.ended_at));
      ++completed;
    }
    const bool finished = completed > 0 && (any || completed == owing);
    bool overdue = false;
    Millis late = 0;
    for (const TaskTimes& task : times) {
      if (!task.due_at || task.ending == Ending::kExcused) continue;
      // A step one task completes is on time when its first completion is.
      const Millis ended = any && finished ? done
                           : task.ending == Ending::kOpen ? end
                                                          : task.ended_at;
      if (ended > *task.due_at) {
        overdue = true;
        late = std::max(late, ended - *task.due_at);
      }
    }
    const char* state = finished          ? "done"
                        : owing == 0      ? "cancelled"
                        : !ready          ? "never ready"
                        : running[key.first] ? "open"
                                             : "unfinished";
    const Millis planned = step ? step->due_in_ms : 0;
    list.push_back({{"deployment", key.first},
                    {"step", key.second},
                    {"title", step ? step->title : key.second},
                    {"tasks", times.size()},
                    {"planned_ms", planned > 0 ? json(planned) : json()},
                    {"ready_at", OptionalTime(ready)},
                    {"done_at", finished ? json(done) : json()},
                    {"actual_ms", finished && ready ? json(done - *ready) : json()},
                    {"state", state},
                    {"overdue", overdue},
                    {"late_ms", late},
                    {"blocked", blocked}});
  }
  return list;
}

json AfterAction::Alerts(const std::string& incident_id, Millis start, Millis end) {
  SQLite::Statement query(*db_,
                          "SELECT id, kind, severity, message, source, raised_at, acked_at, "
                          "acked_by FROM alerts WHERE incident_id=? AND raised_at BETWEEN ? AND ? "
                          "ORDER BY raised_at, id");
  query.bind(1, incident_id);
  query.bind(2, static_cast<std::int64_t>(start));
  query.bind(3, static_cast<std::int64_t>(end));
  json list = json::array();
  while (query.executeStep()) {
    const Millis raised = query.getColumn(5).getInt64();
    const bool acked = !query.getColumn(6).isNull();
    const Millis acked_at = acked ? query.getColumn(6).getInt64() : 0;
    list.push_back({{"id", query.getColumn(0).getInt64()},
                    {"kind", query.getColumn(1).getString()},
                    {"severity", query.getColumn(2).getString()},
                    {"message", query.getColumn(3).getString()},
                    {"source", query.getColumn(4).getString()},
                    {"raised_at", raised},
                    {"acked_at", acked ? json(acked_at) : json()},
                    {"acked_by", acked ? json(query.getColumn(7).getString()) : json()},
                    {"ack_ms", acked ? json(acked_at - raised) : json()}});
  }
  return list;
}

json AfterAction::CheckinGaps(const std::string& incident_id, Millis start, Millis end) {
  // Each member is judged while they served in the exercise: from their first deployment
  // in it (or the start) to the close of their last (or the end).
  SQLite::Statement members(
      *db_,
      "SELECT m.id, m.checkin_interval_ms, MIN(d.created_at), "
      "MAX(COALESCE(d.closed_at, ?2)) FROM assignments a "
      "JOIN deployments d ON d.id=a.deployment_id JOIN members m ON m.id=a.member_id "
      "WHERE d.incident_id=?1 GROUP BY m.id ORDER BY m.id");
  members.bind(1, incident_id);
  members.bind(2, static_cast<std::int64_t>(end));
  SQLite::Statement heard(*db_,
                          "SELECT i.received_at FROM inbound i JOIN agents g ON g.id=i.agent_id "
                          "WHERE g.member_id=? AND i.received_at BETWEEN ? AND ? "
                          "ORDER BY i.received_at");
  json gaps = json::array();
  while (members.executeStep()) {
    const std::string member = members.getColumn(0).getString();
    const Millis interval = members.getColumn(1).getInt64();
    const Millis from = std::max<Millis>(start, members.getColumn(2).getInt64());
    const Millis until = std::min<Millis>(end, members.getColumn(3).getInt64());
    if (until <= from) continue;
    heard.bind(1, member);
    heard.bind(2, static_cast<std::int64_t>(from));
    heard.bind(3, static_cast<std::int64_t>(until));
    Millis last = from;
    auto gap_until = [&](Millis at) {
      if (at - last > interval) {
        gaps.push_back({{"member", member},
                        {"interval_ms", interval},
                        {"from", last},
                        {"to", at},
                        {"gap_ms", at - last}});
      }
      last = at;
    };
    while (heard.executeStep()) gap_until(heard.getColumn(0).getInt64());
    heard.reset();
    gap_until(until);
  }
  return gaps;
}

Result<json> AfterAction::Report(const std::string& incident_id) {
  Result<json> run = exercises_.Run(incident_id);
  if (!run.ok()) return run;
  json report;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement incident(*db_, "SELECT title, status FROM incidents WHERE id=?");
    incident.bind(1, incident_id);
    if (!incident.executeStep()) return RequireIncident(*db_, incident_id);
    const Millis start = (*run)["started_at"];
    const Millis end = std::max(start, EndOf(incident_id, *run));
    json steps = Steps(incident_id, end);
    json alerts = Alerts(incident_id, start, end);
    json gaps = CheckinGaps(incident_id, start, end);
    json injects = (*run)["injects"];
    json conflicts = json::array();
    std::vector<Millis> acks;
    int acked = 0;
    for (const json& alert : alerts) {
      if (alert["kind"] == "conflict") conflicts.push_back(alert);
      if (alert["ack_ms"].is_number()) {
        ++acked;
        acks.push_back(alert["ack_ms"].get<Millis>());
      }
    }
    int done = 0, overdue = 0, blocked = 0, fired = 0;
    for (const json& step : steps) {
      done += step["state"] == "done";
      overdue += step["overdue"].get<bool>();
      blocked += step["blocked"].get<int>() > 0;
    }
    for (json& inject : injects) {
      const bool was_fired = inject["fired_at"].is_number();
      fired += was_fired;
      inject["late_ms"] = was_fired ? json(inject["fired_at"].get<Millis>() -
                                           inject["due_at"].get<Millis>())
                                    : json();
    }
    Millis longest_gap = 0;
    for (const json& gap : gaps) longest_gap = std::max(longest_gap, gap["gap_ms"].get<Millis>());
    report = {{"incident", {{"id", incident_id},
                            {"title", incident.getColumn(0).getString()},
                            {"status", incident.getColumn(1).getString()}}},
              {"exercise", true},
              {"name", (*run)["name"]},
              {"started_at", start},
              {"ended_at", end},
              {"generated_at", clock_.Now()},
              {"summary",
               {{"duration_ms", end - start},
                {"steps", steps.size()},
                {"steps_done", done},
                {"steps_overdue", overdue},
                {"steps_blocked", blocked},
                {"alerts", alerts.size()},
                {"alerts_acked", acked},
                {"ack_median_ms", Median(acks)},
                {"ack_max_ms", acks.empty() ? json() : json(*std::max_element(acks.begin(), acks.end()))},
                {"checkin_gaps", gaps.size()},
                {"longest_gap_ms", longest_gap},
                {"conflicts", conflicts.size()},
                {"injects", injects.size()},
                {"injects_fired", fired}}},
              {"steps", std::move(steps)},
              {"alerts", std::move(alerts)},
              {"checkin_gaps", std::move(gaps)},
              {"conflicts", std::move(conflicts)},
              {"injects", std::move(injects)}};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return report;
}

}  // namespace muster::hq
