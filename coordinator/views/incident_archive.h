// A whole incident as a signed archive for a partner agency (docs/programme.md,
// "Sharing with partners"; the folder's rules: muster/archive.h). HQ builds the parts,
// lists them with the incident's verified attachments in a manifest of sha256 hashes and
// signs the manifest with its archive key; the console fetches the attachments, checks
// each against the manifest and writes the folder.
//
// Parts: incident.json (the record), findings.json, positions.geojson (views/geojson.cc),
// status.json (the board), timeline.json and audit.json (HQ's audit entries about the
// incident, its deployments, tasks and alerts, with their chain hashes).
// With a releasability (a partner's marking):
// - each finding whose marking the partner may not see is left out with its attachments,
//   and counted; a stored marking that cannot be read counts as the most restrictive;
// - the board, the timeline and the audit entries may speak of anything in the incident,
//   so they carry the highest marking of its playbooks, steps and findings, and are left
//   out whole when that is above the releasability;
// - audit entries about persons of interest (watchlist.*) are left out and counted.
// Every archive made is itself an audit entry (incident.archive): who shared what, for
// which releasability, under which key.
// Thread: the one of its HqDatabase (the API's).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/incidents.h"
#include "domain/playbook_library.h"
#include "domain/timeline.h"
#include "muster/archive.h"
#include "muster/playbook/marking.h"
#include "muster/result.h"
#include "store/audit_trail.h"
#include "store/hq_database.h"
#include "views/incident_views.h"

namespace muster::hq {

// An attachment the console fetches (GET /v1/attachments/{id}/content) into |path|.
struct ArchiveAttachment {
  std::int64_t id = 0;
  std::string path;  // "attachments/12-photo.jpg", as in the manifest
  std::string sha256;
  std::int64_t bytes = 0;
};

struct ArchiveBundle {
  std::string manifest_text;  // manifest.json's exact bytes
  archive::ManifestSignature signature;
  std::map<std::string, std::string> parts;  // path → exact bytes
  std::vector<ArchiveAttachment> attachments;
};
// {"manifest": text, "signature": {…}, "parts": {path: text}, "attachments": [{id, path,
// sha256, bytes}]}: texts travel as strings so their bytes, and so their hashes, survive.
json ToJson(const ArchiveBundle& bundle);

class IncidentArchive : OverDatabase {
 public:
  IncidentArchive(HqDatabase& database, PlaybookLibrary& playbooks, IncidentViews& views,
                  Incidents& incidents, Timeline& timeline, AuditTrail& audit)
      : OverDatabase(database),
        hq_id_(database.hq_id()),
        playbooks_(playbooks),
        views_(views),
        incidents_(incidents),
        timeline_(timeline),
        audit_(audit) {}

  // The archive of |incident_id| for |releasable| (nullopt: everything), signed with |key|
  // and audited as |actor|'s. not_found.
  Result<ArchiveBundle> Build(const std::string& incident_id,
                              const std::optional<playbook::Marking>& releasable,
                              const archive::SigningKey& key, const Actor& actor);

 private:
  // HQ's audit entries about the incident, oldest first; watchlist entries are counted in
  // |*watchlist| and left out when |partner|.
  Result<json> AuditEntries(const std::string& incident_id, bool partner, int* watchlist);

  std::string hq_id_;
  PlaybookLibrary& playbooks_;
  IncidentViews& views_;
  Incidents& incidents_;
  Timeline& timeline_;
  AuditTrail& audit_;
};

}  // namespace muster::hq
