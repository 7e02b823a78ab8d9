// Enrolling, revoking and re-keying agents. Each change is audited and committed in one
// transaction; from the commit on, a revoked or replaced key is refused at the handshake
// and on any open connection (the coordinator cuts its session off). What HQ received
// from an agent stays. Thread: the one of its HqDatabase (the API's).
#pragma once

#include <string>

#include "domain/agent_directory.h"
#include "muster/result.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"
#include "sync/dispatch.h"

namespace muster::hq {

class AgentRegistry : OverDatabase {
 public:
  AgentRegistry(HqDatabase& database, AuditTrail& audit, AgentDirectory& directory,
                Dispatch& dispatch)
      : OverDatabase(database), audit_(audit), directory_(directory), dispatch_(dispatch) {}

  // Registers a new agent key for |member_id| and returns its id; a member already
  // deployed gets their work on the new laptop at its first sync. not_found.
  Result<std::string> Enroll(const std::string& member_id, const std::string& public_key,
                             const Actor& actor);
  // not_found, conflict (already revoked).
  Result<json> Revoke(const std::string& agent_id, const Actor& actor);
  // Replaces an active agent's key with |public_key|; the id, and so the sequences of its
  // records and deliveries, stay. Returns the agent's member. not_found, conflict
  // (revoked agents stay revoked: enrol a new one).
  Result<std::string> RotateKey(const std::string& agent_id, const std::string& public_key,
                                const Actor& actor);

 private:
  AuditTrail& audit_;
  AgentDirectory& directory_;
  Dispatch& dispatch_;
};

}  // namespace muster::hq
