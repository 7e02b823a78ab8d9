#include "sync_client.h"

#include <algorithm>
#include <cstdlib>

#include "muster/log.h"
#include "muster/wire/deliveries.h"

namespace muster::agent {

using nlohmann::json;
using protocol::Message;
using protocol::MessageType;

namespace {

std::size_t OnWire(std::size_t frame_bytes) { return frame_bytes + protocol::kCurveOverheadBytes; }

}  // namespace

SyncClient::SyncClient(SyncStore& store, const Clock& clock, std::string expected_hq_id,
                       Options options)
    : store_(store), outbox_(store.outbox()), clock_(clock),
      expected_hq_id_(std::move(expected_hq_id)), options_(options), estimator_(options.link) {}

void SyncClient::OnConnected() {
  Reset();
  connected_ = true;
  estimator_ = LinkEstimator(options_.link);  // every connection starts as a thin link
  const Millis now = clock_.Now();
  hello_due_ = now;
  last_heard_ = now;
  last_sent_ = now;
}

void SyncClient::Reset() {
  cut_off_ = false;
  connected_ = false;
  told_offset_.reset();
  offset_in_flight_.reset();
  clock_samples_ = 0;
  welcomed_ = false;
  hello_due_.reset();
  hello_.reset();
  ping_.reset();
  in_flight_.reset();
  relayed_in_flight_.reset();
  resend_at_.reset();
  owed_applied_.reset();
}

std::uint64_t SyncClient::Pending() {
  auto stats = outbox_.Stats();
  return stats.ok() ? stats->pending : 0;
}

Millis SyncClient::Keepalive() const {
  if (options_.keepalive_ms > 0) return options_.keepalive_ms;
  return estimator_.thin() ? 120'000 : 30'000;
}

Millis SyncClient::AnswerDue(const Awaited& awaited) const {
  const auto expected = static_cast<Millis>(options_.answer_factor *
                                            static_cast<double>(estimator_.Expected(awaited.bytes)));
  return std::max(awaited.sent_at, last_heard_) + std::max(options_.answer_floor_ms, expected);
}

bool SyncClient::Overdue() const {
  const Millis now = clock_.Now();
  for (const auto* awaited : {hello_ ? &*hello_ : nullptr, ping_ ? &*ping_ : nullptr,
                              in_flight_ ? &in_flight_->wire : nullptr,
                              relayed_in_flight_ ? &*relayed_in_flight_ : nullptr}) {
    if (awaited && now > AnswerDue(*awaited)) return true;
  }
  return false;
}

Millis SyncClient::NextDue() const {
  const Millis now = clock_.Now();
  Millis due = now + 60'000;
  if (!connected_) return due;
  if (hello_due_) due = std::min(due, *hello_due_);
  for (const auto* awaited : {hello_ ? &*hello_ : nullptr, ping_ ? &*ping_ : nullptr,
                              in_flight_ ? &in_flight_->wire : nullptr,
                              relayed_in_flight_ ? &*relayed_in_flight_ : nullptr}) {
    if (awaited) due = std::min(due, AnswerDue(*awaited) + 1);
  }
  if (!welcomed_) return due;
  if (owed_applied_) due = std::min(due, delivered_due_);
  if (resend_at_) due = std::min(due, *resend_at_);
  if (estimator_.thin() && now < welcomed_at_ + options_.attachment_grace_ms) {
    due = std::min(due, welcomed_at_ + options_.attachment_grace_ms);
  }
  if (!ping_ && !in_flight_) due = std::min(due, std::max(last_sent_, last_heard_) + Keepalive());
  if (!ping_ && !in_flight_ && ClockSampleWanted()) {
    due = std::min(due, last_heard_ + kClockSampleQuietMs);
  }
  return due;
}

Result<Message> SyncClient::Hello() {
  auto acked = outbox_.AckedWatermark();
  if (!acked.ok()) return acked.status();
  auto applied = store_.AppliedWatermark();
  if (!applied.ok()) return applied.status();
  auto head = outbox_.Head();
  if (!head.ok()) return head.status();
  auto sent = outbox_.SentUnacked();
  if (!sent.ok()) return sent.status();
  auto above = outbox_.AckedAboveWatermark();
  if (!above.ok()) return above.status();
  Message hello{MessageType::kHello,
                {{"agent", store_.agent_id()},
                 {"acked", *acked},
                 {"applied", *applied},
                 {"head", *head}}};
  if (!sent->empty()) hello.body["sent"] = protocol::RangesToJson(*sent);
  if (!above->ranges.empty()) hello.body["acked_above"] = protocol::RangesToJson(above->ranges);
  if (!above->complete) hello.body["acked_above_complete"] = false;
  StateClockOffset(hello);
  acked_above_complete_ = above->complete;
  acked_above_last_ = above->ranges.empty() ? *acked : above->ranges.back().last;
  return hello;
}

std::vector<Message> SyncClient::Outgoing() {
  std::vector<Message> out;
  if (!connected_) return out;
  const Millis now = clock_.Now();
  if (hello_due_ && now >= *hello_due_ && !hello_) {
    auto hello = Hello();
    if (hello.ok()) {
      out.push_back(std::move(*hello));
    } else {
      // Nothing can be said to HQ without the cursors: try again shortly.
      last_error_ = "cannot read this laptop's store: " + hello.status().message();
      Logger("sync")->error("event=hello_failed error=\"{}\"", hello.status().message());
      hello_due_ = now + options_.hello_retry_ms;
    }
    return out;
  }
  if (!welcomed_) return out;
  if (auto batch = NextBatch()) {
    Piggyback(*batch);
    out.push_back(std::move(*batch));
  } else if (auto relayed = NextRelayed()) {
    out.push_back(std::move(*relayed));
  }
  if (owed_applied_ && now >= delivered_due_) {
    out.push_back(Message{MessageType::kDelivered, {{"applied", *owed_applied_}}});
  }
  const bool clock_sample = ClockSampleWanted() && now - last_heard_ >= kClockSampleQuietMs;
  if (out.empty() && !ping_ && !in_flight_ && !relayed_in_flight_ &&
      (clock_sample || now - std::max(last_sent_, last_heard_) >= Keepalive())) {
    if (clock_sample) ++clock_samples_;
    Message ping{MessageType::kPing, {{"time", clock_.Now()}}};
    Piggyback(ping);
    out.push_back(std::move(ping));
  }
  return out;
}

void SyncClient::Piggyback(Message& message) {
  if (owed_applied_) message.body["applied"] = *owed_applied_;
  StateClockOffset(message);
}

bool SyncClient::Retell(const ClockOffset& told, const ClockOffset& kept) {
  return std::llabs(kept.offset_ms - told.offset_ms) >= std::max<Millis>(250, kept.rtt_ms / 4) ||
         (kept.rtt_ms * 2 <= told.rtt_ms && kept.rtt_ms < told.rtt_ms);
}

void SyncClient::OffsetAnswered() {
  if (offset_in_flight_) told_offset_ = offset_in_flight_;
  offset_in_flight_.reset();
}

bool SyncClient::ClockSampleWanted() const {
  return welcomed_ && offset_ && offset_->rtt_ms > kClockSampleLooseMs &&
         clock_samples_ < kClockSamplesPerSession;
}

void SyncClient::StateClockOffset(Message& message) {
  if (!offset_loaded_) {
    auto kept = store_.ClockOffsetToHq();
    if (kept.ok()) {
      offset_ = *kept;
      offset_loaded_ = true;
    }
  }
  if (!offset_ || (told_offset_ && !Retell(*told_offset_, *offset_))) return;
  // A HELLO states only a recent measure: an old one may be from before the clock was set.
  if (message.type == MessageType::kHello &&
      std::llabs(clock_.Now() - offset_->measured_at) > kOffsetMaxAge) {
    return;
  }
  offset_in_flight_ = offset_;
  message.body["clock_offset"] = offset_->offset_ms;
  message.body["clock_rtt"] = offset_->rtt_ms;
}

void SyncClient::MeasureClock(const json& body, Millis sent_at) {
  auto time = body.find("time");
  if (time == body.end() || !time->is_number_integer()) return;
  const ClockOffset sample = MeasureOffset(sent_at, clock_.Now(), time->get<Millis>());
  const ClockOffset kept = KeepBetter(offset_, sample);
  if (offset_ && kept == *offset_) return;
  const bool moved = !offset_ || std::llabs(kept.offset_ms - offset_->offset_ms) > kept.rtt_ms;
  offset_ = kept;
  offset_loaded_ = true;
  Status saved = store_.SetClockOffsetToHq(kept);
  if (!saved.ok()) {
    Logger("sync")->warn("event=clock_offset_not_kept error=\"{}\"", saved.message());
  }
  if (moved) {
    Logger("sync")->info("event=clock_offset offset_ms={} rtt_ms={} skew=\"{}\"", kept.offset_ms,
                         kept.rtt_ms, DescribeSkew(kept.offset_ms));
  }
}

void SyncClient::Sent(const Message& message, std::size_t frame_bytes) {
  const Millis now = clock_.Now();
  const Awaited awaited{now, OnWire(frame_bytes)};
  stats_.bytes_sent += awaited.bytes;
  last_sent_ = now;
  if (message.body.contains("applied") && message.type != MessageType::kHello) {
    owed_applied_.reset();
  }
  switch (message.type) {
    case MessageType::kHello:
      hello_ = awaited;
      hello_due_.reset();
      ++stats_.hellos;
      break;
    case MessageType::kRecords: {
      in_flight_ = InFlight{batch_seqs_, batch_lane_, batch_raw_bytes_, awaited};
      ++stats_.batches;
      stats_.records_sent += batch_seqs_.size();
      stats_.records_resent += batch_resent_;
      if (!batch_seqs_.empty()) {
        stats_.bytes_resent += awaited.bytes * batch_resent_ / batch_seqs_.size();
      }
      // Receipts say "sent" only once the batch has left for the socket.
      Status status = outbox_.MarkSent(batch_seqs_);
      if (!status.ok()) {
        Logger("sync")->warn("event=mark_sent_failed error=\"{}\"", status.message());
      }
      batch_seqs_.clear();
      break;
    }
    case MessageType::kPing:
      ping_ = awaited;
      ++stats_.pings;
      break;
    case MessageType::kRelayed:
      relayed_in_flight_ = awaited;
      stats_.relayed += relayed_batch_;
      break;
    default: break;
  }
}

std::vector<Message> SyncClient::OnMessage(const Message& message, std::size_t frame_bytes) {
  last_heard_ = clock_.Now();
  stats_.bytes_received += OnWire(frame_bytes);
  switch (message.type) {
    case MessageType::kWelcome: return OnWelcome(message.body, frame_bytes);
    case MessageType::kAck: return OnAck(message.body, frame_bytes);
    case MessageType::kDeliver: return OnDeliver(message.body);
    case MessageType::kPing: return {Message{MessageType::kPong, {{"time", clock_.Now()}}}};
    case MessageType::kPong:
      OffsetAnswered();
      if (ping_) {
        MeasureClock(message.body, ping_->sent_at);
        estimator_.OnExchange(ping_->bytes + OnWire(frame_bytes), clock_.Now() - ping_->sent_at);
        ping_.reset();
      }
      return {};
    case MessageType::kError: return OnError(message.body);
    case MessageType::kRelayAck:
      OnRelayAck(message.body);
      return {};
    default:
      Logger("sync")->warn("event=unexpected_message type={}", protocol::ToString(message.type));
      return {};
  }
}

std::vector<Message> SyncClient::OnWelcome(const json& body, std::size_t frame_bytes) {
  auto log = Logger("sync");
  const Millis now = clock_.Now();
  if (welcomed_ || !hello_) {
    // One HELLO per connection is answered once; a second WELCOME (HQ answering a HELLO
    // queued twice somewhere) must not start a second upload of the same records.
    log->info("event=welcome_ignored reason={}", welcomed_ ? "already_welcomed" : "not_asked");
    return {};
  }
  estimator_.OnExchange(hello_->bytes + OnWire(frame_bytes), now - hello_->sent_at);
  const Millis hello_sent_at = hello_->sent_at;
  hello_.reset();
  const std::string hq = body["hq"].get<std::string>();
  if (!expected_hq_id_.empty() && hq != expected_hq_id_) {
    last_error_ = "the coordinator's store " + hq + " is not the one that enrolled this agent (" +
                  expected_hq_id_ + "); refusing to sync";
    log->error("event=wrong_hq hq={} expected={}", hq, expected_hq_id_);
    hello_due_ = now + options_.answer_floor_ms;
    return {};
  }
  MeasureClock(body, hello_sent_at);
  OffsetAnswered();
  Status applied = ApplyWelcome(body);
  if (!applied.ok()) {
    // Not welcomed: sending now could lose records (HQ would take them for duplicates)
    // or reuse sequence numbers. Greet again shortly and redo the checks.
    last_error_ = "could not act on HQ's welcome: " + applied.message();
    log->error("event=welcome_failed code={} error=\"{}\"", applied.wire_code(), applied.message());
    hello_due_ = now + options_.hello_retry_ms;
    return {};
  }
  welcomed_ = true;
  welcomed_at_ = now;
  last_error_.clear();
  in_flight_.reset();
  resend_at_.reset();
  ++stats_.sessions;
  log->info("event=welcomed hq={} hq_ingested={} rate_bps={:.0f} rtt_ms={}", hq,
            body["ingested"].get<std::uint64_t>(), estimator_.bytes_per_second() * 8,
            estimator_.rtt_ms());
  return {};
}

Status SyncClient::ApplyWelcome(const json& body) {
  auto log = Logger("sync");
  const std::uint64_t ingested = body["ingested"].get<std::uint64_t>();
  const std::uint64_t highest = body["highest"].get<std::uint64_t>();
  auto held = protocol::RangesFromJson(body, "held");
  if (!held.ok()) return held.status();
  auto lost = protocol::RangesFromJson(body, "lost");
  if (!lost.ok()) return lost.status();
  auto acked = outbox_.AckedWatermark();
  if (!acked.ok()) return acked.status();
  auto head = outbox_.Head();
  if (!head.ok()) return head.status();

  // What HQ no longer holds of what it acknowledged (it was restored from an older
  // backup) goes again: below our watermark down to HQ's, and whatever it says it lost
  // above. An HQ that does not say gets everything acknowledged above its watermark.
  protocol::SeqRanges requeue = *lost;
  if (ingested < *acked) requeue.insert(requeue.begin(), {ingested + 1, *acked});
  if (body.contains("lost") && !acked_above_complete_) {
    requeue.push_back({acked_above_last_ + 1, static_cast<std::uint64_t>(INT64_MAX)});
  }
  Result<std::uint64_t> requeued =
      body.contains("lost") ? outbox_.Requeue(requeue) : outbox_.RequeueAbove(ingested);
  if (!requeued.ok()) return requeued.status();
  if (*requeued > 0) {
    log->warn("event=records_requeued hq_ingested={} agent_acked={} requeued={} hq_restored={}",
              ingested, *acked, *requeued, ingested < *acked || !lost->empty());
  }
  // What we sent and HQ holds (its ACK was lost with the connection) is not sent again.
  // When HQ holds numbers this store never wrote (below), what it holds under numbers
  // that went only to the field relay, before this store met HQ again, may be another
  // life's records: those go again under new numbers.
  MUSTER_RETURN_IF_ERROR(highest > *head ? outbox_.MarkAckedRangesSentHere(*held)
                                         : outbox_.MarkAckedRanges(*held));
  if (highest > *head) {
    // HQ holds sequences this store never wrote: this store was restored from a backup
    // (or is new for an old bundle). New records must not reuse those numbers.
    MUSTER_RETURN_IF_ERROR(outbox_.RebaseSequence(highest));
    log->warn("event=agent_restore_detected hq_highest={} agent_head={}", highest, *head);
  }
  if (auto restart = body.find("restart_from"); restart != body.end()) {
    if (!restart->is_number_unsigned()) {
      return Status::Error(ErrorCode::kMalformed, "'restart_from' must be an unsigned integer");
    }
    MUSTER_RETURN_IF_ERROR(store_.RestartDeliveries(restart->get<std::uint64_t>()));
    log->warn("event=deliveries_restarted from={}", restart->get<std::uint64_t>());
  }
  if (auto delivery_head = body.find("delivery_head"); delivery_head != body.end()) {
    if (!delivery_head->is_number_unsigned()) {
      return Status::Error(ErrorCode::kMalformed, "'delivery_head' must be an unsigned integer");
    }
    MUSTER_RETURN_IF_ERROR(store_.SetDeliveryHead(delivery_head->get<std::uint64_t>()));
  }
  return Status::Ok();
}

std::vector<Message> SyncClient::OnAck(const json& body, std::size_t frame_bytes) {
  auto log = Logger("sync");
  OffsetAnswered();
  const Millis now = clock_.Now();
  std::vector<std::uint64_t> seqs;
  for (const json& seq : body["seqs"]) {
    if (seq.is_number_unsigned()) seqs.push_back(seq.get<std::uint64_t>());
  }
  Status status = outbox_.MarkAcked(seqs);
  if (!status.ok()) {
    // Not marking is safe: the records go again and HQ recognises the duplicates. Not at
    // once, though: a store that cannot write now would make that a loop.
    log->error("event=mark_acked_failed error=\"{}\"", status.message());
    last_error_ = "cannot record HQ's acknowledgement: " + status.message();
    resend_at_ = now + options_.resend_after_ms;
  }
  if (in_flight_) {
    estimator_.OnExchange(in_flight_->wire.bytes + OnWire(frame_bytes),
                          now - in_flight_->wire.sent_at);
    if (in_flight_->raw_bytes > 0) {
      const double ratio = static_cast<double>(in_flight_->wire.bytes) /
                           static_cast<double>(in_flight_->raw_bytes);
      double& kept = ratio_[std::clamp(in_flight_->lane, 0, 3)];
      kept = (kept + ratio) / 2;
    }
    in_flight_.reset();
  }
  log->debug("event=acked records={} hq_ingested={} rate_bps={:.0f}", seqs.size(),
             body["ingested"].get<std::uint64_t>(), estimator_.bytes_per_second() * 8);
  return {};
}

std::vector<Message> SyncClient::OnDeliver(const json& body) {
  auto log = Logger("sync");
  if (!welcomed_) {
    // Only a coordinator that welcomed us (the one that enrolled us) may change our tasks.
    log->warn("event=deliver_ignored reason=not_welcomed");
    return {};
  }
  std::vector<Delivery> deliveries;
  bool only_team = true;
  for (const json& entry : body["deliveries"]) {
    deliveries.push_back(wire::Entry::FromChecked(entry));
    only_team = only_team && deliveries.back().kind == wire::DeliveryKindName(wire::DeliveryKind::kTeam);
  }
  auto applied = store_.ApplyDeliveries(deliveries);
  if (!applied.ok()) {
    // Not acknowledged: HQ sends them again when it hears nothing.
    log->error("event=apply_failed error=\"{}\"", applied.status().message());
    last_error_ = "cannot apply HQ's deliveries: " + applied.status().message();
    return {};
  }
  log->debug("event=delivered count={} applied={}", deliveries.size(), *applied);
  const bool more = body.contains("more") && body["more"].is_boolean() && body["more"].get<bool>();
  if (only_team && !more && estimator_.thin()) {
    // A team update on a thin link: its acknowledgement rides on the next message the
    // agent sends anyway, and at the latest goes in place of the keep-alive, counted from
    // the first update owed and never later than HQ waits for it (sync_server.cc).
    if (!owed_applied_) {
      delivered_due_ = std::max(last_sent_, last_heard_) +
                       std::min(Keepalive(), options_.delivered_at_most_ms);
    }
    owed_applied_ = *applied;
    return {};
  }
  owed_applied_.reset();
  return {Message{MessageType::kDelivered, {{"applied", *applied}}}};
}

std::vector<Message> SyncClient::OnError(const json& body) {
  offset_in_flight_.reset();  // refused or not handled: told again with the next message
  auto log = Logger("sync");
  const Millis now = clock_.Now();
  const Status error =
      PeerError(body["code"].get<std::string>(), body["message"].get<std::string>());
  auto ref = body.find("ref");
  if (ref != body.end() && ref->is_number_unsigned()) {
    // HQ holds the record (it is in the ACK) but refused its effect: show the member.
    Status marked = outbox_.MarkRefused(ref->get<std::uint64_t>(), error.ToString());
    if (!marked.ok()) {
      log->error("event=mark_refused_failed seq={} error=\"{}\"", ref->get<std::uint64_t>(),
                 marked.message());
    }
    ++refused_;
    log->warn("event=record_refused seq={} code={} error=\"{}\"", ref->get<std::uint64_t>(),
              error.wire_code(), error.message());
    return {};
  }
  log->warn("event=hq_error code={} error=\"{}\"", error.wire_code(), error.message());
  if (error.code() == ErrorCode::kNoSession) {
    // HQ lost our session under a live connection: greet again, then send at once.
    welcomed_ = false;
    in_flight_.reset();
    relayed_in_flight_.reset();
    hello_.reset();
    hello_due_ = now;
    return {};
  }
  if (error.code() == ErrorCode::kRateLimited) {
    // HQ handled nothing of that message and says when it may: send again then.
    auto retry = body.find("retry_after_ms");
    const Millis asked = retry != body.end() && retry->is_number_integer() ? retry->get<Millis>() : 0;
    if (in_flight_ || relayed_in_flight_) {
      in_flight_.reset();
      relayed_in_flight_.reset();
      resend_at_ = now + std::clamp<Millis>(asked, 0, options_.resend_after_ms);
    }
    return {};
  }
  last_error_ = error.ToString();
  if (error.code() == ErrorCode::kForbidden) {
    cut_off_ = true;
    welcomed_ = false;
    hello_.reset();
    hello_due_ = now + options_.answer_floor_ms;
  }
  // A batch refused as a whole (HQ's store is full or failing) is sent again after the
  // resend delay, not at once: hammering a struggling HQ helps nobody.
  if (relayed_in_flight_) {
    relayed_in_flight_.reset();
    resend_at_ = now + options_.resend_after_ms;
  }
  if (in_flight_) {
    in_flight_.reset();
    resend_at_ = now + options_.resend_after_ms;
  }
  return {};
}

std::optional<Message> SyncClient::NextBatch() {
  auto log = Logger("sync");
  const Millis now = clock_.Now();
  // One batch in flight at a time, the relay's forwarding included.
  if (!welcomed_ || in_flight_ || relayed_in_flight_) return std::nullopt;
  if (resend_at_) {
    if (now < *resend_at_) return std::nullopt;
    resend_at_.reset();
  }
  auto lane = outbox_.LowestPendingLane();
  if (!lane.ok()) {
    log->error("event=outbox_unreadable error=\"{}\"", lane.status().message());
    last_error_ = "cannot read the outbox: " + lane.status().message();
    resend_at_ = now + options_.resend_after_ms;
    return std::nullopt;
  }
  if (*lane < 0) return std::nullopt;
  const bool grace = estimator_.thin() && now < welcomed_at_ + options_.attachment_grace_ms;
  const int max_lane = grace ? kLaneFinding : kLaneAttachment;
  if (*lane > max_lane) return std::nullopt;
  const double ratio = ratio_[std::clamp(*lane, 0, 3)];
  const auto raw_budget = static_cast<std::size_t>(static_cast<double>(estimator_.Budget()) /
                                                   std::max(ratio, 0.05));
  auto batch = outbox_.NextBatch(*lane, options_.batch_records, raw_budget);
  if (!batch.ok()) {
    log->error("event=outbox_unreadable error=\"{}\"", batch.status().message());
    last_error_ = "cannot read the outbox: " + batch.status().message();
    resend_at_ = now + options_.resend_after_ms;
    return std::nullopt;
  }
  if (batch->empty()) return std::nullopt;
  json records = json::array();
  batch_seqs_.clear();
  batch_resent_ = 0;
  batch_raw_bytes_ = 0;
  batch_lane_ = *lane;
  for (const OutboxRecord& record : *batch) {
    json entry = wire::Entry{record.seq, record.kind, record.created_at, record.body}.Encode();
    // The record as the budget counts it: a chunk's bytes plus its description, or the
    // body's JSON text; and the entry's own fields.
    const auto data = record.body.find("data");
    batch_raw_bytes_ += 24 + (data != record.body.end() && data->is_binary()
                                  ? data->get_binary().size() + 256
                                  : record.body.dump().size());
    records.push_back(std::move(entry));
    batch_seqs_.push_back(record.seq);
    if (record.sent_at) ++batch_resent_;
  }
  return Message{MessageType::kRecords, {{"records", std::move(records)}}};
}

std::optional<Message> SyncClient::NextRelayed() {
  if (!relay_ || !welcomed_ || in_flight_ || relayed_in_flight_ || resend_at_) return std::nullopt;
  auto batch = relay_->NextForHq(options_.batch_records, estimator_.Budget());
  if (!batch.ok()) {
    Logger("sync")->error("event=relayed_unreadable error=\"{}\"", batch.status().message());
    resend_at_ = clock_.Now() + options_.resend_after_ms;
    return std::nullopt;
  }
  if (batch->empty()) return std::nullopt;
  json records = json::array();
  for (const RelayedRecord& record : *batch) records.push_back(record.Encode());
  relayed_batch_ = batch->size();
  return Message{MessageType::kRelayed, {{"records", std::move(records)}}};
}

void SyncClient::OnRelayAck(const json& body) {
  relayed_in_flight_.reset();
  auto log = Logger("sync");
  std::size_t answered = 0;
  for (const json& held : body["held"]) {
    std::vector<std::uint64_t> seqs;
    for (const json& seq : held["seqs"]) {
      if (seq.is_number_unsigned()) seqs.push_back(seq.get<std::uint64_t>());
    }
    answered += seqs.size();
    Status marked = relay_ ? relay_->MarkHeldAtHq(held["agent"].get<std::string>(), seqs)
                           : Status::Ok();
    if (!marked.ok()) log->warn("event=relayed_mark_failed error=\"{}\"", marked.message());
  }
  auto refused = body.find("refused");
  if (refused != body.end() && refused->is_array() && relay_) {
    for (const json& entry : *refused) {
      if (!entry.is_object() || !entry.contains("agent") || !entry["agent"].is_string() ||
          !entry.contains("seq") || !entry["seq"].is_number_unsigned()) {
        continue;
      }
      const std::string agent = entry["agent"].get<std::string>();
      const std::uint64_t seq = entry["seq"].get<std::uint64_t>();
      const std::string why = entry.contains("message") && entry["message"].is_string()
                                  ? entry["message"].get<std::string>()
                                  : std::string("refused");
      const bool held = entry.contains("held") && entry["held"].is_boolean() && entry["held"].get<bool>();
      Status marked = Status::Ok();
      if (held) {
        // Held at HQ, its effect refused: the author is told through the relay.
        const std::string code = entry.contains("code") && entry["code"].is_string()
                                     ? entry["code"].get<std::string>()
                                     : std::string("invalid_value");
        marked = relay_->NoteRefusedEffect(agent, seq, code, why);
      } else {
        ++answered;
        log->warn("event=relayed_refused agent={} seq={} reason=\"{}\"", agent, seq, why);
        marked = relay_->MarkRefusedAtHq(agent, seq, why);
      }
      if (!marked.ok()) log->warn("event=relayed_mark_failed error=\"{}\"", marked.message());
    }
  }
  // What HQ could neither take nor refuse (its store failed) goes again after a pause, not
  // at once.
  if (answered < relayed_batch_) resend_at_ = clock_.Now() + options_.resend_after_ms;
}

}  // namespace muster::agent
