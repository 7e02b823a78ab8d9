// Enrolling, revoking and re-keying agents. Each change is audited and committed in one
// transaction; from the commit on, a revoked or replaced key is refused at the handshake
// and on any open connection (the coordinator cuts its session off). What HQ received
// from an agent stays. Thread: the one of its HqDatabase (the API's).
#pragma once

#include <string>
#include <vector>

#include "domain/agent_directory.h"
#include "muster/result.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"
#include "sync/delivery_queue.h"
#include "sync/dispatch.h"
#include "sync/team_relay.h"

namespace muster::hq {

// What an enrolment does to the member's other active agents.
enum class DeviceRule {
  kOnly,     // none may exist: a member has one laptop unless an officer says otherwise
  kReplace,  // they are superseded (revoked); the new agent receives all of the member's work
  kAdd,      // they stay: each device receives every delivery, with its own numbering
};

struct Enrolment {
  std::string agent_id;
  std::vector<std::string> superseded;  // revoked by kReplace: cut their sessions off
  std::vector<std::string> notify;      // agents with new deliveries (their teams' keys)
};

class AgentRegistry : OverDatabase {
 public:
  AgentRegistry(HqDatabase& database, AuditTrail& audit, AgentDirectory& directory,
                DeliveryQueue& deliveries, Dispatch& dispatch, TeamRelay& team)
      : OverDatabase(database),
        audit_(audit),
        directory_(directory),
        deliveries_(deliveries),
        dispatch_(dispatch),
        team_(team) {}

  // Registers a new agent key for |member_id|; a member already deployed gets their work
  // on the new laptop at its first sync. not_found; conflict when the member has an
  // active agent and |rule| is kOnly, or when the key is already some agent's.
  Result<Enrolment> Enroll(const std::string& member_id, const std::string& public_key,
                           DeviceRule rule, const Actor& actor);
  // Revokes an agent. When it had not applied everything queued for it, the member's
  // other active agents are sent the member's whole current work again (added to
  // |agents_to_notify|), so that nothing sent only to the revoked one is missed.
  // not_found, conflict (already revoked). With |wipe|, a wipe order goes with it
  // (docs/protocol.md, WIPE): the agent may connect once more to receive it and confirm;
  // an agent already revoked may still be ordered wiped (conflict when it was).
  Result<json> Revoke(const std::string& agent_id, const Actor& actor,
                      std::vector<std::string>* agents_to_notify = nullptr, bool wipe = false);
  // The agent confirmed it carried out the order |order_id| (its WIPED): recorded and
  // audited; its key is refused from now on. forbidden when no such order is pending.
  Status ConfirmWipe(const AgentRecord& agent, const std::string& order_id,
                     const std::string& peer);
  // Replaces an active agent's key with |public_key|; the id, and so the sequences of its
  // records and deliveries, stay. Returns the agent's member. not_found, conflict
  // (revoked agents stay revoked: enrol a new one).
  Result<std::string> RotateKey(const std::string& agent_id, const std::string& public_key,
                                const Actor& actor);

 private:
  // The member's agents changed (enrolled, revoked, a key replaced): the teams of its
  // active deployments are sent their whole view again, whose `agents` map is what the
  // field relay admits and members dial it with. Inside the caller's transaction.
  // |except_agent| has its whole view queued already.
  Status TellTeamsOfKeys(const std::string& member_id, std::vector<std::string>* agents_to_notify,
                         const std::string& except_agent = {});
  // Marks |agent_id| revoked, audited as |action| with |details| added.
  Status MarkRevoked(const AgentRecord& agent, const std::string& action, const json& details,
                     const Actor& actor);
  // conflict when another agent holds |public_key| (a key pair serves one agent only).
  Status RefuseHeldKey(const std::string& public_key);

  AuditTrail& audit_;
  AgentDirectory& directory_;
  DeliveryQueue& deliveries_;
  Dispatch& dispatch_;
  TeamRelay& team_;
};

}  // namespace muster::hq
