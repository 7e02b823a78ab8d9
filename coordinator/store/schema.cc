#include "store/schema.h"

namespace muster::hq {

// Version 1: the first schema. Later versions are appended, never edited.
const std::vector<Migration>& HqMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, R"sql(
CREATE TABLE meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
CREATE TABLE incidents(
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  hazards TEXT NOT NULL DEFAULT '[]',
  location TEXT NOT NULL DEFAULT '',
  severity TEXT NOT NULL DEFAULT 'medium',
  status TEXT NOT NULL DEFAULT 'open',
  created_at INTEGER NOT NULL);
CREATE TABLE members(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  roles TEXT NOT NULL DEFAULT '[]',
  qualifications TEXT NOT NULL DEFAULT '[]',
  contact TEXT NOT NULL DEFAULT '',
  checkin_interval_ms INTEGER NOT NULL DEFAULT 3600000,
  created_at INTEGER NOT NULL);
CREATE TABLE agents(
  id TEXT PRIMARY KEY,
  member_id TEXT NOT NULL REFERENCES members(id),
  public_key TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL DEFAULT 'active',
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_contact_at INTEGER,
  ingested INTEGER NOT NULL DEFAULT 0,
  applied INTEGER NOT NULL DEFAULT 0,
  next_delivery INTEGER NOT NULL DEFAULT 1);
CREATE TABLE playbooks(
  id TEXT NOT NULL,
  version TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  source TEXT NOT NULL,
  published_at INTEGER NOT NULL,
  PRIMARY KEY(id, version));
CREATE TABLE deployments(
  id INTEGER PRIMARY KEY,
  incident_id TEXT NOT NULL REFERENCES incidents(id),
  playbook_hash TEXT NOT NULL REFERENCES playbooks(hash),
  status TEXT NOT NULL DEFAULT 'active',
  created_at INTEGER NOT NULL,
  closed_at INTEGER);
CREATE TABLE assignments(
  deployment_id INTEGER NOT NULL REFERENCES deployments(id),
  role TEXT NOT NULL,
  member_id TEXT NOT NULL REFERENCES members(id),
  PRIMARY KEY(deployment_id, role, member_id));
CREATE TABLE tasks(
  id TEXT PRIMARY KEY,
  deployment_id INTEGER NOT NULL REFERENCES deployments(id),
  step_id TEXT NOT NULL,
  member_id TEXT NOT NULL REFERENCES members(id),
  state TEXT NOT NULL,
  dormant INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '',
  ready_at INTEGER,
  due_at INTEGER,
  status_seq INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL);
CREATE INDEX tasks_by_deployment ON tasks(deployment_id, step_id);
CREATE TABLE inbound(
  agent_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  outcome TEXT NOT NULL,
  PRIMARY KEY(agent_id, seq)) WITHOUT ROWID;
CREATE TABLE findings(
  id INTEGER PRIMARY KEY,
  agent_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  task_id TEXT NOT NULL REFERENCES tasks(id),
  recorded_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  fields TEXT NOT NULL,
  confirmed TEXT NOT NULL DEFAULT '[]',
  UNIQUE(agent_id, seq));
CREATE INDEX findings_by_task ON findings(task_id);
CREATE TABLE alerts(
  id INTEGER PRIMARY KEY,
  incident_id TEXT NOT NULL,
  deployment_id INTEGER,
  kind TEXT NOT NULL,
  severity TEXT NOT NULL,
  message TEXT NOT NULL,
  source TEXT NOT NULL,
  raised_at INTEGER NOT NULL,
  acked_by TEXT,
  acked_at INTEGER,
  dedupe TEXT UNIQUE);
CREATE TABLE fired_triggers(
  deployment_id INTEGER NOT NULL REFERENCES deployments(id),
  trigger_id TEXT NOT NULL,
  fired_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  PRIMARY KEY(deployment_id, trigger_id));
CREATE TABLE outbound(
  agent_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY(agent_id, seq)) WITHOUT ROWID;
CREATE TABLE timeline(
  id INTEGER PRIMARY KEY,
  incident_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  text TEXT NOT NULL);
)sql"},
      // Version 2: the latest value of every finding field per deployment, so that
      // triggers read one small table instead of every finding ever recorded.
      {2, R"sql(
CREATE TABLE finding_values(
  deployment_id INTEGER NOT NULL REFERENCES deployments(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY(deployment_id, key)) WITHOUT ROWID;
INSERT OR REPLACE INTO finding_values(deployment_id, key, value, recorded_at)
  SELECT t.deployment_id, t.step_id || '.' || j.key,
         CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                     ELSE json_quote(j.value) END,
         f.recorded_at
  FROM findings f JOIN tasks t ON t.id = f.task_id, json_each(f.fields) j
  ORDER BY f.recorded_at, f.id;
)sql"},
      // Version 3: the audit log (store/audit_chain.h). Append-only: the triggers refuse every
      // UPDATE and DELETE, and the hash chain shows any edit made around them.
      {3, R"sql(
CREATE TABLE audit(
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  origin TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL);
CREATE INDEX audit_by_actor ON audit(actor, seq);
CREATE INDEX audit_by_subject ON audit(subject, seq);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql"},
      // Version 4: attached files. Chunks are kept as they arrive (each checked against
      // its sha256); the file's state becomes verified once all are in and their
      // concatenation matches the sha256 the agent took when the member attached it.
      {4, R"sql(
ALTER TABLE findings ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
CREATE TABLE attachments(
  id INTEGER PRIMARY KEY,
  agent_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  task_id TEXT NOT NULL REFERENCES tasks(id),
  name TEXT NOT NULL,
  size INTEGER NOT NULL,
  chunk_bytes INTEGER NOT NULL,
  chunks INTEGER NOT NULL,
  received INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'receiving',
  first_at INTEGER NOT NULL,
  verified_at INTEGER,
  UNIQUE(agent_id, sha256));
CREATE TABLE attachment_chunks(
  attachment_id INTEGER NOT NULL REFERENCES attachments(id),
  idx INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY(attachment_id, idx));
)sql"},
      // Version 5: tactical reports, an officer's account of an incident at a moment:
      // conditions, actions, and needs (a JSON array of text).
      {5, R"sql(
CREATE TABLE reports(
  id INTEGER PRIMARY KEY,
  incident_id TEXT NOT NULL REFERENCES incidents(id),
  at INTEGER NOT NULL,
  author TEXT NOT NULL,
  conditions TEXT NOT NULL,
  actions TEXT NOT NULL,
  needs TEXT NOT NULL DEFAULT '[]');
CREATE INDEX reports_by_incident ON reports(incident_id, id);
)sql"},
      // Version 6: a deployment whose tasks changed since its team was last told
      // (TeamRelay::Relay sends one snapshot for many changes).
      {6, R"sql(
ALTER TABLE deployments ADD COLUMN team_dirty INTEGER NOT NULL DEFAULT 0;
)sql"},
      // Version 7: the team relay sends changes. Each deployment's team view has a version;
      // each task its place in the view, the state last relayed and the versions that
      // added and last changed it; each agent the version it will hold once it has
      // applied the last team delivery queued to it (hq_team.cc).
      {7, R"sql(
ALTER TABLE deployments ADD COLUMN team_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN team_index INTEGER;
ALTER TABLE tasks ADD COLUMN team_state TEXT;
ALTER TABLE tasks ADD COLUMN team_added INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN team_changed INTEGER NOT NULL DEFAULT 0;
CREATE TABLE team_views(
  agent_id TEXT NOT NULL,
  deployment_id INTEGER NOT NULL,
  version INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY(agent_id, deployment_id)) WITHOUT ROWID;
)sql"},
      // Version 8: files travel in pieces sized to the link, each at its byte offset,
      // rather than in fixed chunks; `received` counts the bytes the pieces cover.
      {8, R"sql(
CREATE TABLE attachment_pieces(
  attachment_id INTEGER NOT NULL REFERENCES attachments(id),
  offset INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY(attachment_id, offset)) WITHOUT ROWID;
INSERT INTO attachment_pieces(attachment_id, offset, data)
  SELECT c.attachment_id, c.idx * a.chunk_bytes, c.data FROM attachment_chunks c
  JOIN attachments a ON a.id=c.attachment_id;
DROP TABLE attachment_chunks;
UPDATE attachments SET received=(SELECT COALESCE(SUM(length(data)), 0) FROM attachment_pieces
                                 WHERE attachment_id=attachments.id);
ALTER TABLE attachments DROP COLUMN chunk_bytes;
ALTER TABLE attachments DROP COLUMN chunks;
)sql"},
      // Version 9: lookups by member, which every delivery to a member's agent, every
      // team relay and every deployment make, use an index instead of a scan (with 10,000
      // agents a scan per lookup was most of HQ's time per record).
      {9, R"sql(
CREATE INDEX agents_by_member ON agents(member_id, status, created_at);
CREATE INDEX assignments_by_member ON assignments(member_id);
CREATE INDEX tasks_by_member ON tasks(member_id);
)sql"},
      // Version 10: a body queued to a whole team (the pinned playbook, the team's view)
      // is stored once and each agent's delivery refers to it; a deployment to 200
      // members wrote and read the same body 200 times.
      {10, R"sql(
CREATE TABLE outbound_bodies(
  id INTEGER PRIMARY KEY,
  body TEXT NOT NULL);
ALTER TABLE outbound ADD COLUMN body_id INTEGER REFERENCES outbound_bodies(id);
)sql"},
      // Version 11: the checklist items members ticked, the newest record per item.
      {11, R"sql(
CREATE TABLE checklist_ticks(
  task_id TEXT NOT NULL,
  item INTEGER NOT NULL,
  checked INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY(task_id, item)) WITHOUT ROWID;
)sql"},
      // Version 12: named operators with roles and argon2id password hashes, and their
      // sessions (the SHA-256 of each bearer token, never the token).
      {12, R"sql(
CREATE TABLE operators(
  name TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  password_changed_at INTEGER NOT NULL);
CREATE TABLE operator_sessions(
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  operator TEXT NOT NULL REFERENCES operators(name),
  client TEXT NOT NULL,
  csrf TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  ended_at INTEGER);
CREATE INDEX operator_sessions_by_operator ON operator_sessions(operator, ended_at);
)sql"},
      // Version 13: a task a trigger stood down (not one an officer cancelled): work its
      // member did before learning of it is accepted, not raised as a conflict.
      {13, R"sql(
ALTER TABLE tasks ADD COLUMN stood_down INTEGER NOT NULL DEFAULT 0;
)sql"},
      // Version 14: recurring steps. Occurrence 1 is the task made at deployment; each
      // later occurrence is a task "BASE#k" of the same step and member.
      {14, R"sql(
ALTER TABLE tasks ADD COLUMN occurrence INTEGER NOT NULL DEFAULT 1;
)sql"},
      // Version 15: playbook governance. The authors' keys HQ trusts; each published
      // version's signature (the JSON of playbook::Signature, NULL when unsigned), its
      // window of validity as its text says, and its revocation.
      {15, R"sql(
CREATE TABLE playbook_authors(
  key_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  public_key TEXT NOT NULL UNIQUE,
  added_at INTEGER NOT NULL,
  added_by TEXT NOT NULL,
  revoked_at INTEGER,
  revoked_by TEXT NOT NULL DEFAULT '');
ALTER TABLE playbooks ADD COLUMN signature TEXT;
ALTER TABLE playbooks ADD COLUMN valid_from TEXT NOT NULL DEFAULT '';
ALTER TABLE playbooks ADD COLUMN valid_until TEXT NOT NULL DEFAULT '';
ALTER TABLE playbooks ADD COLUMN revoked_at INTEGER;
ALTER TABLE playbooks ADD COLUMN revoked_by TEXT NOT NULL DEFAULT '';
ALTER TABLE playbooks ADD COLUMN revoke_reason TEXT NOT NULL DEFAULT '';
)sql"},
      // Version 16: a finding's handling marking, its step's raised by what the member gave.
      {16, R"sql(
ALTER TABLE findings ADD COLUMN marking TEXT NOT NULL DEFAULT '';
)sql"},
      // Version 17: agents' clocks (domain/agent_clocks.h). Each agent's offset from HQ's
      // clock as it last reported it; a record's time at HQ is the agent's corrected by it
      // (findings keep the agent's own in agent_at); records that came before the offset
      // was known are marked, to be placed again; timeline entries a record made name it.
      // Findings held before keep their laptop's time, but never after their receipt.
      {17, R"sql(
ALTER TABLE agents ADD COLUMN clock_offset_ms INTEGER;
ALTER TABLE agents ADD COLUMN clock_rtt_ms INTEGER;
ALTER TABLE agents ADD COLUMN clock_reported_at INTEGER;
ALTER TABLE agents ADD COLUMN clock_alerted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbound ADD COLUMN clock_known INTEGER NOT NULL DEFAULT 1;
CREATE INDEX inbound_provisional ON inbound(agent_id) WHERE clock_known=0;
ALTER TABLE findings ADD COLUMN agent_at INTEGER;
UPDATE findings SET agent_at=recorded_at, recorded_at=MIN(recorded_at, received_at);
DELETE FROM finding_values;
INSERT OR REPLACE INTO finding_values(deployment_id, key, value, recorded_at)
  SELECT t.deployment_id, t.step_id || '.' || j.key,
         CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                     ELSE json_quote(j.value) END,
         f.recorded_at
  FROM findings f JOIN tasks t ON t.id = f.task_id, json_each(f.fields) j
  ORDER BY f.recorded_at, f.id;
ALTER TABLE timeline ADD COLUMN agent_id TEXT;
ALTER TABLE timeline ADD COLUMN seq INTEGER;
CREATE INDEX timeline_by_record ON timeline(agent_id, seq) WHERE agent_id IS NOT NULL;
)sql"},
      // Version 18: wipe orders (docs/protocol.md, WIPE). A revoked agent with an order and
      // no confirmation may connect for that one exchange.
      {18, R"sql(
ALTER TABLE agents ADD COLUMN wipe_order_id TEXT;
ALTER TABLE agents ADD COLUMN wipe_ordered_at INTEGER;
ALTER TABLE agents ADD COLUMN wiped_at INTEGER;
)sql"},
      // Version 19: check-ins with a position (`position` records), each kept; a member's
      // last known position is the newest by HQ's time.
      {19, R"sql(
CREATE TABLE positions(
  agent_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  member_id TEXT NOT NULL,
  place TEXT NOT NULL,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY(agent_id, seq)) WITHOUT ROWID;
CREATE INDEX positions_by_member ON positions(member_id, recorded_at);
)sql"},
      // Version 20: persons of interest (domain/watchlist.h): each entry as JSON
      // (wire::EncodeWatchlistEntry), which incidents' teams carry it, and the hits, by
      // the laptop or by HQ's own check, with the matcher's explanation.
      {20, R"sql(
CREATE TABLE watchlist(
  notice_id TEXT PRIMARY KEY,
  entry TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  added_by TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL);
CREATE TABLE watchlist_assignments(
  incident_id TEXT NOT NULL,
  notice_id TEXT NOT NULL REFERENCES watchlist(notice_id) ON DELETE CASCADE,
  assigned_at INTEGER NOT NULL,
  assigned_by TEXT NOT NULL,
  PRIMARY KEY(incident_id, notice_id)) WITHOUT ROWID;
CREATE INDEX watchlist_assignments_by_notice ON watchlist_assignments(notice_id);
CREATE TABLE watchlist_hits(
  id INTEGER PRIMARY KEY,
  incident_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  member_id TEXT NOT NULL,
  notice_id TEXT NOT NULL,
  person TEXT NOT NULL,
  score_milli INTEGER NOT NULL,
  document INTEGER NOT NULL,
  explanation TEXT NOT NULL,
  checked_by TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  UNIQUE(task_id, notice_id, person, checked_by));
CREATE INDEX watchlist_hits_by_incident ON watchlist_hits(incident_id, id);
)sql"},
      // Version 21: exercises (domain/exercises.h). An incident opened as an exercise is
      // marked on every view and kept out of the programme's statistics; its script of
      // injects, each inject's firing, and the members its silence injects cut off.
      {21, R"sql(
ALTER TABLE incidents ADD COLUMN exercise INTEGER NOT NULL DEFAULT 0;
CREATE TABLE exercise_runs(
  incident_id TEXT PRIMARY KEY REFERENCES incidents(id),
  name TEXT NOT NULL,
  script TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  started_by TEXT NOT NULL);
CREATE TABLE exercise_injects(
  incident_id TEXT NOT NULL REFERENCES exercise_runs(incident_id),
  idx INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  summary TEXT NOT NULL,
  fired_at INTEGER,
  outcome TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(incident_id, idx)) WITHOUT ROWID;
CREATE TABLE exercise_silences(
  member_id TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  from_at INTEGER NOT NULL,
  until_at INTEGER NOT NULL);
CREATE INDEX exercise_silences_by_member ON exercise_silences(member_id, until_at);
)sql"},
      // Version 22: when an exercise ended (its last deployment closed, or the incident),
      // so that a later deployment does not bring its injects and silences back.
      {22, R"sql(
ALTER TABLE exercise_runs ADD COLUMN ended_at INTEGER;
)sql"},
      // Version 23: the country of an incident (ISO 3166-1 alpha-2, '' when not given),
      // by which the monthly intelligence report counts (views/monthly_report.h).
      {23, R"sql(
ALTER TABLE incidents ADD COLUMN country TEXT NOT NULL DEFAULT '';
)sql"},
  };
  return kMigrations;
}

}  // namespace muster::hq
