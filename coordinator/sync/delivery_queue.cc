#include "sync/delivery_queue.h"

#include <SQLiteCpp/Statement.h>

#include "muster/sqlite_store.h"

namespace muster::hq {

std::optional<std::string> DeliveryQueue::ActiveAgentOf(const std::string& member_id) {
  auto query = statements_.Get(
      "SELECT id FROM agents WHERE member_id=? AND status='active' "
      "ORDER BY created_at DESC, id DESC LIMIT 1");
  query->bind(1, member_id);
  if (!query->executeStep()) return std::nullopt;
  return query->getColumn(0).getString();
}

Status DeliveryQueue::QueueText(const std::string& agent_id, const std::string& kind,
                                const std::string& body) {
  std::int64_t seq = 0;
  {
    auto next = statements_.Get(
        "UPDATE agents SET next_delivery = next_delivery + 1 WHERE id=? RETURNING "
        "next_delivery - 1");
    next->bind(1, agent_id);
    if (!next->executeStep()) return Status::Error(ErrorCode::kNotFound, "no agent " + agent_id);
    seq = next->getColumn(0).getInt64();
  }
  auto insert = statements_.Get(
      "INSERT INTO outbound(agent_id, seq, kind, body, created_at) VALUES(?,?,?,?,?)");
  insert->bind(1, agent_id);
  insert->bind(2, seq);
  insert->bind(3, kind);
  insert->bind(4, body);
  insert->bind(5, static_cast<std::int64_t>(clock_.Now()));
  insert->exec();
  return Status::Ok();
}

Result<std::vector<DeliveryQueue::QueuedDelivery>> DeliveryQueue::Pending(
    const std::string& agent_id, std::uint64_t after, std::size_t max) {
  // Bodies above this size are kept parsed: a deployment's playbook goes to every member.
  constexpr std::size_t kKeepParsedAbove = 4096;
  constexpr std::size_t kParsedBodies = 8;
  const auto parse = [&](const std::string& text) -> json {
    if (text.size() <= kKeepParsedAbove) return json::parse(text, nullptr, false);
    auto kept = parsed_bodies_.find(text);
    if (kept != parsed_bodies_.end()) return kept->second;
    if (parsed_bodies_.size() >= kParsedBodies) parsed_bodies_.clear();
    return parsed_bodies_.emplace(text, json::parse(text, nullptr, false)).first->second;
  };
  std::vector<QueuedDelivery> deliveries;
  Status status = Guarded([&]() -> Status {
    auto query = statements_.Get(
        "SELECT seq, kind, body, created_at FROM outbound WHERE agent_id=? AND seq>? ORDER BY "
        "seq LIMIT ?");
    query->bind(1, agent_id);
    query->bind(2, static_cast<std::int64_t>(after));
    query->bind(3, static_cast<std::int64_t>(max));
    while (query->executeStep()) {
      const std::string text = query->getColumn(2).getString();
      deliveries.push_back(
          {{static_cast<std::uint64_t>(query->getColumn(0).getInt64()),
            query->getColumn(1).getString(), query->getColumn(3).getInt64(), parse(text)},
           text.size()});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return deliveries;
}

}  // namespace muster::hq
