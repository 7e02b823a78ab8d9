#include "sync/ingest.h"

#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <set>

#include "muster/error_code.h"
#include "muster/protocol.h"
#include "muster/sqlite_store.h"

namespace muster::hq {
namespace {

std::string StringField(const json& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The body kept in the inbound log: a chunk's bytes are stored once, in its attachment.
// It is also what the per-record limit measures: the JSON text, as the agent measures it.
std::string LoggedBody(const InboundRecord& record) {
  if (record.kind != "attachment_chunk" || !record.body.contains("data")) {
    return record.body.dump();
  }
  json copy = record.body;
  copy.erase("data");
  return copy.dump();
}

// A record whose body is over the per-record limit: refused whole, before any effect.
// Only a mention of it is logged, so that a body squeezed through a small compressed frame
// does not take up HQ's disk anyway.
bool IsOversized(const std::string& logged) {
  return logged.size() > protocol::kMaxRecordBodyBytes;
}

std::string OversizedMention(const std::string& logged) {
  return json{{"omitted", "too_large"}, {"bytes", logged.size()}}.dump();
}

Status RefuseOversized(const std::string& logged) {
  return Status::Error(ErrorCode::kTooLarge,
                       "the record's body is " + std::to_string(logged.size()) +
                           " bytes; the limit is " + std::to_string(protocol::kMaxRecordBodyBytes) +
                           ": shorten the text or attach a file instead");
}

}  // namespace

Result<IngestOutcome> Ingest::Commit(const std::string& agent_id,
                                     const std::vector<InboundRecord>& records,
                                     const std::string& peer) {
  return std::move(CommitGroup({IngestBatch{agent_id, records, peer}}).front());
}

std::vector<Result<IngestOutcome>> Ingest::CommitGroup(const std::vector<IngestBatch>& batches) {
  std::vector<Result<IngestOutcome>> results;
  results.reserve(batches.size());
  Status committed = InTransaction(*db_, [&]() -> Status {
    results.clear();
    for (const IngestBatch& batch : batches) {
      const Actor actor{"agent:" + batch.agent_id,
                        "agent:" + batch.agent_id + "@" + (batch.peer.empty() ? "?" : batch.peer)};
      IngestOutcome outcome;
      statements_.Get("SAVEPOINT batch")->exec();
      Status applied = Guarded(*db_, [&] { return ApplyBatch(batch, actor, outcome); });
      if (!applied.ok()) statements_.Get("ROLLBACK TO batch")->exec();
      statements_.Get("RELEASE batch")->exec();
      if (applied.ok()) {
        results.emplace_back(std::move(outcome));
      } else {
        results.emplace_back(applied);
      }
    }
    return Status::Ok();
  });
  if (!committed.ok()) {
    results.assign(batches.size(), Result<IngestOutcome>(committed));
  }
  return results;
}

Status Ingest::ApplyBatch(const IngestBatch& batch, const Actor& actor, IngestOutcome& outcome) {
  const std::string& agent_id = batch.agent_id;
  Result<std::optional<AgentRecord>> found = directory_.Find(agent_id);
  if (!found.ok()) return found.status();
  const std::optional<AgentRecord>& agent = *found;
  if (!agent || agent->status != "active") {
    return Status::Error(ErrorCode::kForbidden,
                         "agent " + agent_id + " is not enrolled or revoked");
  }
  if (batch.clock) {
    MUSTER_RETURN_IF_ERROR(
        clocks_.Record(agent_id, *batch.clock, &outcome.deployments_to_evaluate));
  }
  const Millis now = clock_.Now();
  std::vector<std::uint64_t> fresh;
  for (const InboundRecord& record : batch.records) {
    Result<bool> taken = Take(*agent, record, actor, now, outcome);
    if (!taken.ok()) return taken.status();
    if (*taken) fresh.push_back(record.seq);
  }
  if (!fresh.empty()) {
    json refused = json::array();
    for (const auto& [seq, why] : outcome.refused) {
      refused.push_back({{"seq", seq}, {"code", why.wire_code()}});
    }
    MUSTER_RETURN_IF_ERROR(audit_.Record({actor,
                                          "records.ingest",
                                          agent_id,
                                          {{"first", *std::min_element(fresh.begin(), fresh.end())},
                                           {"last", *std::max_element(fresh.begin(), fresh.end())},
                                           {"records", fresh.size()},
                                           {"refused", refused}}}));
  }
  for (std::int64_t deployment : outcome.deployments_to_evaluate) {
    MUSTER_RETURN_IF_ERROR(deployments_.EvaluateTriggers(deployment, agent_id, outcome));
  }
  // The team learns of it at the next relay, with whatever else changed meanwhile.
  team_.MarkDirty(outcome.team_changed);
  outcome.ingested = static_cast<std::uint64_t>(AdvanceWatermark(agent_id, outcome.held, now));
  return Status::Ok();
}

Result<bool> Ingest::Take(const AgentRecord& agent, const InboundRecord& record, const Actor& actor,
                          Millis now, IngestOutcome& outcome) {
  if (record.seq == 0) {
    outcome.refused.emplace_back(0,
                                 Status::Error(ErrorCode::kMalformed, "seq 0 is not a sequence"));
    ++outcome.refused_by_kind[record.kind];
    return false;
  }
  auto insert = statements_.Get(
      "INSERT OR IGNORE INTO inbound(agent_id, seq, kind, recorded_at, received_at, body, "
      "outcome, clock_known) VALUES(?,?,?,?,?,?, 'applied', ?)");
  const Placement placed = clocks_.Place(agent.id, record.at, now);
  insert->bind(1, agent.id);
  insert->bind(2, static_cast<std::int64_t>(record.seq));
  insert->bind(3, record.kind);
  insert->bind(4, static_cast<std::int64_t>(record.at));
  insert->bind(5, static_cast<std::int64_t>(now));
  const std::string logged = LoggedBody(record);
  const bool oversized = IsOversized(logged);
  insert->bind(6, oversized ? OversizedMention(logged) : logged);
  insert->bind(7, placed.known ? 1 : 0);
  const int inserted = insert->exec();
  insert->reset();
  outcome.held.push_back(record.seq);
  if (inserted == 0) return false;  // seen before: its effect is already in the store
  statements_.Get("SAVEPOINT record")->exec();
  const std::size_t notify_before = outcome.agents_to_notify.size();
  const std::set<std::int64_t> team_before = outcome.team_changed;
  Status applied = oversized ? RefuseOversized(logged) : ApplyRecord(agent, record, placed.at, outcome);
  if (applied.ok()) {
    statements_.Get("RELEASE record")->exec();
    ++outcome.applied_by_kind[record.kind];
    return true;
  }
  statements_.Get("ROLLBACK TO record")->exec();
  statements_.Get("RELEASE record")->exec();
  outcome.agents_to_notify.resize(notify_before);
  outcome.team_changed = team_before;
  if (!RefusesRecord(applied.code())) return applied;
  auto refuse = statements_.Get("UPDATE inbound SET outcome=? WHERE agent_id=? AND seq=?");
  refuse->bind(1, "refused: " + applied.ToString());
  refuse->bind(2, agent.id);
  refuse->bind(3, static_cast<std::int64_t>(record.seq));
  refuse->exec();
  outcome.refused.emplace_back(record.seq, applied);
  ++outcome.refused_by_kind[record.kind];
  if (applied.code() == ErrorCode::kForbidden) {
    // Acting on another member's work: kept as evidence, never applied.
    MUSTER_RETURN_IF_ERROR(audit_.Record({actor,
                                          "record.forbidden",
                                          agent.id,
                                          {{"seq", record.seq},
                                           {"kind", record.kind},
                                           {"task", StringField(record.body, "task")},
                                           {"error", applied.message()}}}));
  }
  return true;
}

std::int64_t Ingest::AdvanceWatermark(const std::string& agent_id,
                                      const std::vector<std::uint64_t>& held, Millis now) {
  auto current = statements_.Get("SELECT ingested FROM agents WHERE id=?");
  current->bind(1, agent_id);
  current->executeStep();
  std::int64_t watermark = current->getColumn(0).getInt64();
  current->reset();
  // The batch's own seqs first, without a query each; then whatever was held before.
  const std::set<std::uint64_t> batch(held.begin(), held.end());
  while (batch.count(static_cast<std::uint64_t>(watermark) + 1)) ++watermark;
  auto probe = statements_.Get("SELECT 1 FROM inbound WHERE agent_id=? AND seq=?");
  while (true) {
    probe->bind(1, agent_id);
    probe->bind(2, watermark + 1);
    const bool present = probe->executeStep();
    probe->reset();
    if (!present) break;
    ++watermark;
  }
  auto update = statements_.Get("UPDATE agents SET ingested=?, last_contact_at=? WHERE id=?");
  update->bind(1, watermark);
  update->bind(2, static_cast<std::int64_t>(now));
  update->bind(3, agent_id);
  update->exec();
  return watermark;
}

Result<std::uint64_t> Ingest::Watermark(const std::string& agent_id) {
  std::uint64_t watermark = 0;
  Status status = Guarded([&]() -> Status {
    auto query = statements_.Get("SELECT ingested FROM agents WHERE id=?");
    query->bind(1, agent_id);
    if (query->executeStep())
      watermark = static_cast<std::uint64_t>(query->getColumn(0).getInt64());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return watermark;
}

Result<std::uint64_t> Ingest::HighestHeld(const std::string& agent_id) {
  std::uint64_t highest = 0;
  Status status = Guarded([&]() -> Status {
    auto query = statements_.Get("SELECT COALESCE(MAX(seq), 0) FROM inbound WHERE agent_id=?");
    query->bind(1, agent_id);
    query->executeStep();
    highest = static_cast<std::uint64_t>(query->getColumn(0).getInt64());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return highest;
}

Result<protocol::SeqRanges> Ingest::HeldAmong(const std::string& agent_id,
                                              const protocol::SeqRanges& ranges) {
  std::vector<std::uint64_t> held;
  Status status = Guarded([&]() -> Status {
    auto query =
        statements_.Get("SELECT seq FROM inbound WHERE agent_id=? AND seq BETWEEN ? AND ?");
    for (const protocol::SeqRange& range : ranges) {
      query->bind(1, agent_id);
      query->bind(2, static_cast<std::int64_t>(std::min<std::uint64_t>(range.first, INT64_MAX)));
      query->bind(3, static_cast<std::int64_t>(std::min<std::uint64_t>(range.last, INT64_MAX)));
      while (query->executeStep())
        held.push_back(static_cast<std::uint64_t>(query->getColumn(0).getInt64()));
      query->reset();
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return protocol::ToRanges(std::move(held));
}

}  // namespace muster::hq
