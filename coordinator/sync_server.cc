#include "sync_server.h"

#include <algorithm>

#include "muster/log.h"

namespace muster::hq {

using nlohmann::json;
using protocol::Message;
using protocol::MessageType;

SyncServer::SyncServer(HqStore& store, const Clock& clock, Options options)
    : store_(store),
      clock_(clock),
      options_(options),
      limiter_(clock, options.messages_per_second, options.message_burst) {}

std::optional<Message> SyncServer::Admit(const std::string& agent_id) {
  const Millis retry_after = limiter_.Take(agent_id);
  if (retry_after == 0) return std::nullopt;
  Logger("sync")->warn("event=rate_limited agent={} retry_after_ms={}", agent_id, retry_after);
  Message refusal = protocol::MakeError(
      protocol::errors::kRateLimited,
      "more than " + std::to_string(static_cast<int>(options_.message_burst)) +
          " messages at once or " +
          std::to_string(static_cast<int>(options_.messages_per_second)) +
          " per second; this one was not handled: retry after " + std::to_string(retry_after) +
          " ms");
  refusal.body["retry_after_ms"] = retry_after;
  return refusal;
}

Status SyncServer::FlushContacts() {
  Status written = store_.RecordContacts(heard_);
  if (written.ok()) heard_.clear();
  return written;
}

std::vector<Message> SyncServer::Handle(const std::string& agent_id, const Message& message,
                                        const std::string& peer) {
  switch (message.type) {
    case MessageType::kHello: return OnHello(agent_id, message.body, peer);
    case MessageType::kRecords: return OnRecords(agent_id, message.body, peer);
    case MessageType::kDelivered: return OnDelivered(agent_id, message.body);
    case MessageType::kPing: {
      if (!sessions_.count(agent_id)) {
        return {protocol::MakeError(protocol::errors::kNoSession, "send HELLO first")};
      }
      heard_[agent_id] = clock_.Now();
      return {Message{MessageType::kPong, {{"time", clock_.Now()}}}};
    }
    case MessageType::kPong: return {};
    default:
      return {protocol::MakeError(protocol::errors::kUnknownType,
                                  std::string(protocol::ToString(message.type)) +
                                      " is not accepted by the coordinator")};
  }
}

std::vector<Message> SyncServer::OnHello(const std::string& agent_id, const json& body,
                                         const std::string& peer) {
  if (body["agent"].get<std::string>() != agent_id) {
    Logger("sync")->warn("event=hello_identity_mismatch agent={} claimed={}", agent_id,
                         body["agent"].get<std::string>());
    (void)store_.Audit({{"agent:" + agent_id, "agent:" + agent_id + "@" + peer},
                        "hello.forbidden",
                        agent_id,
                        {{"claimed", body["agent"].get<std::string>()}}});
    return {protocol::MakeError(protocol::errors::kForbidden,
                                "HELLO names another agent than the key that signed in")};
  }
  heard_[agent_id] = clock_.Now();
  Session& session = sessions_[agent_id];
  session.applied = body["applied"].get<std::uint64_t>();
  session.sent_upto = session.applied;  // resume right after what the agent holds
  session.last_progress = clock_.Now();
  auto restored = store_.ReconcileDeliveries(agent_id, session.applied);
  if (restored.ok() && *restored) {
    Logger("sync")->warn("event=hq_restore_detected agent={} agent_applied={} "
                         "action=requeued_current_tasks",
                         agent_id, session.applied);
  }
  Status applied = store_.MarkApplied(agent_id, session.applied);
  auto ingested = store_.IngestedWatermark(agent_id);
  auto highest = store_.HighestHeld(agent_id);
  if (!restored.ok() || !applied.ok() || !ingested.ok() || !highest.ok()) {
    sessions_.erase(agent_id);
    return {protocol::MakeError(protocol::errors::kInternal,
                                "the coordinator's store is unavailable; retry later")};
  }
  Logger("sync")->info("event=hello agent={} agent_acked={} agent_head={} hq_ingested={} "
                       "agent_applied={}",
                       agent_id, body["acked"].get<std::uint64_t>(),
                       body["head"].get<std::uint64_t>(), *ingested, session.applied);
  std::vector<Message> replies = {
      Message{MessageType::kWelcome,
              {{"hq", store_.hq_id()},
               {"ingested", *ingested},
               {"highest", *highest},
               {"time", clock_.Now()}}}};
  for (Message& delivery : Deliveries(agent_id)) replies.push_back(std::move(delivery));
  return replies;
}

std::vector<Message> SyncServer::OnRecords(const std::string& agent_id, const json& body,
                                           const std::string& peer) {
  if (!sessions_.count(agent_id)) {
    return {protocol::MakeError(protocol::errors::kNoSession, "send HELLO first")};
  }
  std::vector<InboundRecord> records;
  records.reserve(body["records"].size());
  for (const json& entry : body["records"]) {
    records.push_back({entry["seq"].get<std::uint64_t>(), entry["kind"].get<std::string>(),
                       entry["at"].get<Millis>(), entry["body"]});
  }
  Result<IngestOutcome> outcome = store_.Ingest(agent_id, records, peer);
  if (!outcome.ok()) {
    // Nothing of the batch was committed; the agent keeps it and sends it again.
    Logger("sync")->error("event=ingest_failed agent={} records={} code={} error=\"{}\"",
                          agent_id, records.size(), outcome.status().code(),
                          outcome.status().message());
    const std::string code = outcome.status().code() == "forbidden"
                                 ? protocol::errors::kForbidden
                                 : protocol::errors::kInternal;
    return {protocol::MakeError(code, outcome.status().message())};
  }
  Logger("sync")->debug("event=ingested agent={} records={} ingested={} refused={}", agent_id,
                        records.size(), outcome->ingested, outcome->refused.size());
  std::vector<Message> replies = {
      Message{MessageType::kAck, {{"seqs", outcome->held}, {"ingested", outcome->ingested}}}};
  for (const auto& [seq, status] : outcome->refused) {
    Logger("sync")->warn("event=record_refused agent={} seq={} code={} error=\"{}\"", agent_id,
                         seq, status.code(), status.message());
    replies.push_back(protocol::MakeError(status.code(), status.message(), seq));
  }
  for (const std::string& other : outcome->agents_to_notify) {
    if (std::find(notify_.begin(), notify_.end(), other) == notify_.end()) {
      notify_.push_back(other);
    }
  }
  return replies;
}

std::vector<Message> SyncServer::OnDelivered(const std::string& agent_id, const json& body) {
  auto it = sessions_.find(agent_id);
  if (it == sessions_.end()) {
    return {protocol::MakeError(protocol::errors::kNoSession, "send HELLO first")};
  }
  const std::uint64_t applied = body["applied"].get<std::uint64_t>();
  if (applied > it->second.applied) {
    it->second.applied = applied;
    it->second.last_progress = clock_.Now();
    Status status = store_.MarkApplied(agent_id, applied);
    if (!status.ok()) {
      Logger("sync")->error("event=mark_applied_failed agent={} error=\"{}\"", agent_id,
                            status.message());
    }
  }
  return Deliveries(agent_id);
}

std::vector<Message> SyncServer::Deliveries(const std::string& agent_id) {
  auto it = sessions_.find(agent_id);
  if (it == sessions_.end()) return {};
  Session& session = it->second;
  // The resend timer counts from when a window opens after an idle period, not from the
  // last progress before it.
  if (session.sent_upto == session.applied) session.last_progress = clock_.Now();
  std::vector<Message> messages;
  while (session.sent_upto - session.applied < options_.delivery_window) {
    const std::size_t room = std::min(options_.deliveries_per_message,
                                      options_.delivery_window -
                                          static_cast<std::size_t>(session.sent_upto -
                                                                   session.applied));
    auto pending = store_.PendingDeliveries(agent_id, session.sent_upto, room);
    if (!pending.ok() || pending->empty()) break;
    json list = json::array();
    std::size_t bytes = 0;
    for (const Delivery& delivery : *pending) {
      // A message carries about |delivery_bytes| at most, and always at least one
      // delivery (a playbook is at most 1 MiB, below the frame limit even uncompressed).
      const std::size_t size = delivery.body.dump().size();
      if (!list.empty() && bytes + size > options_.delivery_bytes) break;
      bytes += size;
      list.push_back({{"seq", delivery.seq},
                      {"kind", delivery.kind},
                      {"at", delivery.at},
                      {"body", delivery.body}});
      session.sent_upto = delivery.seq;
    }
    messages.push_back(Message{MessageType::kDeliver, {{"deliveries", std::move(list)}}});
  }
  return messages;
}

std::vector<std::string> SyncServer::StalledAgents() {
  std::vector<std::string> stalled;
  const Millis now = clock_.Now();
  for (auto& [agent_id, session] : sessions_) {
    if (session.sent_upto > session.applied &&
        now - session.last_progress > options_.resend_after_ms) {
      session.sent_upto = session.applied;
      session.last_progress = now;
      stalled.push_back(agent_id);
    }
  }
  return stalled;
}

std::vector<std::string> SyncServer::TakeAgentsToNotify() {
  std::vector<std::string> agents;
  agents.swap(notify_);
  return agents;
}

void SyncServer::EndSession(const std::string& agent_id) { sessions_.erase(agent_id); }

}  // namespace muster::hq
