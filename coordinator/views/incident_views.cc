#include "views/incident_views.h"

#include "muster/clock_offset.h"

#include <SQLiteCpp/Statement.h>

#include "muster/sqlite_store.h"
#include "store/columns.h"

namespace muster::hq {

namespace {

// A finding's marking: what HQ stored (its step's raised by the member's), or for a
// finding stored before markings existed, its step's.
std::string FindingMarking(const playbook::Playbook* book, const playbook::Step* step,
                           const std::string& stored) {
  if (!stored.empty() || book == nullptr) return stored;
  return playbook::ToString(step ? book->MarkingOf(*step) : book->marking);
}

// Every task of a deployment as the board shows it (titles from the pinned playbook).
json BoardTasks(SQLite::Database& db, std::int64_t deployment_id, const playbook::Playbook* book,
                Millis now) {
  json list = json::array();
  SQLite::Statement tasks(db,
                          "SELECT t.id, t.step_id, t.member_id, t.state, t.dormant, t.reason, "
                          "t.due_at, t.updated_at, (SELECT COUNT(*) FROM findings f WHERE "
                          "f.task_id=t.id), (SELECT COUNT(*) FROM checklist_ticks c WHERE "
                          "c.task_id=t.id AND c.checked=1) FROM tasks t WHERE "
                          "t.deployment_id=? ORDER BY t.rowid");
  tasks.bind(1, deployment_id);
  while (tasks.executeStep()) {
    const std::string step_id = tasks.getColumn(1).getString();
    const playbook::Step* step = book ? book->FindStep(step_id) : nullptr;
    const std::string state = tasks.getColumn(3).getString();
    const json due = NullableInt(tasks.getColumn(6));
    const bool open = state != "completed" && state != "cancelled" && state != "reassigned";
    list.push_back({{"id", tasks.getColumn(0).getString()},
                    {"step", step_id},
                    {"title", step ? step->title : step_id},
                    {"role", step ? step->role : ""},
                    {"phase", step ? step->phase : ""},
                    {"member", tasks.getColumn(2).getString()},
                    {"state", state},
                    {"dormant", tasks.getColumn(4).getInt() != 0},
                    {"reason", tasks.getColumn(5).getString()},
                    {"due_at", due},
                    {"overdue", open && due.is_number() && due.get<Millis>() < now},
                    {"updated_at", tasks.getColumn(7).getInt64()},
                    {"findings", tasks.getColumn(8).getInt()},
                    {"checklist_checked", tasks.getColumn(9).getInt()},
                    {"checklist_items", step ? step->checklist.size() : 0},
                    {"waits_on", json::array()}});
  }
  // What a waiting task waits on: the tasks of the steps it depends on that are not done.
  for (json& task : list) {
    const playbook::Step* step = book ? book->FindStep(task["step"]) : nullptr;
    if (!step || task["state"] != "waiting") continue;
    for (const std::string& needed : step->depends_on) {
      bool any = false;
      for (const json& other : list) {
        if (other["step"] != needed) continue;
        any = true;
        if (other["state"] == "completed" || other["state"] == "cancelled" ||
            other["state"] == "reassigned") {
          continue;
        }
        task["waits_on"].push_back({{"task", other["id"]},
                                    {"title", other["title"]},
                                    {"member", other["member"]},
                                    {"state", other["state"]}});
      }
      if (!any && playbook::WaitsForEmptyRole(*book, needed)) {
        // An empty role that says `when_empty: wait`: the task waits for HQ to fill it.
        const playbook::Step* held = book->FindStep(needed);
        task["waits_on"].push_back({{"task", ""},
                                    {"title", held->title},
                                    {"member", ""},
                                    {"state", "unfilled (no one in role " + held->role + ")"}});
      }
    }
  }
  return list;
}

// How a member's laptop clock stands against HQ's, as its agent last reported: null before
// the first report.
json ClockOf(const SQLite::Column& offset, const SQLite::Column& rtt) {
  if (offset.isNull()) return nullptr;
  return {{"offset_ms", offset.getInt64()},
          {"rtt_ms", rtt.getInt64()},
          {"skew", DescribeSkew(offset.getInt64())}};
}

// The member's last check-in position ({place, recorded_at}), or null.
json LastPosition(SQLite::Database& db, const std::string& member_id) {
  SQLite::Statement query(db,
                          "SELECT place, recorded_at FROM positions WHERE member_id=? "
                          "ORDER BY recorded_at DESC, seq DESC LIMIT 1");
  query.bind(1, member_id);
  if (!query.executeStep()) return nullptr;
  return {{"place", query.getColumn(0).getString()},
          {"recorded_at", query.getColumn(1).getInt64()}};
}

// The incident's members with their last contact, the time of the newest record HQ holds
// from them (in HQ's time) and the ages of both, their last check-in position and their
// laptop's clock. A member's newest record is the one with the highest seq of each of
// their agents: the laptop numbers records as it makes them.
json BoardMembers(SQLite::Database& db, const std::string& incident_id, Millis now) {
  json list = json::array();
  SQLite::Statement members(
      db,
      "SELECT DISTINCT m.id, m.name, m.checkin_interval_ms, (SELECT MAX(g.last_contact_at) FROM "
      "agents g WHERE g.member_id=m.id), c.clock_offset_ms, c.clock_rtt_ms, (SELECT "
      "MAX((SELECT MIN(i.recorded_at + COALESCE(g.clock_offset_ms, 0), i.received_at) FROM "
      "inbound i WHERE i.agent_id=g.id ORDER BY i.seq DESC LIMIT 1)) FROM agents g WHERE "
      "g.member_id=m.id) FROM members m "
      "JOIN assignments a ON a.member_id=m.id JOIN deployments d ON d.id=a.deployment_id "
      "LEFT JOIN agents c ON c.id=(SELECT g.id FROM agents g WHERE g.member_id=m.id AND "
      "g.clock_offset_ms IS NOT NULL ORDER BY g.clock_reported_at DESC LIMIT 1) "
      "WHERE d.incident_id=? ORDER BY m.id");
  members.bind(1, incident_id);
  const auto age = [now](const json& at) { return at.is_number() ? json(now - at.get<Millis>()) : json(); };
  while (members.executeStep()) {
    const std::string id = members.getColumn(0).getString();
    const json last = NullableInt(members.getColumn(3));
    const json data = NullableInt(members.getColumn(6));
    list.push_back({{"id", id},
                    {"name", members.getColumn(1).getString()},
                    {"checkin_interval_ms", members.getColumn(2).getInt64()},
                    {"last_contact_at", last},
                    {"last_contact_age_ms", age(last)},
                    {"data_at", data},
                    {"data_age_ms", age(data)},
                    {"position", LastPosition(db, id)},
                    {"clock", ClockOf(members.getColumn(4), members.getColumn(5))}});
  }
  return list;
}

json BoardAlerts(SQLite::Database& db, const std::string& incident_id) {
  json list = json::array();
  SQLite::Statement alerts(db,
                           "SELECT id, kind, severity, message, source, raised_at, acked_by, "
                           "acked_at FROM alerts WHERE incident_id=? ORDER BY id");
  alerts.bind(1, incident_id);
  while (alerts.executeStep()) {
    list.push_back({{"id", alerts.getColumn(0).getInt64()},
                    {"kind", alerts.getColumn(1).getString()},
                    {"severity", alerts.getColumn(2).getString()},
                    {"message", alerts.getColumn(3).getString()},
                    {"source", alerts.getColumn(4).getString()},
                    {"raised_at", alerts.getColumn(5).getInt64()},
                    {"acked_by", NullableText(alerts.getColumn(6))},
                    {"acked_at", NullableInt(alerts.getColumn(7))}});
  }
  return list;
}

}  // namespace

Result<json> IncidentViews::IncidentStatus(const std::string& incident_id) {
  json board;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement incident(*db_,
                               "SELECT title, severity, status, location, created_at, "
                               "exercise FROM incidents WHERE id=?");
    incident.bind(1, incident_id);
    if (!incident.executeStep()) {
      return Status::Error(ErrorCode::kNotFound, "no incident '" + incident_id +
                                                     "'; list them with: muster incident list");
    }
    const Millis now = clock_.Now();
    board = {{"incident",
              {{"id", incident_id},
               {"title", incident.getColumn(0).getString()},
               {"severity", incident.getColumn(1).getString()},
               {"status", incident.getColumn(2).getString()},
               {"location", incident.getColumn(3).getString()},
               {"exercise", incident.getColumn(5).getInt() != 0}}},
             {"exercise", incident.getColumn(5).getInt() != 0},
             {"generated_at", now},
             {"deployments", json::array()}};
    SQLite::Statement deployments(*db_,
                                  "SELECT d.id, d.status, p.id, p.version, p.hash, p.title FROM "
                                  "deployments d JOIN playbooks p ON p.hash=d.playbook_hash "
                                  "WHERE d.incident_id=? ORDER BY d.id");
    deployments.bind(1, incident_id);
    while (deployments.executeStep()) {
      const std::int64_t id = deployments.getColumn(0).getInt64();
      auto book = playbooks_.ByHash(deployments.getColumn(4).getString());
      json pinned = {{"id", deployments.getColumn(2).getString()},
                     {"version", deployments.getColumn(3).getString()},
                     {"hash", deployments.getColumn(4).getString()},
                     {"title", deployments.getColumn(5).getString()},
                     {"marking", book.ok() ? playbook::ToString((*book)->marking) : ""}};
      // Who signed it, and whether it was revoked while the deployment runs.
      if (auto governance = playbooks_.Governance(pinned["hash"]); governance.ok()) {
        pinned.update(*governance);
      }
      board["deployments"].push_back(
          {{"id", id},
           {"status", deployments.getColumn(1).getString()},
           {"playbook", std::move(pinned)},
           {"tasks", BoardTasks(*db_, id, book.ok() ? book->get() : nullptr, now)}});
    }
    board["members"] = BoardMembers(*db_, incident_id, now);
    board["alerts"] = BoardAlerts(*db_, incident_id);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return board;
}

Result<json> IncidentViews::IncidentFindings(const std::string& incident_id) {
  json list = json::array();
  Status status = Guarded([&]() -> Status {
    SQLite::Statement exists(*db_, "SELECT 1 FROM incidents WHERE id=?");
    exists.bind(1, incident_id);
    if (!exists.executeStep()) {
      return Status::Error(ErrorCode::kNotFound, "no incident '" + incident_id + "'");
    }
    SQLite::Statement query(
        *db_,
        "SELECT f.task_id, t.step_id, t.member_id, f.agent_id, f.seq, f.recorded_at, "
        "f.received_at, f.fields, f.confirmed, d.playbook_hash, f.attachments, f.marking, "
        "COALESCE(f.agent_at, f.recorded_at) "
        "FROM findings f "
        "JOIN tasks t ON "
        "t.id=f.task_id JOIN deployments d ON d.id=t.deployment_id WHERE d.incident_id=? "
        "ORDER BY f.recorded_at, f.agent_id, f.seq");
    query.bind(1, incident_id);
    while (query.executeStep()) {
      const std::string step_id = query.getColumn(1).getString();
      json fields = json::parse(query.getColumn(7).getString(), nullptr, false);
      json units = json::object();
      auto book = playbooks_.ByHash(query.getColumn(9).getString());
      const playbook::Step* step = book.ok() ? (*book)->FindStep(step_id) : nullptr;
      if (step && fields.is_object()) {
        for (const auto& spec : step->findings) {
          if (fields.contains(spec.id) && !spec.unit.empty()) units[spec.id] = spec.unit;
        }
      }
      std::vector<std::string> sha256s;
      const json declared = json::parse(query.getColumn(10).getString(), nullptr, false);
      if (declared.is_array()) {
        for (const json& sha : declared) {
          if (sha.is_string()) sha256s.push_back(sha.get<std::string>());
        }
      }
      auto attachments = attachments_.Of(query.getColumn(3).getString(), sha256s);
      if (!attachments.ok()) return attachments.status();
      list.push_back(
          {{"task", query.getColumn(0).getString()},
           {"step", step_id},
           {"member", query.getColumn(2).getString()},
           {"agent", query.getColumn(3).getString()},
           {"seq", query.getColumn(4).getInt64()},
           {"recorded_at", query.getColumn(5).getInt64()},
           {"agent_at", query.getColumn(12).getInt64()},
           {"received_at", query.getColumn(6).getInt64()},
           {"values", fields},
           {"units", units},
           {"confirmed_out_of_range", json::parse(query.getColumn(8).getString(), nullptr, false)},
           {"marking", FindingMarking(book.ok() ? book->get() : nullptr, step,
                                      query.getColumn(11).getString())},
           {"attachments", *attachments}});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

}  // namespace muster::hq
