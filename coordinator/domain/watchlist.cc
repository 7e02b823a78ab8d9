#include "domain/watchlist.h"

#include <SQLiteCpp/Statement.h>

#include <algorithm>

#include "muster/clock.h"
#include "muster/sqlite_store.h"
#include "muster/text_limits.h"
#include "muster/wire/deliveries.h"

namespace muster::hq {
namespace {

void AddUnique(std::vector<std::string>* list, const std::string& value) {
  if (list && std::find(list->begin(), list->end(), value) == list->end()) list->push_back(value);
}

// An entry as HQ keeps it: the delivery's form, checked by its decoder.
Result<watchlist::Entry> Checked(const watchlist::Entry& entry) {
  Result<watchlist::Entry> back = wire::DecodeWatchlistEntry(wire::EncodeWatchlistEntry(entry));
  if (!back.ok()) return Status::Error(ErrorCode::kInvalidArgument, back.status().message());
  return back;
}

}  // namespace

std::vector<std::string> Watchlist::AgentsOf(const std::string& incident_id) {
  auto query = statements_.Get(
      "SELECT DISTINCT a.member_id FROM assignments a JOIN deployments d ON "
      "d.id=a.deployment_id WHERE d.incident_id=? AND d.status='active' ORDER BY a.member_id");
  query->bind(1, incident_id);
  std::vector<std::string> members;
  while (query->executeStep()) members.push_back(query->getColumn(0).getString());
  std::vector<std::string> agents;
  for (const std::string& member : members) {
    for (const std::string& agent : deliveries_.ActiveAgentsOf(member)) agents.push_back(agent);
  }
  return agents;
}

std::vector<std::string> Watchlist::IncidentsOf(const std::string& notice_id) {
  auto query = statements_.Get(
      "SELECT incident_id FROM watchlist_assignments WHERE notice_id=? ORDER BY incident_id");
  query->bind(1, notice_id);
  std::vector<std::string> incidents;
  while (query->executeStep()) incidents.push_back(query->getColumn(0).getString());
  return incidents;
}

Status Watchlist::Send(const std::string& incident_id, const wire::WatchlistDelivery& delivery,
                       std::vector<std::string>* agents_to_notify) {
  for (const std::string& agent : AgentsOf(incident_id)) {
    MUSTER_RETURN_IF_ERROR(deliveries_.Queue(agent, delivery));
    AddUnique(agents_to_notify, agent);
  }
  return Status::Ok();
}

std::vector<watchlist::Entry> Watchlist::EntriesOf(const std::string& incident_id) {
  auto query = statements_.Get(
      "SELECT w.entry FROM watchlist w JOIN watchlist_assignments a ON a.notice_id=w.notice_id "
      "WHERE a.incident_id=? ORDER BY w.notice_id");
  query->bind(1, incident_id);
  std::vector<watchlist::Entry> entries;
  while (query->executeStep()) {
    Result<watchlist::Entry> entry =
        wire::DecodeWatchlistEntry(json::parse(query->getColumn(0).getString(), nullptr, false));
    if (entry.ok()) entries.push_back(std::move(*entry));
  }
  return entries;
}

Status Watchlist::QueueWhole(const std::string& agent_id, const std::string& incident_id,
                             bool carry) {
  wire::WatchlistDelivery delivery{incident_id, true, {}, {}};
  if (carry) {
    delivery.entries = EntriesOf(incident_id);
    if (delivery.entries.empty()) return Status::Ok();
  }
  return deliveries_.Queue(agent_id, delivery);
}

Result<json> Watchlist::Set(const std::vector<watchlist::Entry>& entries, const Actor& actor,
                            std::vector<std::string>* agents_to_notify) {
  std::vector<watchlist::Entry> checked;
  for (const watchlist::Entry& entry : entries) {
    Result<watchlist::Entry> good = Checked(entry);
    if (!good.ok()) return good.status();
    checked.push_back(std::move(*good));
  }
  if (checked.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument, "no watchlist entries given");
  }
  int added = 0, changed = 0;
  Status status = InTransaction(*db_, [&]() -> Status {
    const Millis now = clock_.Now();
    for (const watchlist::Entry& entry : checked) {
      auto known = statements_.Get("SELECT 1 FROM watchlist WHERE notice_id=?");
      known->bind(1, entry.notice_id);
      const bool exists = known->executeStep();
      auto upsert = statements_.Get(
          "INSERT INTO watchlist(notice_id, entry, added_at, added_by, updated_at, updated_by) "
          "VALUES(?1,?2,?3,?4,?3,?4) ON CONFLICT(notice_id) DO UPDATE SET "
          "entry=excluded.entry, updated_at=excluded.updated_at, updated_by=excluded.updated_by");
      upsert->bind(1, entry.notice_id);
      upsert->bind(2, wire::EncodeWatchlistEntry(entry).dump());
      upsert->bind(3, static_cast<std::int64_t>(now));
      upsert->bind(4, actor.name);
      upsert->exec();
      (exists ? changed : added) += 1;
      MUSTER_RETURN_IF_ERROR(audit_.Record({actor, exists ? "watchlist.change" : "watchlist.add",
                                            entry.notice_id,
                                            {{"type", entry.notice_type}}}));
      for (const std::string& incident : IncidentsOf(entry.notice_id)) {
        MUSTER_RETURN_IF_ERROR(
            Send(incident, wire::WatchlistDelivery{incident, false, {entry}, {}}, agents_to_notify));
      }
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return json{{"added", added}, {"changed", changed}};
}

Result<json> Watchlist::Remove(const std::string& notice_id, const Actor& actor,
                               std::vector<std::string>* agents_to_notify) {
  json removed;
  Status status = InTransaction(*db_, [&]() -> Status {
    const std::vector<std::string> incidents = IncidentsOf(notice_id);
    auto erase = statements_.Get("DELETE FROM watchlist WHERE notice_id=?");
    erase->bind(1, notice_id);
    if (erase->exec() == 0) {
      return Status::Error(ErrorCode::kNotFound, "no watchlist entry " + notice_id +
                                                     "; list them with: muster watchlist list");
    }
    for (const std::string& incident : incidents) {
      MUSTER_RETURN_IF_ERROR(
          Send(incident, wire::WatchlistDelivery{incident, false, {}, {notice_id}}, agents_to_notify));
    }
    MUSTER_RETURN_IF_ERROR(
        audit_.Record({actor, "watchlist.remove", notice_id, {{"incidents", incidents}}}));
    removed = {{"notice", notice_id}, {"incidents", incidents}};
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return removed;
}

Result<json> Watchlist::List() {
  json list = json::array();
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT notice_id, entry, added_at, added_by, updated_at, updated_by "
                            "FROM watchlist ORDER BY notice_id");
    while (query.executeStep()) {
      json item = json::parse(query.getColumn(1).getString(), nullptr, false);
      if (!item.is_object()) item = json::object();
      item["added_at"] = query.getColumn(2).getInt64();
      item["added_by"] = query.getColumn(3).getString();
      item["updated_at"] = query.getColumn(4).getInt64();
      item["updated_by"] = query.getColumn(5).getString();
      item["incidents"] = IncidentsOf(query.getColumn(0).getString());
      list.push_back(std::move(item));
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

Result<json> Watchlist::Assign(const std::string& incident_id,
                               const std::vector<std::string>& notices, const std::string& region,
                               const Actor& actor, std::vector<std::string>* agents_to_notify) {
  if (notices.empty() && region.empty()) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "name the notices to assign, or a region (--region CC)");
  }
  json assigned = json::array();
  Status status = InTransaction(*db_, [&]() -> Status {
    auto incident = statements_.Get("SELECT 1 FROM incidents WHERE id=?");
    incident->bind(1, incident_id);
    if (!incident->executeStep()) {
      return Status::Error(ErrorCode::kNotFound, "no incident " + incident_id);
    }
    std::vector<std::string> chosen = notices;
    for (const std::string& notice : notices) {
      auto known = statements_.Get("SELECT 1 FROM watchlist WHERE notice_id=?");
      known->bind(1, notice);
      if (!known->executeStep()) {
        return Status::Error(ErrorCode::kNotFound, "no watchlist entry " + notice);
      }
    }
    if (!region.empty()) {
      auto in_region = statements_.Get(
          "SELECT w.notice_id FROM watchlist w, json_each(w.entry, '$.regions') r "
          "WHERE upper(r.value)=upper(?) ORDER BY w.notice_id");
      in_region->bind(1, region);
      while (in_region->executeStep()) chosen.push_back(in_region->getColumn(0).getString());
    }
    std::vector<watchlist::Entry> sent;
    for (const std::string& notice : chosen) {
      auto insert = statements_.Get(
          "INSERT OR IGNORE INTO watchlist_assignments(incident_id, notice_id, assigned_at, "
          "assigned_by) VALUES(?,?,?,?)");
      insert->bind(1, incident_id);
      insert->bind(2, notice);
      insert->bind(3, static_cast<std::int64_t>(clock_.Now()));
      insert->bind(4, actor.name);
      if (insert->exec() > 0) assigned.push_back(notice);
    }
    if (assigned.empty()) return Status::Ok();
    for (const watchlist::Entry& entry : EntriesOf(incident_id)) {
      if (std::find(assigned.begin(), assigned.end(), entry.notice_id) != assigned.end()) {
        sent.push_back(entry);
      }
    }
    MUSTER_RETURN_IF_ERROR(Send(incident_id, wire::WatchlistDelivery{incident_id, false, sent, {}},
                                agents_to_notify));
    return audit_.Record({actor, "watchlist.assign", incident_id,
                          {{"notices", assigned}, {"region", region}}});
  });
  if (!status.ok()) return status;
  return json{{"incident", incident_id}, {"assigned", assigned}};
}

Result<json> Watchlist::Unassign(const std::string& incident_id,
                                 const std::vector<std::string>& notices, const Actor& actor,
                                 std::vector<std::string>* agents_to_notify) {
  json unassigned = json::array();
  Status status = InTransaction(*db_, [&]() -> Status {
    for (const std::string& notice : notices) {
      auto erase = statements_.Get(
          "DELETE FROM watchlist_assignments WHERE incident_id=? AND notice_id=?");
      erase->bind(1, incident_id);
      erase->bind(2, notice);
      if (erase->exec() > 0) unassigned.push_back(notice);
    }
    if (unassigned.empty()) {
      return Status::Error(ErrorCode::kNotFound,
                           "incident " + incident_id + " carries none of these notices");
    }
    MUSTER_RETURN_IF_ERROR(Send(
        incident_id,
        wire::WatchlistDelivery{incident_id, false, {}, unassigned.get<std::vector<std::string>>()},
        agents_to_notify));
    return audit_.Record({actor, "watchlist.unassign", incident_id, {{"notices", unassigned}}});
  });
  if (!status.ok()) return status;
  return json{{"incident", incident_id}, {"unassigned", unassigned}};
}

Status Watchlist::RecordHit(const Hit& hit) {
  auto insert = statements_.Get(
      "INSERT OR IGNORE INTO watchlist_hits(incident_id, task_id, member_id, notice_id, person, "
      "score_milli, document, explanation, checked_by, agent_id, seq, recorded_at) "
      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
  insert->bind(1, hit.incident);
  insert->bind(2, hit.task);
  insert->bind(3, hit.member);
  insert->bind(4, hit.notice);
  insert->bind(5, hit.person);
  insert->bind(6, static_cast<std::int64_t>(hit.score_milli));
  insert->bind(7, hit.document ? 1 : 0);
  insert->bind(8, hit.explanation);
  insert->bind(9, hit.by_laptop ? "laptop" : "hq");
  insert->bind(10, hit.agent);
  insert->bind(11, static_cast<std::int64_t>(hit.seq));
  insert->bind(12, static_cast<std::int64_t>(hit.at));
  insert->exec();
  const std::string message =
      hit.member + " met a person of interest: '" + limits::Cut(hit.person, limits::kShort) +
      "' matches notice " + limits::Cut(hit.notice, limits::kShort) +
      (hit.document ? " by its document number" : " by name") + " (score " +
      std::to_string(hit.score_milli / 10) + " %, checked " +
      (hit.by_laptop ? "on the laptop" : "at HQ") + ", recorded " + FormatTimestamp(hit.at) +
      "); why: muster watchlist hits " + hit.incident;
  return alerts_.Raise(hit.incident, hit.deployment, "watchlist", "critical", message, hit.agent,
                       "watchlist:" + hit.task + ":" + hit.notice + ":" + hit.person);
}

Status Watchlist::CheckFinding(const Hit& context, const playbook::Step& step, const json& values) {
  std::optional<watchlist::Matcher> matcher;
  for (const playbook::FieldSpec& field : step.findings) {
    if (field.type != playbook::FieldType::kPerson) continue;
    const auto value = values.find(field.id);
    if (value == values.end() || !value->is_string()) continue;
    Result<watchlist::Person> person = watchlist::Person::Parse(value->get<std::string>());
    if (!person.ok()) continue;  // an empty optional person
    if (!matcher) {
      std::vector<watchlist::Entry> entries = EntriesOf(context.incident);
      if (entries.empty()) return Status::Ok();
      matcher.emplace(std::move(entries));
    }
    for (const watchlist::Match& match : matcher->Check(*person)) {
      if (!match.hit) continue;
      Hit hit = context;
      hit.notice = matcher->entries()[match.entry].notice_id;
      hit.score_milli = static_cast<std::uint64_t>(match.score * 1000 + 0.5);
      hit.document = match.document;
      hit.person = value->get<std::string>();
      hit.explanation = match.explanation;
      hit.by_laptop = false;
      MUSTER_RETURN_IF_ERROR(RecordHit(hit));
    }
  }
  return Status::Ok();
}

Result<json> Watchlist::Hits(const std::string& incident_id) {
  json list = json::array();
  Status status = Guarded([&]() -> Status {
    SQLite::Statement exists(*db_, "SELECT 1 FROM incidents WHERE id=?");
    exists.bind(1, incident_id);
    if (!exists.executeStep()) {
      return Status::Error(ErrorCode::kNotFound, "no incident '" + incident_id + "'");
    }
    SQLite::Statement query(*db_,
                            "SELECT id, task_id, member_id, notice_id, person, score_milli, "
                            "document, explanation, checked_by, recorded_at FROM watchlist_hits "
                            "WHERE incident_id=? ORDER BY id DESC");
    query.bind(1, incident_id);
    while (query.executeStep()) {
      list.push_back({{"id", query.getColumn(0).getInt64()},
                      {"task", query.getColumn(1).getString()},
                      {"member", query.getColumn(2).getString()},
                      {"notice", query.getColumn(3).getString()},
                      {"person", query.getColumn(4).getString()},
                      {"score_milli", query.getColumn(5).getInt64()},
                      {"document", query.getColumn(6).getInt() != 0},
                      {"explanation", query.getColumn(7).getString()},
                      {"checked_by", query.getColumn(8).getString()},
                      {"recorded_at", query.getColumn(9).getInt64()}});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return list;
}

}  // namespace muster::hq
