// Published playbooks: immutable versions, kept by their content hash (what deployments
// and agents pin), parsed once per thread. Thread: the one of its HqDatabase.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "muster/playbook/model.h"
#include "muster/result.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"

namespace muster::hq {

class PlaybookLibrary : OverDatabase {
 public:
  PlaybookLibrary(HqDatabase& database, AuditTrail& audit)
      : OverDatabase(database), audit_(audit) {}

  // Publishes a playbook version (lint must pass). The same id and version with other
  // content is refused (conflict); the same content again is fine.
  Result<json> Publish(const std::string& source, const std::string& file, const Actor& actor);
  // Every published version, newest first: [{"id", "version", "hash", "title",
  // "published_at"}].
  Result<json> List();
  // The self-contained source of the published version |hash|. not_found.
  Result<std::string> Source(const std::string& hash);
  // The published playbook with |hash|, parsed once. not_found, invalid_playbook.
  Result<std::shared_ptr<const playbook::Playbook>> ByHash(const std::string& hash);

 private:
  AuditTrail& audit_;
  std::map<std::string, std::shared_ptr<const playbook::Playbook>> parsed_;
};

}  // namespace muster::hq
