#include "sync/delivery_queue.h"

#include <SQLiteCpp/Statement.h>

#include "muster/sqlite_store.h"
#include "muster/wire/packing.h"

namespace muster::hq {

std::vector<std::string> DeliveryQueue::ActiveAgentsOf(const std::string& member_id) {
  auto query = statements_.Get(
      "SELECT id FROM agents WHERE member_id=? AND status='active' ORDER BY created_at, id");
  query->bind(1, member_id);
  std::vector<std::string> agents;
  while (query->executeStep()) agents.push_back(query->getColumn(0).getString());
  return agents;
}

Status DeliveryQueue::QueueText(const std::string& agent_id, const std::string& kind,
                                const std::string& body) {
  return Append(agent_id, kind, body, std::nullopt);
}

Status DeliveryQueue::QueueShared(const std::vector<std::string>& agent_ids,
                                  const std::string& kind, const std::string& body) {
  if (agent_ids.size() == 1) return QueueText(agent_ids.front(), kind, body);
  if (agent_ids.empty()) return Status::Ok();
  auto insert = statements_.Get("INSERT INTO outbound_bodies(body) VALUES(?)");
  insert->bind(1, body);
  insert->exec();
  const std::int64_t body_id = db_->getLastInsertRowid();
  for (const std::string& agent_id : agent_ids) {
    MUSTER_RETURN_IF_ERROR(Append(agent_id, kind, std::string(), body_id));
  }
  return Status::Ok();
}

Status DeliveryQueue::Append(const std::string& agent_id, const std::string& kind,
                             const std::string& body, std::optional<std::int64_t> body_id) {
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
      "INSERT INTO outbound(agent_id, seq, kind, body, body_id, created_at) VALUES(?,?,?,?,?,?)");
  insert->bind(1, agent_id);
  insert->bind(2, seq);
  insert->bind(3, kind);
  insert->bind(4, body);
  if (body_id) {
    insert->bind(5, *body_id);
  } else {
    insert->bind(5);
  }
  insert->bind(6, static_cast<std::int64_t>(clock_.Now()));
  insert->exec();
  return Status::Ok();
}

Result<DeliveryQueue::PackedBody> DeliveryQueue::Pack(const char* text, std::size_t bytes) {
  const json body = json::parse(text, text + bytes, nullptr, false);
  if (body.is_discarded()) {
    return Status::Error(ErrorCode::kStoreCorrupt,
                         "a queued delivery's body is not JSON; restore the "
                         "store from a backup");
  }
  auto packed = std::make_shared<std::string>();
  wire::pack::Value(*packed, body);
  return PackedBody{std::move(packed), bytes};
}

Result<DeliveryQueue::PackedBody> DeliveryQueue::Shared(std::int64_t body_id) {
  constexpr std::size_t kSharedBodies = 16;
  auto kept = shared_bodies_.find(body_id);
  if (kept != shared_bodies_.end()) return kept->second;
  auto query = statements_.Get("SELECT body FROM outbound_bodies WHERE id=?");
  query->bind(1, body_id);
  if (!query->executeStep()) {
    return Status::Error(ErrorCode::kStoreCorrupt, "delivery body " + std::to_string(body_id) +
                                                       " is missing from outbound_bodies");
  }
  const SQLite::Column text = query->getColumn(0);
  auto packed =
      Pack(static_cast<const char*>(text.getBlob()), static_cast<std::size_t>(text.getBytes()));
  if (!packed.ok()) return packed.status();
  if (shared_bodies_.size() >= kSharedBodies) shared_bodies_.erase(shared_bodies_.begin());
  return shared_bodies_[body_id] = std::move(packed).value();
}

Delivery DeliveryQueue::QueuedDelivery::Unpacked() const {
  return {seq, kind, at, json::from_msgpack(*packed_body)};
}

Result<std::vector<DeliveryQueue::QueuedDelivery>> DeliveryQueue::Pending(
    const std::string& agent_id, std::uint64_t after, std::size_t max) {
  std::vector<QueuedDelivery> deliveries;
  Status status = Guarded([&]() -> Status {
    auto query = statements_.Get(
        "SELECT seq, kind, body, created_at, body_id FROM outbound WHERE agent_id=? AND seq>? "
        "ORDER BY seq LIMIT ?");
    query->bind(1, agent_id);
    query->bind(2, static_cast<std::int64_t>(after));
    query->bind(3, static_cast<std::int64_t>(max));
    while (query->executeStep()) {
      const SQLite::Column text = query->getColumn(2);
      Result<PackedBody> body = query->getColumn(4).isNull()
                                    ? Pack(static_cast<const char*>(text.getBlob()),
                                           static_cast<std::size_t>(text.getBytes()))
                                    : Shared(query->getColumn(4).getInt64());
      if (!body.ok()) return body.status();
      deliveries.push_back({static_cast<std::uint64_t>(query->getColumn(0).getInt64()),
                            query->getColumn(1).getString(), query->getColumn(3).getInt64(),
                            std::move(body->packed), body->text_bytes});
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return deliveries;
}

}  // namespace muster::hq
