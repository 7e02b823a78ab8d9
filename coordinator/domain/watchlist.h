// Persons of interest (docs/programme.md): the watchlist HQ keeps, and which incidents'
// teams carry which entries. Officers set and remove entries and assign them to an
// incident (by notice, or every entry relevant to a region); each change is audited, and
// the agents of the incident's active deployments are sent what changed, in the change's
// transaction. An agent new to an incident is sent its whole list (QueueWhole), and one
// whose member leaves it an empty whole list. Entries are personal data: only officers
// and administrators read them (access/roles.cc).
//
// Thread: the one of its HqDatabase.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/alerts.h"
#include "muster/playbook/model.h"
#include "muster/result.h"
#include "muster/watchlist/matcher.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"
#include "sync/delivery_queue.h"

namespace muster::hq {

class Watchlist : OverDatabase {
 public:
  Watchlist(HqDatabase& database, AuditTrail& audit, DeliveryQueue& deliveries, Alerts& alerts)
      : OverDatabase(database), audit_(audit), deliveries_(deliveries), alerts_(alerts) {}

  // A person a member recorded matched an entry: by the laptop (a watchlist_hit record)
  // or by HQ's own check of the finding. Kept with the explanation (which quotes the
  // entry, so only officers read it: Hits) and raised as a critical `watchlist` alert
  // whose message names the person as recorded, the notice and the score, not the
  // entry's details. The laptop's and HQ's hit on one person raise one alert.
  struct Hit {
    std::string incident;
    std::optional<std::int64_t> deployment;
    std::string task;
    std::string member;
    std::string agent;
    std::uint64_t seq = 0;  // the record that brought it
    std::string notice;
    std::uint64_t score_milli = 0;
    bool document = false;
    std::string person;
    std::string explanation;
    bool by_laptop = true;
    Millis at = 0;  // when it was recorded, in HQ's time
  };
  Status RecordHit(const Hit& hit);
  // HQ's own check of a finding's person fields against the incident's entries (a
  // laptop without a sealed store keeps no list and cannot check). Inside the batch's
  // transaction.
  Status CheckFinding(const Hit& context, const playbook::Step& step, const json& values);
  // The incident's hits, newest first: [{"id", "task", "member", "notice", "person",
  // "score_milli", "document", "explanation", "checked_by", "recorded_at"}]. not_found for
  // an unknown incident.
  Result<json> Hits(const std::string& incident_id);

  // Adds the entries, or replaces those whose notice id is known: {"added", "changed"}.
  // invalid_argument naming the entry when one lacks a notice id or any name and
  // document, or has a date of birth that is no date.
  Result<json> Set(const std::vector<watchlist::Entry>& entries, const Actor& actor,
                   std::vector<std::string>* agents_to_notify);
  // Removes an entry everywhere: {"notice", "incidents"}. not_found when unknown.
  Result<json> Remove(const std::string& notice_id, const Actor& actor,
                      std::vector<std::string>* agents_to_notify);
  // Every entry, by notice id, with who added and changed it and the incidents carrying it.
  Result<json> List();
  // Assigns entries to |incident_id|: the |notices| named, and every entry whose regions
  // hold |region| when it is not empty: {"incident", "assigned"} (newly assigned).
  // not_found for an unknown incident or notice; invalid_argument when neither is given.
  Result<json> Assign(const std::string& incident_id, const std::vector<std::string>& notices,
                      const std::string& region, const Actor& actor,
                      std::vector<std::string>* agents_to_notify);
  // Takes entries off an incident: {"incident", "unassigned"}.
  Result<json> Unassign(const std::string& incident_id, const std::vector<std::string>& notices,
                        const Actor& actor, std::vector<std::string>* agents_to_notify);
  // The entries |incident_id| carries, as Entry.
  std::vector<watchlist::Entry> EntriesOf(const std::string& incident_id);

  // Queues |incident_id|'s whole list to |agent_id| (an empty list when |carry| is false:
  // the member no longer serves there). Nothing when the incident has never carried an
  // entry and |carry| is true. Call inside a transaction.
  Status QueueWhole(const std::string& agent_id, const std::string& incident_id, bool carry = true);

 private:
  // Active agents of the members of |incident_id|'s active deployments.
  std::vector<std::string> AgentsOf(const std::string& incident_id);
  // Incidents carrying |notice_id|.
  std::vector<std::string> IncidentsOf(const std::string& notice_id);
  Status Send(const std::string& incident_id, const wire::WatchlistDelivery& delivery,
              std::vector<std::string>* agents_to_notify);

  AuditTrail& audit_;
  DeliveryQueue& deliveries_;
  Alerts& alerts_;
};

}  // namespace muster::hq
