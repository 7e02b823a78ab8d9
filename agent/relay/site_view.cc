#include "relay/site_view.h"

#include <SQLiteCpp/Statement.h>

#include "muster/sqlite_store.h"

namespace muster::agent {

using nlohmann::json;

Status SiteView::Apply(const json& body, const std::string& relay_id) {
  return InTransaction(db_, [&]() -> Status {
    SQLite::Statement clear(db_, "DELETE FROM site WHERE deployment=?");
    SQLite::Statement insert(db_,
                             "INSERT OR REPLACE INTO site(task, deployment, state, on_site, "
                             "findings, relay, received_at) VALUES(?,?,?,?,?,?,?)");
    const auto now = static_cast<std::int64_t>(clock_.Now());
    for (const json& team : body["teams"]) {
      const json& tasks = team["tasks"];
      const std::int64_t deployment = team["deployment"].get<std::int64_t>();
      clear.bind(1, deployment);
      clear.exec();
      clear.reset();
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
        insert.bind(5, findings != task.end() && findings->is_number_unsigned()
                           ? findings->get<std::int64_t>()
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
