// Exercises (docs/programme.md, "Exercises"): an incident opened as an exercise runs like
// a real one, and an exercise controller's script of injects (muster/exercise/script.h)
// is played against it. HQ fires each inject when its time comes, counted from the start:
// a reading or message shown on the laptops of a role or member, an alert raised at HQ,
// or a member's laptops cut off (HQ does not hear them, as if their link were lost).
//
// Each inject fires once, in its own transaction with its timeline entry. The exercise
// ends with its deployments: once none is active (or the incident is closed), it is over
// for good (a later deployment does not bring it back): no inject fires, no one stays
// silent. A member who also serves in a real incident is never silenced. Thread: the one of its HqDatabase (the router's
// fires, the API's starts and reads).
#pragma once

#include <string>
#include <vector>

#include "domain/alerts.h"
#include "domain/timeline.h"
#include "muster/exercise/script.h"
#include "muster/result.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"
#include "sync/delivery_queue.h"

namespace muster::hq {

class Exercises : OverDatabase {
 public:
  struct Parts {
    AuditTrail& audit;
    Timeline& timeline;
    Alerts& alerts;
    DeliveryQueue& deliveries;
  };
  Exercises(HqDatabase& database, const Parts& parts)
      : OverDatabase(database),
        audit_(parts.audit),
        timeline_(parts.timeline),
        alerts_(parts.alerts),
        deliveries_(parts.deliveries) {}

  // Starts playing |script| (YAML, named |file| in errors) on an exercise incident now.
  // Every role and member the script names must be in its active deployments.
  // invalid_argument (the script, naming the line), not_found, conflict (not an
  // exercise, closed, no active deployment, a script already playing).
  Result<json> Start(const std::string& incident_id, const std::string& script,
                     const std::string& file, const Actor& actor);
  // The script being played: {"incident", "name", "started_at", "ended_at" (null while it
  // runs), "injects": [{"index",
  // "at_ms", "due_at", "kind", "summary", "fired_at", "outcome"}]}. not_found.
  Result<json> Run(const std::string& incident_id);
  // Fires every inject whose time has come; returns the agents with new deliveries.
  Result<std::vector<std::string>> FireDue();
  // Whether a silence inject cuts |member_id| off at the clock's now.
  bool Silenced(const std::string& member_id);

 private:
  struct Due {
    std::string incident;
    int index = 0;
  };
  Status Fire(const Due& due, std::vector<std::string>& agents);
  // Records the end of every exercise whose incident closed or has no active deployment
  // left: at its last deployment's close.
  Status MarkEnded();
  // The real incident |member_id| serves in now, or "".
  std::string RealIncidentOf(const std::string& member_id);
  // The members a reading or message |to| reaches: the holders of the role in the
  // incident's active deployments (|by_role| set), else the member of that id if they
  // hold any role.
  std::vector<std::string> Recipients(const std::string& incident_id, const std::string& to,
                                      bool* by_role);
  bool IsAssigned(const std::string& incident_id, const std::string& member_id);

  AuditTrail& audit_;
  Timeline& timeline_;
  Alerts& alerts_;
  DeliveryQueue& deliveries_;
};

}  // namespace muster::hq
