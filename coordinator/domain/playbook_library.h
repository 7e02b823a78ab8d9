// Published playbooks: immutable versions, kept by their content hash (what deployments
// and agents pin), parsed once per thread; their authors' signatures, windows of
// validity and revocations (docs/playbooks.md#signatures-validity-and-revocation).
// Thread: the one of its HqDatabase.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "domain/playbook_authors.h"
#include "muster/playbook/model.h"
#include "muster/playbook/signature.h"
#include "muster/result.h"
#include "muster/wire/deliveries.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"

namespace muster::hq {

// Whether a playbook must be signed by a trusted author to be published and deployed
// (`playbook_signatures` in the configuration).
enum class SignaturePolicy { kOptional, kRequired };

// A published version's revocation.
struct Revocation {
  Millis at = 0;
  std::string by;
  std::string reason;
};

class PlaybookLibrary : OverDatabase {
 public:
  PlaybookLibrary(HqDatabase& database, AuditTrail& audit, PlaybookAuthors& authors,
                  SignaturePolicy policy)
      : OverDatabase(database), audit_(audit), authors_(authors), policy_(policy) {}

  // Publishes a playbook version (lint must pass). The same id and version with other
  // content is refused (conflict); the same content again is fine, and a valid
  // |signature| given then replaces the one stored. A |signature| must match the text
  // (invalid_playbook) and be made by a trusted author's key in force (forbidden); an
  // unsigned playbook is forbidden under SignaturePolicy::kRequired. Answers {"id",
  // "version", "hash", "title"} and the Governance fields.
  Result<json> Publish(const std::string& source, const std::string& file,
                       const std::optional<playbook::Signature>& signature, const Actor& actor);
  // Whether a new deployment may pin |book| now, by HQ's clock: not revoked
  // (invalid_playbook), within its window of validity (invalid_playbook), its signer
  // still trusted or, unsigned, allowed by the policy (forbidden).
  Status CheckDeployable(const playbook::Playbook& book);
  // Revokes |id| at |version|: no new deployment may pin it. Inside the caller's
  // transaction (Operations::RevokePlaybook tells the agents in the same one). not_found,
  // conflict (revoked already), invalid_argument (no reason). Answers the hash.
  Result<std::string> Revoke(const std::string& id, const std::string& version,
                             const std::string& reason, const Actor& actor);
  // Every published version, newest first: [{"id", "version", "hash", "title",
  // "published_at"} and the Governance fields].
  Result<json> List();
  // What views show of version |hash|: {"signed_by": {"author", "key_id"} or null,
  // "valid_from", "valid_until", "revoked": {"at", "by", "reason"} or null}.
  Result<json> Governance(const std::string& hash);
  Result<std::optional<playbook::Signature>> SignatureOf(const std::string& hash);
  // What an agent is sent of |book|: the source with its signature, if any.
  Result<wire::PlaybookDelivery> DeliveryOf(const playbook::Playbook& book);
  Result<std::optional<Revocation>> RevocationOf(const std::string& hash);
  // The self-contained source of the published version |hash|. not_found.
  Result<std::string> Source(const std::string& hash);
  // The published playbook with |hash|, parsed once. not_found, invalid_playbook.
  Result<std::shared_ptr<const playbook::Playbook>> ByHash(const std::string& hash);

 private:
  // The signature's check at publication: it matches the text and its key is trusted.
  Status CheckSignature(const std::optional<playbook::Signature>& signature,
                        const playbook::Playbook& book);

  AuditTrail& audit_;
  PlaybookAuthors& authors_;
  SignaturePolicy policy_;
  std::map<std::string, std::shared_ptr<const playbook::Playbook>> parsed_;
};

}  // namespace muster::hq
