#include "sync_client.h"

#include <algorithm>

#include "muster/log.h"

namespace muster::agent {

using nlohmann::json;
using protocol::Message;
using protocol::MessageType;

SyncClient::SyncClient(AgentStore& store, const Clock& clock, const std::string& expected_hq_id,
                       Options options)
    : store_(store), clock_(clock), expected_hq_id_(expected_hq_id), options_(options) {}

Result<Message> SyncClient::Hello() {
  auto acked = store_.AckedWatermark();
  auto applied = store_.AppliedWatermark();
  auto head = store_.Head();
  if (!acked.ok()) return acked.status();
  if (!applied.ok()) return applied.status();
  if (!head.ok()) return head.status();
  return Message{MessageType::kHello,
                 {{"agent", store_.agent_id()},
                  {"acked", *acked},
                  {"applied", *applied},
                  {"head", *head}}};
}

void SyncClient::Reset() {
  welcomed_ = false;
  resend_at_.reset();
}

std::uint64_t SyncClient::Pending() {
  auto stats = store_.Stats();
  return stats.ok() ? stats->pending : 0;
}

std::vector<Message> SyncClient::OnMessage(const Message& message) {
  auto log = Logger("sync");
  switch (message.type) {
    case MessageType::kWelcome: return OnWelcome(message.body);
    case MessageType::kAck: {
      std::vector<std::uint64_t> seqs;
      for (const json& seq : message.body["seqs"]) {
        if (seq.is_number_unsigned()) seqs.push_back(seq.get<std::uint64_t>());
      }
      Status status = store_.MarkAcked(seqs);
      if (!status.ok()) {
        // Not marking is safe: the records are sent again and HQ ignores the duplicates.
        log->error("event=mark_acked_failed error=\"{}\"", status.message());
      }
      resend_at_.reset();
      log->debug("event=acked records={} hq_ingested={}", seqs.size(),
                 message.body["ingested"].get<std::uint64_t>());
      return {};
    }
    case MessageType::kDeliver: return OnDeliver(message.body);
    case MessageType::kPing: return {Message{MessageType::kPong, {{"time", clock_.Now()}}}};
    case MessageType::kPong: return {};
    case MessageType::kError: {
      const std::string code = message.body["code"].get<std::string>();
      const std::string text = message.body["message"].get<std::string>();
      auto ref = message.body.find("ref");
      if (ref != message.body.end() && ref->is_number_unsigned()) {
        // HQ holds the record (it is in the ACK) but refused its effect: show the member.
        (void)store_.MarkRefused(ref->get<std::uint64_t>(), code + ": " + text);
        log->warn("event=record_refused seq={} code={} error=\"{}\"", ref->get<std::uint64_t>(),
                  code, text);
        return {};
      }
      log->warn("event=hq_error code={} error=\"{}\"", code, text);
      if (code == protocol::errors::kNoSession) {
        // HQ restarted under a live connection: greet again, then resend at once.
        welcomed_ = false;
        resend_at_.reset();
        return {};
      }
      if (code == protocol::errors::kRateLimited) {
        // HQ handled nothing of that message and says when it may: send again then.
        auto retry = message.body.find("retry_after_ms");
        const Millis asked =
            retry != message.body.end() && retry->is_number_integer() ? retry->get<Millis>() : 0;
        const Millis wait = std::clamp<Millis>(asked, 0, options_.resend_after_ms);
        if (resend_at_) resend_at_ = clock_.Now() + wait;
        return {};
      }
      last_error_ = code + ": " + text;
      if (code == protocol::errors::kForbidden) welcomed_ = false;
      // A batch refused as a whole (HQ's store is full or failing) is sent again after
      // the resend delay, not at once: hammering a struggling HQ helps nobody.
      if (resend_at_) resend_at_ = clock_.Now() + options_.resend_after_ms;
      return {};
    }
    default:
      log->warn("event=unexpected_message type={}", protocol::ToString(message.type));
      return {};
  }
}

std::vector<Message> SyncClient::OnWelcome(const json& body) {
  auto log = Logger("sync");
  const std::string hq = body["hq"].get<std::string>();
  if (!expected_hq_id_.empty() && hq != expected_hq_id_) {
    last_error_ = "the coordinator's store " + hq + " is not the one that enrolled this agent (" +
                  expected_hq_id_ + "); refusing to sync";
    log->error("event=wrong_hq hq={} expected={}", hq, expected_hq_id_);
    return {};
  }
  const std::uint64_t ingested = body["ingested"].get<std::uint64_t>();
  const std::uint64_t highest = body["highest"].get<std::uint64_t>();
  auto acked = store_.AckedWatermark();
  auto head = store_.Head();
  // Every acknowledged record above HQ's contiguous watermark goes again. Normally there
  // are none, or a few acknowledged out of order (safety first) that HQ still holds and
  // ignores. If HQ's store was restored from an older backup, these are what it lost.
  auto requeued = store_.RequeueAbove(ingested);
  if (requeued.ok() && *requeued > 0) {
    log->warn("event=records_requeued hq_ingested={} agent_acked={} requeued={} "
              "hq_restored={}",
              ingested, acked.ok() ? *acked : 0, *requeued, acked.ok() && ingested < *acked);
  }
  if (head.ok() && highest > *head) {
    // HQ holds sequences this store never wrote: this store was restored from a backup
    // (or is new for an old bundle). New records must not reuse those numbers.
    Status status = store_.RebaseSequence(highest);
    log->warn("event=agent_restore_detected hq_highest={} agent_head={} rebased={}", highest,
              *head, status.ok());
  }
  welcomed_ = true;
  last_error_.clear();
  resend_at_.reset();
  log->info("event=welcomed hq={} hq_ingested={}", hq, ingested);
  return {};
}

std::vector<Message> SyncClient::OnDeliver(const json& body) {
  if (!welcomed_) {
    // Only a coordinator that welcomed us (the one that enrolled us) may change our tasks.
    Logger("sync")->warn("event=deliver_ignored reason=not_welcomed");
    return {};
  }
  std::vector<Delivery> deliveries;
  for (const json& entry : body["deliveries"]) {
    deliveries.push_back({entry["seq"].get<std::uint64_t>(), entry["kind"].get<std::string>(),
                          entry["at"].get<Millis>(), entry["body"]});
  }
  auto applied = store_.ApplyDeliveries(deliveries);
  if (!applied.ok()) {
    Logger("sync")->error("event=apply_failed error=\"{}\"", applied.status().message());
    return {};  // not acknowledged: HQ sends them again
  }
  Logger("sync")->debug("event=delivered count={} applied={}", deliveries.size(), *applied);
  return {Message{MessageType::kDelivered, {{"applied", *applied}}}};
}

std::optional<Message> SyncClient::NextBatch() {
  if (!welcomed_) return std::nullopt;
  if (resend_at_ && clock_.Now() < *resend_at_) return std::nullopt;
  auto batch = store_.NextBatch(options_.batch_records, options_.batch_bytes);
  if (!batch.ok() || batch->empty()) {
    resend_at_.reset();
    return std::nullopt;
  }
  json records = json::array();
  batch_seqs_.clear();
  for (const OutboxRecord& record : *batch) {
    records.push_back({{"seq", record.seq},
                       {"kind", record.kind},
                       {"at", record.created_at},
                       {"body", record.body}});
    batch_seqs_.push_back(record.seq);
  }
  resend_at_ = clock_.Now() + options_.resend_after_ms;
  return Message{MessageType::kRecords, {{"records", std::move(records)}}};
}

void SyncClient::BatchSent() {
  // Receipts say "sent" only once the batch has left for the socket.
  Status status = store_.MarkSent(batch_seqs_);
  if (!status.ok()) {
    Logger("sync")->warn("event=mark_sent_failed error=\"{}\"", status.message());
  }
  batch_seqs_.clear();
}

}  // namespace muster::agent
