#include "sync/agent_progress.h"

#include <algorithm>

#include "muster/sqlite_store.h"

namespace muster::hq {

Status AgentProgress::MarkApplied(const std::string& agent_id, std::uint64_t applied) {
  std::int64_t before = 0;
  MUSTER_RETURN_IF_ERROR(Guarded([&]() -> Status {
    auto current = statements_.Get("SELECT applied FROM agents WHERE id=?");
    current->bind(1, agent_id);
    if (current->executeStep()) before = current->getColumn(0).getInt64();
    return Status::Ok();
  }));
  // A HELLO that repeats the watermark HQ holds changes nothing: no commit, no fsync (the
  // sync server records the contact with the others it heard).
  if (static_cast<std::int64_t>(applied) == before) return Status::Ok();
  return InTransaction(*db_, [&]() -> Status { return WriteApplied(agent_id, applied); });
}

Status AgentProgress::WriteApplied(const std::string& agent_id, std::uint64_t applied) {
  std::int64_t before = 0;
  {
    auto current = statements_.Get("SELECT applied FROM agents WHERE id=?");
    current->bind(1, agent_id);
    if (current->executeStep()) before = current->getColumn(0).getInt64();
  }
  if (static_cast<std::int64_t>(applied) == before) return Status::Ok();
  auto update = statements_.Get("UPDATE agents SET applied=? WHERE id=?");
  update->bind(1, static_cast<std::int64_t>(applied));
  update->bind(2, agent_id);
  update->exec();
  // A ready task whose snapshot the agent has now committed is "delivered". Only the
  // deliveries newly applied are looked at: the ones below were handled when the
  // watermark passed them, and an agent's deliveries grow for as long as it serves.
  auto delivered = statements_.Get(
      "UPDATE tasks SET state='delivered' WHERE state='ready' AND id IN (SELECT "
      "json_extract(body,'$.task') FROM outbound WHERE agent_id=? AND kind='task' AND seq>? "
      "AND seq<=? AND json_extract(body,'$.state')='ready')");
  delivered->bind(1, agent_id);
  delivered->bind(2, std::min<std::int64_t>(before, static_cast<std::int64_t>(applied)));
  delivered->bind(3, static_cast<std::int64_t>(applied));
  delivered->exec();
  return Status::Ok();
}

Result<std::uint64_t> AgentProgress::AppliedWatermark(const std::string& agent_id) {
  std::uint64_t applied = 0;
  Status status = Guarded([&]() -> Status {
    auto query = statements_.Get("SELECT applied FROM agents WHERE id=?");
    query->bind(1, agent_id);
    if (query->executeStep()) applied = static_cast<std::uint64_t>(query->getColumn(0).getInt64());
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return applied;
}

Status AgentProgress::Touch(const std::string& agent_id) {
  return RecordContacts({{agent_id, clock_.Now()}});
}

Status AgentProgress::RecordContacts(const std::map<std::string, Millis>& contacts) {
  return Record(contacts, {});
}

Status AgentProgress::Record(const std::map<std::string, Millis>& contacts,
                             const std::map<std::string, std::uint64_t>& applied) {
  if (contacts.empty() && applied.empty()) return Status::Ok();
  return InTransaction(*db_, [&]() -> Status {
    for (const auto& [agent_id, at] : contacts) {
      auto update = statements_.Get(
          "UPDATE agents SET last_contact_at=MAX(COALESCE(last_contact_at, 0), ?) WHERE id=?");
      update->bind(1, static_cast<std::int64_t>(at));
      update->bind(2, agent_id);
      update->exec();
    }
    for (const auto& [agent_id, upto] : applied) {
      MUSTER_RETURN_IF_ERROR(WriteApplied(agent_id, upto));
    }
    return Status::Ok();
  });
}

}  // namespace muster::hq
