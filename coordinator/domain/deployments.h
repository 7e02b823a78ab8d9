// The deployment engine: turning a playbook and a team into tasks, gating tasks on their
// dependencies across members, firing a playbook's triggers, and queueing what each
// agent must learn (sync/dispatch.h).
//
// Deploy makes its own transaction; everything else runs inside the caller's (an
// operation, or a batch of records being ingested). Thread: the one of its HqDatabase.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "domain/alerts.h"
#include "domain/playbook_library.h"
#include "domain/team_picking.h"
#include "domain/timeline.h"
#include "muster/playbook/model.h"
#include "muster/result.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"
#include "sync/delivery_queue.h"
#include "sync/dispatch.h"
#include "sync/team_relay.h"

namespace muster::hq {

struct DeployInput {
  std::string incident_id;
  std::string playbook_source;  // self-contained playbook text (Playbook::source)
  std::string playbook_file;    // for diagnostics only
  std::optional<playbook::Signature> signature;  // the author's, when the playbook is signed
  TeamByRole assign;            // role -> member ids; the rest is picked (team_picking.h)
  Actor actor;
};

// What a change to tasks set in motion beyond its own transaction: the agents with new
// deliveries to wake, and the deployments whose team view changed (the router relays
// them about once a second).
struct TaskEffects {
  std::vector<std::string> agents_to_notify;
  std::set<std::int64_t> team_changed;
};

// The id of the task of |step| held by |member| in a deployment: d<deployment>.<step>.<member>.
std::string TaskIdFor(std::int64_t deployment_id, const std::string& step,
                      const std::string& member);

class Deployments : OverDatabase {
 public:
  struct Parts {
    AuditTrail& audit;
    Timeline& timeline;
    Alerts& alerts;
    PlaybookLibrary& playbooks;
    DeliveryQueue& deliveries;
    Dispatch& dispatch;
    TeamRelay& team;
  };
  Deployments(HqDatabase& database, const Parts& parts)
      : OverDatabase(database),
        audit_(parts.audit),
        timeline_(parts.timeline),
        alerts_(parts.alerts),
        playbooks_(parts.playbooks),
        deliveries_(parts.deliveries),
        dispatch_(parts.dispatch),
        team_(parts.team) {}

  // Publishes the playbook (if new), picks the team, creates the deployment and its tasks
  // and queues each member's agent its playbook, tasks and team view, in one
  // transaction. not_found, conflict (incident closed), invalid_playbook, and the team
  // picker's errors.
  Result<json> Deploy(const DeployInput& input, std::vector<std::string>* agents_to_notify);
  // Whether the two members have tasks in one active deployment (the field relay of one
  // may carry the other's records).
  Result<bool> ShareActiveDeployment(const std::string& member_a, const std::string& member_b);

  // Recomputes waiting/ready for the tasks of a deployment; returns the ones released.
  Result<std::vector<std::string>> ReleaseReadyTasks(std::int64_t deployment_id);
  // The steps of |book| that the deployment's fired triggers stood down.
  std::set<std::string> StoodDownSteps(std::int64_t deployment_id, const playbook::Playbook& book);
  // After a task of |step| changed hands or state: releases what became ready and queues
  // the snapshots of |changed|, of the released tasks and of the step's dependents.
  // Returns the released tasks.
  Result<std::vector<std::string>> RequeueAround(std::int64_t deployment_id,
                                                 const playbook::Playbook& book,
                                                 const std::string& step,
                                                 std::vector<std::string> changed,
                                                 std::vector<std::string>* agents_to_notify);
  // The live tasks of every step that depends on |step|: their waits_on changed.
  std::vector<std::string> DependentTasks(std::int64_t deployment_id,
                                          const playbook::Playbook& book, const std::string& step);

  // Fires |trigger_id| once per deployment: activates steps, raises alerts, notifies,
  // stands down.
  Status FireTrigger(std::int64_t deployment_id, const playbook::Playbook& book,
                     const std::string& trigger_id, const std::string& source,
                     TaskEffects& outcome);
  // Whether each step with a task is done: every live task of it completed, or one of them
  // for `completion: any`. A step whose tasks were all cancelled or reassigned is done (it
  // blocks nothing); a recurring step is done when its first occurrence is.
  std::map<std::string, bool> StepsDone(std::int64_t deployment_id,
                                        const playbook::Playbook& book);
  // After |member| completed their task of |step_id|: when the step says `completion: any`,
  // closes the other members' open tasks of it ("done by ...", marked stood down, so that
  // work they did meanwhile is accepted without a conflict) and tells their agents.
  Status CloseForAnyCompletion(std::int64_t deployment_id, const playbook::Playbook& book,
                               const std::string& step_id, const std::string& member,
                               TaskEffects& outcome);
  // The triggers (and else branches, and escalations) fired in the deployment.
  std::set<std::string> FiredIds(std::int64_t deployment_id);
  // Records trigger or escalation |fired_id| as fired in the deployment; false when it was
  // already (each fires once).
  bool MarkFired(std::int64_t deployment_id, const std::string& fired_id,
                 const std::string& source);
  // Runs the actions of trigger or escalation |fired_id| (schedule.h names escalations):
  // activates steps, raises alerts, notifies (a role's members by name), stands down.
  Status RunActions(std::int64_t deployment_id, const playbook::Playbook& book,
                    const std::string& fired_id,
                    const std::vector<playbook::TriggerAction>& actions,
                    const std::string& source, TaskEffects& outcome);
  // Fires every trigger whose condition the deployment's latest finding values now meet.
  Status EvaluateTriggers(std::int64_t deployment_id, const std::string& source,
                          TaskEffects& outcome);

 private:
  struct NewDeployment {
    std::int64_t id = 0;
    std::set<std::string> agents;
    std::vector<std::string> task_ids;
  };
  Status RequireOpenIncident(const std::string& incident_id);
  // Inserts the deployment, its assignments and tasks, and releases the first ready ones.
  Result<NewDeployment> Create(const std::string& incident_id, const playbook::Playbook& book,
                               const TeamPick& pick);
  Status QueueToTeam(const playbook::Playbook& book, const NewDeployment& created,
                     std::vector<std::string>* agents_to_notify);
  // The timeline entries and the audit entry of a new deployment; returns its summary.
  Result<json> Record(const DeployInput& input, const playbook::Playbook& book,
                      const TeamPick& pick, const NewDeployment& created);
  // A trigger's stand-down: cancels the open tasks of the action's phase (or of the whole
  // deployment) with its reason, releases what waited on them, and tells the agents.
  Status StandDown(std::int64_t deployment_id, const std::string& incident,
                   const playbook::Playbook& book, const playbook::TriggerAction& action,
                   const std::string& trigger_id, const std::string& source,
                   TaskEffects& outcome);

  // A notify: on the timeline, and for `to: ROLE` to the role's members' agents as a notice
  // (the timeline names them).
  Status Notify(std::int64_t deployment_id, const std::string& incident,
                const std::string& fired_id, const playbook::TriggerAction& action,
                const std::string& source, TaskEffects& outcome);

  AuditTrail& audit_;
  Timeline& timeline_;
  Alerts& alerts_;
  PlaybookLibrary& playbooks_;
  DeliveryQueue& deliveries_;
  Dispatch& dispatch_;
  TeamRelay& team_;
};

}  // namespace muster::hq
