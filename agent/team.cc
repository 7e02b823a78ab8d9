#include "team.h"

#include "relay/site_view.h"
#include "verbs.h"

#include <SQLiteCpp/Statement.h>

#include <iomanip>
#include <map>

#include "muster/log.h"
#include "muster/protocol.h"
#include "muster/sqlite_store.h"
#include "muster/wire/deliveries.h"

namespace muster::agent {

namespace {

// A state code of a team change (protocol::TeamStates()), or "" for one this agent does
// not know (a newer coordinator's): shown as is rather than refused.
std::string TeamStateName(std::int64_t code) {
  const auto& states = protocol::TeamStates();
  if (code < 0 || static_cast<std::size_t>(code) >= states.size()) return "";
  return states[static_cast<std::size_t>(code)];
}

}  // namespace

Status AgentStore::ApplyTeam(const json& body, Millis at) {
  auto form = wire::TeamDelivery::FormOf(body);
  if (!form.ok()) return form.status();
  if (*form == wire::TeamDelivery::Form::kSuperseded) return Status::Ok();  // a newer one follows
  if (*form == wire::TeamDelivery::Form::kView) {
    // The whole view: what HQ holds now. Deliveries are applied in order, so it replaces
    // whatever view came before, even one of a higher version (HQ was restored from a
    // backup and counts again from there).
    auto view = wire::TeamView::Decode(body);
    if (!view.ok()) return view.status();
    SQLite::Statement upsert(*db_,
                             "INSERT INTO team(deployment, hq_at, received_at, body) "
                             "VALUES(?,?,?,?) ON CONFLICT(deployment) DO UPDATE SET "
                             "hq_at=excluded.hq_at, received_at=excluded.received_at, "
                             "body=excluded.body");
    upsert.bind(1, view->deployment);
    upsert.bind(2, static_cast<std::int64_t>(view->at));
    upsert.bind(3, static_cast<std::int64_t>(clock_.Now()));
    upsert.bind(4, view->Encode().dump());
    upsert.exec();
    return Status::Ok();
  }
  // Changes to the view this agent holds: places in its task list take new states, new
  // tasks take their places.
  auto change = wire::TeamChange::Decode(body);
  if (!change.ok()) return change.status();
  SQLite::Statement current(*db_, "SELECT body FROM team WHERE deployment=?");
  current.bind(1, change->deployment);
  if (!current.executeStep()) {
    Logger("agent")->warn("event=team_change_without_view deployment={}", change->deployment);
    return Status::Ok();
  }
  auto view = wire::TeamView::Decode(json::parse(current.getColumn(0).getString(), nullptr, false));
  current.reset();
  if (!view.ok()) return Status::Ok();
  if (view->version >= change->version) return Status::Ok();  // replayed
  std::vector<wire::TeamTask>& tasks = view->tasks;
  for (const auto& set : change->set) {
    if (set.index < tasks.size()) tasks[set.index].state = TeamStateName(set.state);
  }
  for (const auto& added : change->add) {
    if (added.index > tasks.size() + 10'000) continue;  // a place no view could have
    if (tasks.size() <= added.index) tasks.resize(added.index + 1);
    tasks[added.index] = {added.task, added.step, added.member, TeamStateName(added.state)};
  }
  for (const auto& [member, name] : change->members) view->members[member] = name;
  view->version = change->version;
  view->at = at;
  SQLite::Statement update(*db_,
                           "UPDATE team SET hq_at=?, received_at=?, body=? WHERE deployment=?");
  update.bind(1, static_cast<std::int64_t>(at));
  update.bind(2, static_cast<std::int64_t>(clock_.Now()));
  update.bind(3, view->Encode().dump());
  update.bind(4, change->deployment);
  update.exec();
  return Status::Ok();
}

Result<std::vector<TeamSnapshot>> AgentStore::TeamSnapshots() {
  std::vector<TeamSnapshot> snapshots;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(*db_,
                            "SELECT deployment, hq_at, received_at, body FROM team ORDER BY "
                            "deployment");
    while (query.executeStep()) {
      json body = json::parse(query.getColumn(3).getString(), nullptr, false);
      if (!body.is_object()) continue;
      snapshots.push_back({query.getColumn(0).getInt64(), query.getColumn(1).getInt64(),
                           query.getColumn(2).getInt64(), std::move(body)});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return snapshots;
}

namespace {

struct TeamTask {
  std::string task;
  std::string step;
  std::string title;
  std::string state;
  bool on_site = false;  // the state comes from the field relay, ahead of HQ
};

struct TeamMember {
  std::string id;
  std::string name;
  bool you = false;
  std::vector<TeamTask> tasks;
};

std::string Text(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// How old the snapshot is. HQ's time (|hq_now|: the laptop's clock corrected by its
// measured offset) says when HQ knew this; if that still reads behind HQ's stamp, the
// arrival time on this laptop, by the laptop's own clock, is the honest bound.
Millis AgeOf(const TeamSnapshot& snapshot, Millis hq_now, Millis laptop_now) {
  if (hq_now >= snapshot.hq_at) return hq_now - snapshot.hq_at;
  return std::max<Millis>(0, laptop_now - snapshot.received_at);
}

// The snapshot's members in order, the member's own first; own tasks show what the member
// did here, which is newer than anything HQ relayed.
std::vector<TeamMember> MembersOf(AgentStore& store, const TeamSnapshot& snapshot,
                                  const std::vector<Task>& own,
                                  const std::map<std::string, SiteState>& site) {
  std::map<std::string, TeamMember> by_id;
  const json& names = snapshot.body.contains("members") && snapshot.body["members"].is_object()
                          ? snapshot.body["members"]
                          : json::object();
  std::shared_ptr<const playbook::Playbook> book;
  if (auto loaded = store.PlaybookByHash(Text(snapshot.body, "playbook")); loaded.ok()) {
    book = *loaded;
  }
  const json& tasks = snapshot.body.contains("tasks") && snapshot.body["tasks"].is_array()
                          ? snapshot.body["tasks"]
                          : json::array();
  for (const json& entry : tasks) {
    if (!entry.is_object()) continue;
    TeamTask task{Text(entry, "task"), Text(entry, "step"), "", Text(entry, "state")};
    const playbook::Step* step = book ? book->FindStep(task.step) : nullptr;
    task.title = step ? step->title : task.step;
    // A teammate's progress the field relay knows of and HQ has not relayed yet; HQ's
    // own decisions stand.
    auto known = site.find(task.task);
    if (known != site.end() && known->second.on_site && AheadOf(known->second.state, task.state)) {
      task.state = known->second.state;
      task.on_site = true;
    }
    for (const Task& mine : own) {
      if (mine.id == task.task) {
        task.state = store.DisplayState(mine, own);
        task.on_site = false;
      }
    }
    const std::string member_id = Text(entry, "member");
    TeamMember& member = by_id[member_id];
    member.id = member_id;
    member.name = Text(names, member_id.c_str());
    member.you = member_id == store.member_id();
    member.tasks.push_back(std::move(task));
  }
  std::vector<TeamMember> members;
  for (auto& [id, member] : by_id) {
    if (member.you)
      members.insert(members.begin(), std::move(member));
    else
      members.push_back(std::move(member));
  }
  return members;
}

std::string IncidentTitle(const std::vector<Task>& own, std::int64_t deployment) {
  for (const Task& task : own) {
    if (task.deployment == deployment) return task.incident_title;
  }
  return "";
}

}  // namespace

Status ShowTeam(AgentStore& store, const Clock& clock, bool as_json, std::ostream& out) {
  auto snapshots = store.TeamSnapshots();
  if (!snapshots.ok()) return snapshots.status();
  auto own = store.Tasks();
  if (!own.ok()) return own.status();
  const Millis laptop_now = clock.Now();
  const Millis hq_now = ClockOfHq(store, clock).Now();
  auto site = SiteView(store.database(), clock).States();
  if (!site.ok()) return site.status();
  // When the field relay last told this laptop the team's state, and which relay.
  Millis site_at = 0;
  std::string relay;
  for (const auto& [task, state] : *site) {
    if (state.received_at > site_at) {
      site_at = state.received_at;
      relay = state.relay;
    }
  }
  if (as_json) {
    json list = json::array();
    for (const TeamSnapshot& snapshot : *snapshots) {
      json members = json::array();
      for (const TeamMember& member : MembersOf(store, snapshot, *own, *site)) {
        json tasks = json::array();
        for (const TeamTask& task : member.tasks) {
          tasks.push_back({{"task", task.task},
                           {"step", task.step},
                           {"title", task.title},
                           {"state", task.state},
                           {"on_site", task.on_site}});
        }
        members.push_back(
            {{"member", member.id}, {"name", member.name}, {"you", member.you}, {"tasks", tasks}});
      }
      list.push_back({{"deployment", snapshot.deployment},
                      {"incident", Text(snapshot.body, "incident")},
                      {"hq_at", snapshot.hq_at},
                      {"received_at", snapshot.received_at},
                      {"age_ms", AgeOf(snapshot, hq_now, laptop_now)},
                      {"members", members}});
      if (site_at > 0) {
        list.back()["relay"] = relay;
        list.back()["site_age_ms"] = std::max<Millis>(0, laptop_now - site_at);
      }
    }
    out << list.dump(2) << "\n";
    return Status::Ok();
  }
  if (snapshots->empty()) {
    out << "No news of your team from HQ yet. It arrives with your tasks at the next sync.\n";
    return Status::Ok();
  }
  for (const TeamSnapshot& snapshot : *snapshots) {
    const std::string title = IncidentTitle(*own, snapshot.deployment);
    out << "Team of " << Text(snapshot.body, "incident") << (title.empty() ? "" : " " + title)
        << " (deployment " << snapshot.deployment << "), as relayed by HQ "
        << FormatAge(AgeOf(snapshot, hq_now, laptop_now)) << " ago (" << FormatTimestamp(snapshot.hq_at) << ")\n";
    if (site_at > 0) {
      out << "  On site: the field relay " << relay << " told this laptop "
          << FormatAge(std::max<Millis>(0, laptop_now - site_at))
          << " ago; states marked (on site) have not reached HQ yet\n";
    }
    for (const TeamMember& member : MembersOf(store, snapshot, *own, *site)) {
      out << "  " << (member.name.empty() ? member.id : member.name);
      if (!member.name.empty() && member.name != member.id) out << " (" << member.id << ")";
      if (member.you) out << " — you; your own states are as of now";
      out << "\n";
      for (const TeamTask& task : member.tasks) {
        out << "    " << std::left << std::setw(13) << task.state << task.title
            << (task.on_site ? " (on site)" : "") << "\n";
      }
    }
  }
  return Status::Ok();
}

}  // namespace muster::agent
