// What the team's field relay holds for HQ: the members' records as they came, each with
// its author's tag (muster/record_auth.h), until HQ says it holds them; and the team's
// state on site that the relay tells the members (docs/agent.md, "The field relay").
//
// Table `relayed` (agent migration 8), written only here. A record is keyed by its author
// and seq, the same key HQ uses, so a record the relay receives twice is held once, and
// HQ takes a record once whichever way it came.
//
// Same thread rules as the AgentStore whose connection it uses.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "muster/clock.h"
#include "muster/result.h"
#include "muster/wire/deliveries.h"
#include "muster/wire/records.h"

namespace muster::agent {

// One member's record on its way to HQ through the relay.
struct RelayedRecord {
  std::string agent;  // its author
  wire::Entry entry;
  std::string auth;  // the author's tag
  // The element of a RELAYED message: the entry with `agent` and `auth`.
  nlohmann::json Encode() const;
};

// A task's state as known on site.
struct SiteTask {
  std::string task;
  std::string state;
  bool on_site = false;       // a member's record the relay holds says it; HQ has not yet
  std::int64_t findings = 0;  // findings recorded for it that the relay knows of
};
struct SiteTeam {
  std::int64_t deployment = 0;
  std::vector<SiteTask> tasks;
  std::map<std::string, std::string> agents;  // the team's agents and keys, from HQ's view
};

class RelayQueue {
 public:
  RelayQueue(SQLite::Database& db, const Clock& clock, std::string own_agent_id);

  // Keeps |records| written by |agent| (the CURVE-authenticated member): returns their
  // seqs, new and already held alike.
  Result<std::vector<std::uint64_t>> Keep(const std::string& agent,
                                          const std::vector<RelayedRecord>& records);
  // The member says HQ acknowledged its records up to |watermark| (it reached HQ itself):
  // those need not go through the relay.
  Status HqHoldsUpTo(const std::string& agent, std::uint64_t watermark);

  // --- towards HQ (the relay's own link, sync_client.h) ---
  // Records HQ does not hold yet, oldest first: at most |max_records| and about
  // |max_bytes|, always at least one when there are any.
  Result<std::vector<RelayedRecord>> NextForHq(std::size_t max_records, std::size_t max_bytes);
  Status MarkHeldAtHq(const std::string& agent, const std::vector<std::uint64_t>& seqs);
  // HQ would not take the record from the relay (its tag is not its author's, its author
  // is not a teammate): it is not sent again; the author sends it itself.
  Status MarkRefusedAtHq(const std::string& agent, std::uint64_t seq, const std::string& why);
  // HQ holds the record but refused its effect (an invalid value, say): the author is told
  // (TakeRefusals), as HQ tells an agent that sent it directly.
  Status NoteRefusedEffect(const std::string& agent, std::uint64_t seq, const std::string& code,
                           const std::string& why);
  struct Refusal {
    std::uint64_t seq = 0;
    std::string code;
    std::string message;
  };
  // The refusals of |agent|'s records it has not been told of; marked told.
  Result<std::vector<Refusal>> TakeRefusals(const std::string& agent);

  // Retention: deletes the records HQ held (or refused) before |cutoff|; those HQ does not
  // hold yet stay, whatever their age. Returns how many went.
  Result<std::uint64_t> Prune(Millis cutoff);

  struct Counts {
    std::uint64_t held = 0;     // records kept
    std::uint64_t waiting = 0;  // of which HQ does not hold yet
    std::uint64_t refused = 0;  // of which HQ refused
  };
  Result<Counts> Stats();

  // --- the team on site ---
  // The keys the relay admits: the agents of the team views of open deployments (a task
  // not completed, cancelled or reassigned) this laptop holds (key -> agent id). A key HQ
  // removed from the team (revoked, replaced) is gone from the next view.
  Result<std::map<std::string, std::string>> TeamKeys();
  // Those team views, each task's state taken from what the relay knows on site where it
  // is ahead of HQ's (site_view.h, AheadOf): the newest status record the relay holds from
  // the agent of the task's own member, or this laptop's own state of its own tasks.
  Result<std::vector<SiteTeam>> Site();
  // The SITE message body for |agent|: the teams it belongs to.
  static nlohmann::json SiteBody(const std::vector<SiteTeam>& teams, const std::string& agent,
                                 const std::string& relay_id, Millis now);

 private:
  // The team views this laptop holds whose deployment is still open.
  Result<std::vector<wire::TeamView>> OpenViews();

  SQLite::Database& db_;
  const Clock& clock_;
  std::string own_agent_id_;
};

}  // namespace muster::agent
