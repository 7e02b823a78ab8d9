#include "views/incident_archive.h"

#include <algorithm>
#include <set>

#include "muster/clock.h"
#include "muster/digest.h"
#include "muster/sqlite_store.h"
#include "views/incident_markings.h"

namespace muster::hq {
namespace {

namespace pb = muster::playbook;

std::string Text(const json& value) { return value.dump(2) + "\n"; }

bool EndsWith(const std::string& text, const std::string& end) {
  return text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
}

// Takes the alerts of watchlist hits off |board|, and the timeline entries that quote them
// (raised, acknowledged) off |timeline|: they name a person of interest, which is shared
// by notices between agencies, not in an incident's archive. Returns how many it took.
int WithholdPersons(json& board, json& timeline) {
  std::vector<std::string> messages;
  json kept = json::array();
  for (json& alert : board["alerts"]) {
    if (alert["kind"] == "watchlist") {
      messages.push_back(alert["message"]);
    } else {
      kept.push_back(std::move(alert));
    }
  }
  int withheld = static_cast<int>(messages.size());
  board["alerts"] = std::move(kept);
  json events = json::array();
  for (json& event : timeline) {
    const std::string& text = event["text"].get_ref<const std::string&>();
    const bool quotes = std::any_of(messages.begin(), messages.end(), [&](const std::string& m) {
      return EndsWith(text, m);
    });
    if (quotes) {
      ++withheld;
    } else {
      events.push_back(std::move(event));
    }
  }
  timeline = std::move(events);
  return withheld;
}

}  // namespace

json ToJson(const ArchiveBundle& bundle) {
  json parts = json::object();
  for (const auto& [path, text] : bundle.parts) parts[path] = text;
  json attachments = json::array();
  for (const ArchiveAttachment& file : bundle.attachments) {
    attachments.push_back(
        {{"id", file.id}, {"path", file.path}, {"sha256", file.sha256}, {"bytes", file.bytes}});
  }
  return {{"manifest", bundle.manifest_text},
          {"signature", bundle.signature.Encode()},
          {"parts", std::move(parts)},
          {"attachments", std::move(attachments)}};
}

Result<json> IncidentArchive::AuditEntries(const std::string& incident_id, bool partner,
                                           int* watchlist) {
  json entries = json::array();
  Status status = Guarded([&]() -> Status {
    // Subjects are ids of several kinds (incident 3, deployment 3 and alert 3 are all
    // "3"), so each kind of id is matched with its own actions.
    SQLite::Statement query(
        *db_,
        "SELECT seq, at, actor, origin, action, subject, detail, prev_hash, hash FROM audit "
        "WHERE (subject=:incident AND (action LIKE 'incident.%' OR action LIKE 'exercise.%' OR "
        "action IN ('report.create', 'watchlist.assign', 'watchlist.unassign'))) "
        "OR (json_valid(detail) AND json_extract(detail, '$.incident')=:incident) "
        "OR (action LIKE 'deployment.%' AND subject IN (SELECT CAST(id AS TEXT) FROM "
        "deployments WHERE incident_id=:incident)) "
        "OR (action LIKE 'task.%' AND subject IN (SELECT t.id FROM tasks t JOIN deployments d "
        "ON d.id=t.deployment_id WHERE d.incident_id=:incident)) "
        "OR (action LIKE 'alert.%' AND subject IN (SELECT CAST(id AS TEXT) FROM alerts WHERE "
        "incident_id=:incident)) "
        "ORDER BY seq");
    query.bind(":incident", incident_id);
    while (query.executeStep()) {
      const std::string action = query.getColumn(4).getString();
      if (action.rfind("watchlist.", 0) == 0) {
        ++*watchlist;
        if (partner) continue;
      }
      entries.push_back({{"seq", query.getColumn(0).getInt64()},
                         {"at", FormatTimestamp(query.getColumn(1).getInt64())},
                         {"actor", query.getColumn(2).getString()},
                         {"origin", query.getColumn(3).getString()},
                         {"action", action},
                         {"subject", query.getColumn(5).getString()},
                         {"detail", json::parse(query.getColumn(6).getString(), nullptr, false)},
                         {"prev_hash", query.getColumn(7).getString()},
                         {"hash", query.getColumn(8).getString()}});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return entries;
}

Result<ArchiveBundle> IncidentArchive::Build(const std::string& incident_id,
                                             const std::optional<pb::Marking>& releasable,
                                             const archive::SigningKey& key, const Actor& actor) {
  Result<json> incident = incidents_.Get(incident_id);
  if (!incident.ok()) return incident.status();
  Result<json> board = views_.IncidentStatus(incident_id);
  if (!board.ok()) return board.status();
  Result<json> findings = views_.IncidentFindings(incident_id);
  if (!findings.ok()) return findings.status();
  Result<json> positions = views_.GeoJson(incident_id, releasable);
  if (!positions.ok()) return positions.status();
  Result<json> timeline = timeline_.OfIncident(incident_id);
  if (!timeline.ok()) return timeline.status();
  int watchlist_entries = 0;
  Result<json> audit = AuditEntries(incident_id, releasable.has_value(), &watchlist_entries);
  if (!audit.ok()) return audit.status();

  const auto allowed = [&](const pb::Marking& marking) {
    return !releasable || pb::ReleasableAt(marking, *releasable);
  };
  archive::Manifest manifest;
  ArchiveBundle bundle;
  pb::Marking included;  // the highest marking of what goes in
  const IncidentMarkings markings(*board, playbooks_);
  const pb::Marking anything = markings.Highest(*findings);

  json released = json::array();
  std::set<std::int64_t> listed;  // one file in two findings is one file of the archive
  for (json& finding : *findings) {
    const pb::Marking effective = markings.OfFinding(finding);
    if (!allowed(effective)) {
      ++manifest.withheld.findings;
      manifest.withheld.attachments += static_cast<int>(finding["attachments"].size());
      continue;
    }
    included = pb::Raise(included, effective);
    for (json& attached : finding["attachments"]) {
      if (attached["state"] != "verified") {
        attached["archive_path"] = nullptr;
        continue;
      }
      const std::int64_t id = attached["id"];
      ArchiveAttachment file{id,
                             "attachments/" + std::to_string(id) + "-" +
                                 archive::SafeFileName(attached["name"].get<std::string>()),
                             attached["sha256"], attached["size"]};
      attached["archive_path"] = file.path;
      if (listed.insert(id).second) bundle.attachments.push_back(std::move(file));
    }
    released.push_back(std::move(finding));
  }

  bundle.parts["incident.json"] = Text(*incident);
  bundle.parts["findings.json"] = Text(released);
  bundle.parts["positions.geojson"] = Text(*positions);
  for (const json& feature : (*positions)["features"]) {
    included = pb::Raise(included,
                         pb::StoredMarking(feature["properties"]["marking"].get<std::string>()));
  }
  if (releasable) manifest.withheld.watchlist = WithholdPersons(*board, *timeline) + watchlist_entries;
  const bool whole_parts = allowed(anything);
  const std::map<std::string, const json*> incident_wide = {
      {"status.json", &*board}, {"timeline.json", &*timeline}, {"audit.json", &*audit}};
  for (const auto& [path, content] : incident_wide) {
    if (whole_parts) {
      bundle.parts[path] = Text(*content);
    } else {
      manifest.withheld.parts.push_back(path);
    }
  }
  if (whole_parts) included = pb::Raise(included, anything);

  manifest.incident = incident_id;
  manifest.hq = hq_id_;
  manifest.exercise = (*incident)["exercise"].get<bool>();
  manifest.created_at = FormatTimestamp(clock_.Now());
  manifest.created_by = actor.name;
  manifest.releasable = releasable ? pb::ToString(*releasable) : "";
  manifest.marking = pb::ToString(included);
  Status head = Guarded([&]() -> Status {
    SQLite::Statement last(*db_, "SELECT hash FROM audit ORDER BY seq DESC LIMIT 1");
    manifest.audit_head = last.executeStep() ? last.getColumn(0).getString() : kAuditGenesis;
    return Status::Ok();
  });
  if (!head.ok()) return head;
  for (const auto& [path, text] : bundle.parts) {
    manifest.files.push_back({path, Sha256Hex(text), static_cast<std::int64_t>(text.size())});
  }
  for (const ArchiveAttachment& file : bundle.attachments) {
    manifest.files.push_back({file.path, file.sha256, file.bytes});
  }
  bundle.manifest_text = Text(manifest.Encode());
  Result<archive::ManifestSignature> signature = archive::SignManifest(bundle.manifest_text, key);
  if (!signature.ok()) return signature.status();
  bundle.signature = *signature;

  MUSTER_RETURN_IF_ERROR(audit_.Record(
      {actor,
       "incident.archive",
       incident_id,
       {{"releasable", manifest.releasable},
        {"files", manifest.files.size()},
        {"withheld_findings", manifest.withheld.findings},
        {"withheld_parts", manifest.withheld.parts},
        {"key_id", key.key_id},
        {"manifest_sha256", Sha256Hex(bundle.manifest_text)}}}));
  return bundle;
}

}  // namespace muster::hq
