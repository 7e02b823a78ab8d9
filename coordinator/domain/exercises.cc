#include "domain/exercises.h"

#include <SQLiteCpp/Statement.h>

#include <map>
#include <set>

#include "muster/sqlite_store.h"
#include "muster/wire/deliveries.h"
#include "store/lookups.h"

namespace muster::hq {
namespace {

using exercise::Inject;
using exercise::InjectKind;

std::string Listed(const std::set<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text.empty() ? "none" : text;
}

}  // namespace

bool Exercises::IsAssigned(const std::string& incident_id, const std::string& member_id) {
  auto query = statements_.Get(
      "SELECT 1 FROM assignments a JOIN deployments d ON d.id=a.deployment_id "
      "WHERE d.incident_id=? AND d.status='active' AND a.member_id=? LIMIT 1");
  query->bind(1, incident_id);
  query->bind(2, member_id);
  const bool found = query->executeStep();
  query->reset();
  return found;
}

std::string Exercises::RealIncidentOf(const std::string& member_id) {
  auto query = statements_.Get(
      "SELECT d.incident_id FROM assignments a JOIN deployments d ON d.id=a.deployment_id "
      "JOIN incidents i ON i.id=d.incident_id WHERE a.member_id=? AND d.status='active' "
      "AND i.exercise=0 ORDER BY d.incident_id LIMIT 1");
  query->bind(1, member_id);
  const std::string incident = query->executeStep() ? query->getColumn(0).getString() : "";
  query->reset();
  return incident;
}

std::vector<std::string> Exercises::Recipients(const std::string& incident_id,
                                               const std::string& to, bool* by_role) {
  auto query = statements_.Get(
      "SELECT DISTINCT a.member_id FROM assignments a JOIN deployments d ON "
      "d.id=a.deployment_id WHERE d.incident_id=? AND d.status='active' AND a.role=? "
      "ORDER BY a.member_id");
  query->bind(1, incident_id);
  query->bind(2, to);
  std::vector<std::string> members;
  while (query->executeStep()) members.push_back(query->getColumn(0).getString());
  query->reset();
  *by_role = !members.empty();
  if (members.empty() && IsAssigned(incident_id, to)) members.push_back(to);
  return members;
}

Result<json> Exercises::Start(const std::string& incident_id, const std::string& script_text,
                              const std::string& file, const Actor& actor) {
  Result<exercise::Script> script = exercise::ParseScript(script_text, file);
  if (!script.ok()) return script.status();
  json started;
  Status status = InTransaction(*db_, [&]() -> Status {
    MUSTER_RETURN_IF_ERROR(RequireIncident(*db_, incident_id));
    SQLite::Statement incident(*db_, "SELECT exercise, status FROM incidents WHERE id=?");
    incident.bind(1, incident_id);
    incident.executeStep();
    if (incident.getColumn(0).getInt() == 0) {
      return Status::Error(ErrorCode::kConflict,
                           incident_id + " is a real incident; injects play only in an exercise "
                                         "(muster incident create --exercise)");
    }
    if (incident.getColumn(1).getString() != "open") {
      return Status::Error(ErrorCode::kConflict, incident_id + " is closed");
    }
    SQLite::Statement playing(*db_, "SELECT name FROM exercise_runs WHERE incident_id=?");
    playing.bind(1, incident_id);
    if (playing.executeStep()) {
      return Status::Error(ErrorCode::kConflict,
                           incident_id + " already plays the script '" +
                               playing.getColumn(0).getString() +
                               "'; open another exercise incident to play another");
    }
    // Every name the script uses must reach someone now, so that a typo is caught
    // before the exercise rather than when its inject should have fired.
    std::set<std::string> roles, members;
    SQLite::Statement team(*db_,
                           "SELECT a.role, a.member_id FROM assignments a JOIN deployments d ON "
                           "d.id=a.deployment_id WHERE d.incident_id=? AND d.status='active'");
    team.bind(1, incident_id);
    while (team.executeStep()) {
      roles.insert(team.getColumn(0).getString());
      members.insert(team.getColumn(1).getString());
    }
    if (members.empty()) {
      return Status::Error(ErrorCode::kConflict,
                           incident_id + " has no active deployment; deploy the team first "
                                         "(muster deploy), then start the exercise");
    }
    for (std::size_t i = 0; i < script->injects.size(); ++i) {
      const Inject& inject = script->injects[i];
      const std::string& name = inject.kind == InjectKind::kSilence ? inject.member : inject.to;
      if (inject.kind == InjectKind::kAlert) continue;
      const bool known = inject.kind == InjectKind::kSilence
                             ? members.count(name) > 0
                             : roles.count(name) > 0 || members.count(name) > 0;
      if (known && inject.kind == InjectKind::kSilence) {
        if (const std::string real = RealIncidentOf(name); !real.empty()) {
          return Status::Error(
              ErrorCode::kInvalidArgument,
              file + ":" + std::to_string(inject.line) + ": " + name + " also serves in " + real +
                  ", a real incident: a silence would cut that work off too; silence another "
                  "member");
        }
      }
      if (!known) {
        return Status::Error(
            ErrorCode::kInvalidArgument,
            file + ":" + std::to_string(inject.line) + ": no " +
                (inject.kind == InjectKind::kSilence ? "member" : "role or member") + " '" +
                name + "' in " + incident_id + "'s deployments; roles: " + Listed(roles) +
                "; members: " + Listed(members));
      }
    }
    const Millis now = clock_.Now();
    SQLite::Statement run(*db_,
                          "INSERT INTO exercise_runs(incident_id, name, script, started_at, "
                          "started_by) VALUES(?,?,?,?,?)");
    run.bind(1, incident_id);
    run.bind(2, script->name);
    run.bind(3, script_text);
    run.bind(4, static_cast<std::int64_t>(now));
    run.bind(5, actor.name);
    run.exec();
    SQLite::Statement insert(*db_,
                             "INSERT INTO exercise_injects(incident_id, idx, at_ms, kind, summary) "
                             "VALUES(?,?,?,?,?)");
    for (std::size_t i = 0; i < script->injects.size(); ++i) {
      const Inject& inject = script->injects[i];
      insert.bind(1, incident_id);
      insert.bind(2, static_cast<int>(i));
      insert.bind(3, static_cast<std::int64_t>(inject.at_ms));
      insert.bind(4, exercise::InjectKindName(inject.kind));
      insert.bind(5, inject.Summary());
      insert.exec();
      insert.reset();
    }
    MUSTER_RETURN_IF_ERROR(timeline_.Append(
        incident_id, "exercise", actor.name,
        "script '" + script->name + "' started: " + std::to_string(script->injects.size()) +
            " injects"));
    MUSTER_RETURN_IF_ERROR(audit_.Record(
        {actor,
         "exercise.start",
         incident_id,
         {{"name", script->name}, {"injects", script->injects.size()}}}));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return Run(incident_id);
}

Result<json> Exercises::Run(const std::string& incident_id) {
  json run;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(
        *db_,
        "SELECT name, started_at, started_by, ended_at FROM exercise_runs WHERE incident_id=?");
    query.bind(1, incident_id);
    if (!query.executeStep()) {
      MUSTER_RETURN_IF_ERROR(RequireIncident(*db_, incident_id));
      return Status::Error(ErrorCode::kNotFound,
                           incident_id + " plays no exercise script; start one with: muster "
                                         "exercise start " + incident_id + " SCRIPT.yaml");
    }
    const Millis started = query.getColumn(1).getInt64();
    run = {{"incident", incident_id},
           {"exercise", true},
           {"name", query.getColumn(0).getString()},
           {"started_at", started},
           {"started_by", query.getColumn(2).getString()},
           {"ended_at",
            query.getColumn(3).isNull() ? json() : json(query.getColumn(3).getInt64())},
           {"injects", json::array()}};
    SQLite::Statement injects(*db_,
                              "SELECT idx, at_ms, kind, summary, fired_at, outcome FROM "
                              "exercise_injects WHERE incident_id=? ORDER BY idx");
    injects.bind(1, incident_id);
    while (injects.executeStep()) {
      const Millis at = injects.getColumn(1).getInt64();
      run["injects"].push_back(
          {{"index", injects.getColumn(0).getInt()},
           {"at_ms", at},
           {"due_at", started + at},
           {"kind", injects.getColumn(2).getString()},
           {"summary", injects.getColumn(3).getString()},
           {"fired_at", injects.getColumn(4).isNull() ? json() : json(injects.getColumn(4).getInt64())},
           {"outcome", injects.getColumn(5).getString()}});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return run;
}

Status Exercises::MarkEnded() {
  auto ended = statements_.Get(
      "UPDATE exercise_runs SET ended_at=MAX(started_at, COALESCE((SELECT MAX(d.closed_at) "
      "FROM deployments d WHERE d.incident_id=exercise_runs.incident_id), ?1)) "
      "WHERE ended_at IS NULL AND ((SELECT status FROM incidents i WHERE "
      "i.id=exercise_runs.incident_id)<>'open' OR NOT EXISTS(SELECT 1 FROM deployments d "
      "WHERE d.incident_id=exercise_runs.incident_id AND d.status='active'))");
  ended->bind(1, static_cast<std::int64_t>(clock_.Now()));
  ended->exec();
  ended->reset();
  return Status::Ok();
}

Result<std::vector<std::string>> Exercises::FireDue() {
  MUSTER_RETURN_IF_ERROR(Guarded([&] { return MarkEnded(); }));
  std::vector<Due> due;
  Status read = Guarded([&]() -> Status {
    auto query = statements_.Get(
        "SELECT x.incident_id, x.idx FROM exercise_injects x "
        "JOIN exercise_runs r ON r.incident_id=x.incident_id "
        "JOIN incidents i ON i.id=x.incident_id "
        "WHERE x.fired_at IS NULL AND r.ended_at IS NULL AND i.status='open' "
        "AND r.started_at + x.at_ms <= ? "
        "AND EXISTS(SELECT 1 FROM deployments d WHERE d.incident_id=x.incident_id "
        "AND d.status='active') "
        "ORDER BY r.started_at + x.at_ms, x.idx");
    query->bind(1, static_cast<std::int64_t>(clock_.Now()));
    while (query->executeStep()) {
      due.push_back({query->getColumn(0).getString(), query->getColumn(1).getInt()});
    }
    query->reset();
    return Status::Ok();
  });
  if (!read.ok()) return read;
  std::vector<std::string> agents;
  for (const Due& inject : due) {
    MUSTER_RETURN_IF_ERROR(InTransaction(*db_, [&] { return Fire(inject, agents); }));
  }
  return agents;
}

Status Exercises::Fire(const Due& due, std::vector<std::string>& agents) {
  SQLite::Statement source(*db_, "SELECT script FROM exercise_runs WHERE incident_id=?");
  source.bind(1, due.incident);
  if (!source.executeStep()) return Status::Ok();
  Result<exercise::Script> script =
      exercise::ParseScript(source.getColumn(0).getString(), due.incident);
  if (!script.ok() || due.index >= static_cast<int>(script->injects.size())) {
    return Status::Error(ErrorCode::kInternal, "the exercise script of " + due.incident +
                                                   " no longer reads; HQ's store is damaged");
  }
  const Inject& inject = script->injects[due.index];
  const Millis now = clock_.Now();
  // Claimed before it acts: an inject fires once, whoever looks.
  SQLite::Statement claim(*db_,
                          "UPDATE exercise_injects SET fired_at=? WHERE incident_id=? AND idx=? "
                          "AND fired_at IS NULL");
  claim.bind(1, static_cast<std::int64_t>(now));
  claim.bind(2, due.incident);
  claim.bind(3, due.index);
  if (claim.exec() == 0) return Status::Ok();
  const std::string source_id = "exercise:" + std::to_string(due.index + 1);
  std::string outcome;
  switch (inject.kind) {
    case InjectKind::kReading:
    case InjectKind::kMessage: {
      bool by_role = false;
      const std::vector<std::string> members = Recipients(due.incident, inject.to, &by_role);
      // A notice names the role it went to; one sent to a member names none.
      const wire::NoticeDelivery notice{0, by_role ? inject.to : "", source_id,
                                        inject.FieldText()};
      int sent = 0;
      for (const std::string& member : members) {
        for (const std::string& agent : deliveries_.ActiveAgentsOf(member)) {
          MUSTER_RETURN_IF_ERROR(deliveries_.Queue(agent, notice));
          if (std::find(agents.begin(), agents.end(), agent) == agents.end()) {
            agents.push_back(agent);
          }
          ++sent;
        }
      }
      std::string names;
      for (const std::string& member : members) names += (names.empty() ? "" : ", ") + member;
      outcome = members.empty() ? "no one holds " + inject.to + " now"
                                : "sent to " + names + " (" + std::to_string(sent) + " laptops)";
      break;
    }
    case InjectKind::kAlert:
      MUSTER_RETURN_IF_ERROR(alerts_.Raise(due.incident, std::nullopt, "exercise_inject",
                                           inject.severity, inject.text, source_id,
                                           "exercise:" + due.incident + ":" +
                                               std::to_string(due.index)));
      outcome = "alert raised";
      break;
    case InjectKind::kSilence: {
      // The member may have joined a real incident since the start: not cut off then.
      if (const std::string real = RealIncidentOf(inject.member); !real.empty()) {
        outcome = "not silenced: " + inject.member + " serves in " + real + ", a real incident";
        break;
      }
      SQLite::Statement silence(*db_,
                                "INSERT INTO exercise_silences(member_id, incident_id, from_at, "
                                "until_at) VALUES(?,?,?,?)");
      silence.bind(1, inject.member);
      silence.bind(2, due.incident);
      silence.bind(3, static_cast<std::int64_t>(now));
      silence.bind(4, static_cast<std::int64_t>(now + inject.for_ms));
      silence.exec();
      outcome = "HQ does not hear " + inject.member + " until " + FormatTimestamp(now + inject.for_ms);
      break;
    }
  }
  SQLite::Statement fired(*db_,
                          "UPDATE exercise_injects SET outcome=? WHERE incident_id=? AND idx=?");
  fired.bind(1, outcome);
  fired.bind(2, due.incident);
  fired.bind(3, due.index);
  fired.exec();
  return timeline_.Append(due.incident, "inject", source_id, inject.Summary() + ": " + outcome);
}

bool Exercises::Silenced(const std::string& member_id) {
  bool silenced = false;
  // A store that cannot be read silences no one: the message is handled as usual.
  (void)Guarded([&]() -> Status {
    auto query = statements_.Get(
        "SELECT 1 FROM exercise_silences s JOIN incidents i ON i.id=s.incident_id "
        "JOIN exercise_runs r ON r.incident_id=s.incident_id "
        "WHERE s.member_id=?1 AND s.from_at<=?2 AND s.until_at>?2 AND i.status='open' "
        "AND r.ended_at IS NULL "
        "AND EXISTS(SELECT 1 FROM deployments d WHERE d.incident_id=s.incident_id "
        "AND d.status='active') LIMIT 1");
    query->bind(1, member_id);
    query->bind(2, static_cast<std::int64_t>(clock_.Now()));
    silenced = query->executeStep();
    query->reset();
    return Status::Ok();
  });
  return silenced;
}

}  // namespace muster::hq
