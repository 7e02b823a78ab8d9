// The team's state as the field relay last told this member (a SITE message), kept in the
// `site` table (agent migration 8): each task of the team views with its state on site.
// AgentStore::Tasks() reads it so that a dependency a teammate completed on site is
// released here at once, while HQ is out of reach; HQ's own decisions (cancelled,
// reassigned) still win.
//
// Same thread rules as the AgentStore whose connection it uses.
#pragma once

#include <SQLiteCpp/Database.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "muster/clock.h"
#include "muster/result.h"

namespace muster::agent {

struct SiteState {
  std::string state;
  bool on_site = false;
  std::int64_t findings = 0;
  std::string relay;
  Millis received_at = 0;
};

// Whether a state known on site says more than HQ's: HQ's decisions (cancelled,
// reassigned) and a completion stand; otherwise a state further along a task's course
// (ready, acknowledged, in progress or blocked, completed) is news HQ has not relayed yet.
bool AheadOf(const std::string& site_state, const std::string& hq_state);

class SiteView {
 public:
  SiteView(SQLite::Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  // A SITE body from |relay_id|: replaces what is kept (a deployment it no longer names,
  // one demobilised, say, is forgotten).
  Status Apply(const nlohmann::json& body, const std::string& relay_id);
  // task id -> its state on site.
  Result<std::map<std::string, SiteState>> States();

 private:
  SQLite::Database& db_;
  const Clock& clock_;
};

}  // namespace muster::agent
