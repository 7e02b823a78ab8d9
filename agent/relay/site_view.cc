#include "relay/site_view.h"

#include <SQLiteCpp/Statement.h>

#include <algorithm>

#include "muster/sqlite_store.h"

namespace muster::agent {

using nlohmann::json;

namespace {

int Progress(const std::string& state) {
  if (state == "completed") return 4;
  if (state == "in_progress" || state == "blocked") return 3;
  if (state == "acknowledged") return 2;
  if (state == "ready" || state == "delivered") return 1;
  return 0;  // waiting, dormant, or a state this build does not know
}

}  // namespace

bool AheadOf(const std::string& site_state, const std::string& hq_state) {
  if (hq_state == "cancelled" || hq_state == "reassigned" || hq_state == "completed") return false;
  if (site_state == "cancelled" || site_state == "reassigned") return false;  // HQ's to decide
  return site_state != hq_state && Progress(site_state) >= Progress(hq_state);
}

Status SiteView::Apply(const json& body, const std::string& relay_id) {
  return InTransaction(db_, [&]() -> Status {
    db_.exec("DELETE FROM site");
    SQLite::Statement insert(db_,
                             "INSERT OR REPLACE INTO site(task, deployment, state, on_site, "
                             "findings, relay, received_at) VALUES(?,?,?,?,?,?,?)");
    const auto now = static_cast<std::int64_t>(clock_.Now());
    for (const json& team : body["teams"]) {
      const json& tasks = team["tasks"];
      const std::int64_t deployment = team["deployment"].get<std::int64_t>();
      for (const json& task : tasks) {
        if (!task.is_object() || !task.contains("task") || !task["task"].is_string() ||
            !task.contains("state") || !task["state"].is_string()) {
          continue;  // an entry this build cannot read changes nothing
        }
        const auto on_site = task.find("on_site");
        const auto findings = task.find("findings");
        insert.bind(1, task["task"].get<std::string>());
        insert.bind(2, deployment);
        insert.bind(3, task["state"].get<std::string>());
        insert.bind(4, on_site != task.end() && on_site->is_boolean() && on_site->get<bool>());
        insert.bind(5, findings != task.end() && findings->is_number_integer()
                           ? std::max<std::int64_t>(0, findings->get<std::int64_t>())
                           : std::int64_t{0});
        insert.bind(6, relay_id);
        insert.bind(7, now);
        insert.exec();
        insert.reset();
      }
    }
    return Status::Ok();
  });
}

Result<std::map<std::string, SiteState>> SiteView::States() {
  std::map<std::string, SiteState> states;
  Status status = Guarded([&]() -> Status {
    SQLite::Statement query(db_,
                            "SELECT task, state, on_site, findings, relay, received_at FROM site");
    while (query.executeStep()) {
      states[query.getColumn(0).getString()] = {
          query.getColumn(1).getString(), query.getColumn(2).getInt() != 0,
          query.getColumn(3).getInt64(), query.getColumn(4).getString(),
          query.getColumn(5).getInt64()};
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return states;
}

}  // namespace muster::agent
