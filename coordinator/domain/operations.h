// Operations on running deployments: cancelling and reassigning tasks, adding a member,
// closing a deployment. HQ's decision stands; the agents learn it from task snapshots
// queued here and delivered when they next connect (docs/protocol.md §7).
//
// Each operation is one transaction with its timeline and audit entries; the agents with
// new deliveries are added to |agents_to_notify|. Thread: the one of its HqDatabase
// (the API's).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "domain/deployments.h"
#include "domain/playbook_library.h"
#include "domain/timeline.h"
#include "muster/result.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"
#include "sync/delivery_queue.h"
#include "sync/dispatch.h"

namespace muster::hq {

class Operations : OverDatabase {
 public:
  struct Parts {
    AuditTrail& audit;
    Timeline& timeline;
    PlaybookLibrary& playbooks;
    DeliveryQueue& deliveries;
    Dispatch& dispatch;
    Deployments& deployments;
  };
  Operations(HqDatabase& database, const Parts& parts)
      : OverDatabase(database),
        audit_(parts.audit),
        timeline_(parts.timeline),
        playbooks_(parts.playbooks),
        deliveries_(parts.deliveries),
        dispatch_(parts.dispatch),
        deployments_(parts.deployments) {}

  // not_found, conflict (finished task, inactive deployment).
  Result<json> CancelTask(const std::string& task_id, const std::string& reason, const Actor& actor,
                          std::vector<std::string>* agents_to_notify);
  // The task is closed as "reassigned" and a new one made for |member_id|.
  Result<json> ReassignTask(const std::string& task_id, const std::string& member_id,
                            const Actor& actor, std::vector<std::string>* agents_to_notify);
  // Adds a member in |role| with a task for each step of the role.
  Result<json> AddMember(std::int64_t deployment_id, const std::string& role,
                         const std::string& member_id, const Actor& actor,
                         std::vector<std::string>* agents_to_notify);
  // Closes a deployment as "cancelled" or "demobilised": every open task is cancelled at
  // HQ and on the agents; the answer lists the tasks that were still open.
  Result<json> Close(std::int64_t deployment_id, const std::string& outcome, const Actor& actor,
                     std::vector<std::string>* agents_to_notify);
  // Revokes the published version |id| at |version| (PlaybookLibrary::Revoke): no new
  // deployment may pin it; the deployments running it go on, and each of their members'
  // agents is sent a playbook_status delivery with |reason|. Answers {"id", "version",
  // "hash", "reason", "running": [deployment ids]}.
  Result<json> RevokePlaybook(const std::string& id, const std::string& version,
                              const std::string& reason, const Actor& actor,
                              std::vector<std::string>* agents_to_notify);

 private:
  AuditTrail& audit_;
  Timeline& timeline_;
  PlaybookLibrary& playbooks_;
  DeliveryQueue& deliveries_;
  Dispatch& dispatch_;
  Deployments& deployments_;
};

}  // namespace muster::hq
