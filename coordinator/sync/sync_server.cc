#include "sync/sync_server.h"

#include <algorithm>
#include <chrono>

#include "muster/log.h"
#include "muster/record_auth.h"
#include "muster/wire/packing.h"

namespace muster::hq {

using nlohmann::json;
using protocol::Message;
using protocol::MessageType;

SyncServer::SyncServer(Headquarters& hq, const Clock& clock, Options options)
    : hq_(hq),
      clock_(clock),
      options_(options),
      limiter_(clock, options.messages_per_second, options.message_burst) {}

std::optional<Message> SyncServer::Admit(const std::string& agent_id) {
  const Millis retry_after = limiter_.Take(agent_id);
  if (retry_after == 0) return std::nullopt;
  Logger("sync")->warn("event=rate_limited agent={} retry_after_ms={}", agent_id, retry_after);
  Message refusal = protocol::MakeError(
      ErrorCode::kRateLimited,
      "more than " + std::to_string(static_cast<int>(options_.message_burst)) +
          " messages at once or " + std::to_string(static_cast<int>(options_.messages_per_second)) +
          " per second; this one was not handled: retry after " + std::to_string(retry_after) +
          " ms");
  refusal.body["retry_after_ms"] = retry_after;
  return refusal;
}

Status SyncServer::FlushContacts() {
  Status written = hq_.progress().Record(heard_, applied_);
  if (written.ok()) {
    heard_.clear();
    applied_.clear();
  }
  return written;
}

namespace {
// A DELIVER body, {"deliveries": [...], "more": true}, around |count| entries already
// packed: a body queued to a whole team is packed once, not once per agent.
std::string DeliverBody(const std::string& entries, std::size_t count, bool more) {
  std::string body;
  body.reserve(entries.size() + 24);
  wire::pack::MapHeader(body, more ? 2 : 1);
  wire::pack::Value(body, "deliveries");
  wire::pack::ArrayHeader(body, count);
  body += entries;
  if (more) {
    wire::pack::Value(body, "more");
    wire::pack::Value(body, true);
  }
  return body;
}

// The part of |from| that is not in |remove| (both ascending and disjoint).
protocol::SeqRanges Subtract(const protocol::SeqRanges& from, const protocol::SeqRanges& remove) {
  protocol::SeqRanges left;
  std::size_t r = 0;
  for (protocol::SeqRange range : from) {
    while (r < remove.size() && remove[r].last < range.first) ++r;
    std::size_t k = r;
    while (k < remove.size() && remove[k].first <= range.last) {
      if (remove[k].first > range.first) left.push_back({range.first, remove[k].first - 1});
      if (remove[k].last >= range.last) {
        range.first = range.last + 1;
        break;
      }
      range.first = remove[k].last + 1;
      ++k;
    }
    if (range.first <= range.last) left.push_back(range);
  }
  return left;
}

// The optional `applied` an agent piggybacks on RECORDS and PING.
std::optional<std::uint64_t> PiggybackedApplied(const json& body) {
  auto applied = body.find("applied");
  if (applied == body.end() || !applied->is_number_unsigned()) return std::nullopt;
  return applied->get<std::uint64_t>();
}

}  // namespace

void SyncServer::KeepClockReport(const std::string& agent_id, const json& body,
                                 const std::string& peer) {
  const std::optional<ClockReport> report = ClockReportIn(body);
  if (!report) return;
  // A batch without records: the report is kept as a RECORDS' would be, and what placing
  // earlier records again sets in motion (triggers, team views, agents to tell) follows.
  // Not keeping it costs only the correction of this agent's next records: the session
  // goes on.
  Result<IngestOutcome> kept =
      std::move(hq_.ingest().CommitGroup({IngestBatch{agent_id, {}, peer, report}}).front());
  if (!kept.ok()) {
    Logger("sync")->warn("event=clock_report_not_kept agent={} error=\"{}\"", agent_id,
                         kept.status().ToString());
    return;
  }
  for (const std::string& other : kept->agents_to_notify) {
    if (std::find(notify_.begin(), notify_.end(), other) == notify_.end()) {
      notify_.push_back(other);
    }
  }
}

std::vector<Message> SyncServer::Handle(const std::string& agent_id, const Message& message,
                                        const std::string& peer, std::size_t frame_bytes) {
  switch (message.type) {
    case MessageType::kHello:
      return OnHello(agent_id, message.body, peer);
    case MessageType::kRecords:
      return std::move(HandleAll({{agent_id, message, peer, frame_bytes}}).front().messages);
    case MessageType::kDelivered:
      return OnDelivered(agent_id, message.body, frame_bytes);
    case MessageType::kPing: {
      auto it = sessions_.find(agent_id);
      if (it == sessions_.end()) {
        return {protocol::MakeError(ErrorCode::kNoSession, "send HELLO first")};
      }
      heard_[agent_id] = clock_.Now();
      KeepClockReport(agent_id, message.body, peer);
      std::vector<Message> replies = {Message{MessageType::kPong, {{"time", clock_.Now()}}}};
      if (auto applied = PiggybackedApplied(message.body)) {
        Applied(agent_id, it->second, *applied, frame_bytes);
        for (Message& delivery : Deliveries(agent_id)) replies.push_back(std::move(delivery));
      }
      return replies;
    }
    case MessageType::kPong:
      return {};
    case MessageType::kRelayed:
      return OnRelayed(agent_id, message.body, peer);
    default:
      return {protocol::MakeError(
          ErrorCode::kUnknownType,
          std::string(protocol::ToString(message.type)) + " is not accepted by the coordinator")};
  }
}

std::vector<Message> SyncServer::OnHello(const std::string& agent_id, const json& body,
                                         const std::string& peer) {
  if (body["agent"].get<std::string>() != agent_id) {
    Logger("sync")->warn("event=hello_identity_mismatch agent={} claimed={}", agent_id,
                         body["agent"].get<std::string>());
    Status audited = hq_.audit().Record({{"agent:" + agent_id, "agent:" + agent_id + "@" + peer},
                                         "hello.forbidden",
                                         agent_id,
                                         {{"claimed", body["agent"].get<std::string>()}}});
    if (!audited.ok()) {
      Logger("sync")->error("event=audit_failed action=hello.forbidden agent={} error=\"{}\"",
                            agent_id, audited.ToString());
    }
    return {protocol::MakeError(ErrorCode::kForbidden,
                                "HELLO names another agent than the key that signed in")};
  }
  auto sent = protocol::RangesFromJson(body, "sent");
  auto acked_above = protocol::RangesFromJson(body, "acked_above");
  if (!sent.ok() || !acked_above.ok()) {
    return {protocol::MakeError(ErrorCode::kMalformed,
                                (!sent.ok() ? sent.status() : acked_above.status()).message())};
  }
  heard_[agent_id] = clock_.Now();
  KeepClockReport(agent_id, body, peer);
  sessions_.erase(agent_id);
  Session& session = sessions_[agent_id];
  session.link = LinkEstimator(options_.link);
  session.applied = body["applied"].get<std::uint64_t>();
  session.last_progress = clock_.Now();
  auto cursor = hq_.dispatch().Reconcile(agent_id, session.applied);
  hq_.team().Revisit(agent_id);  // a team change may have waited while it was away
  if (cursor.ok() && cursor->hq_restored) {
    Logger("sync")->warn(
        "event=hq_restore_detected agent={} agent_applied={} "
        "action=requeued_current_tasks",
        agent_id, session.applied);
  }
  if (cursor.ok() && cursor->restart_from) {
    Logger("sync")->warn(
        "event=deliveries_restarted agent={} agent_applied={} restart_from={} "
        "reason=\"deliveries after the agent's cursor are gone (both sides "
        "restored)\"",
        agent_id, session.applied, *cursor->restart_from);
    session.applied = *cursor->restart_from - 1;
  }
  session.sent_upto = session.applied;  // resume right after what the agent holds
  applied_.erase(agent_id);  // the HELLO's cursor replaces whatever was waiting to be written
  Status applied =
      cursor.ok() ? hq_.progress().MarkApplied(agent_id, session.applied) : cursor.status();
  auto ingested = hq_.ingest().Watermark(agent_id);
  auto highest = hq_.ingest().HighestHeld(agent_id);
  auto held = hq_.ingest().HeldAmong(agent_id, *sent);
  auto still_held = hq_.ingest().HeldAmong(agent_id, *acked_above);
  if (!cursor.ok() || !applied.ok() || !ingested.ok() || !highest.ok() || !held.ok() ||
      !still_held.ok()) {
    sessions_.erase(agent_id);
    return {protocol::MakeError(ErrorCode::kInternal,
                                "the coordinator's store is unavailable; retry later")};
  }
  const protocol::SeqRanges lost = Subtract(*acked_above, *still_held);
  if (!lost.empty()) {
    Logger("sync")->warn(
        "event=acknowledged_records_lost agent={} records={} "
        "action=agent_sends_them_again",
        agent_id, protocol::CountOf(lost));
  }
  Logger("sync")->info(
      "event=hello agent={} agent_acked={} agent_head={} hq_ingested={} "
      "agent_applied={} held_of_sent={}",
      agent_id, body["acked"].get<std::uint64_t>(), body["head"].get<std::uint64_t>(), *ingested,
      session.applied, protocol::CountOf(*held));
  Message welcome{MessageType::kWelcome,
                  {{"hq", hq_.database().hq_id()},
                   {"ingested", *ingested},
                   {"highest", *highest},
                   {"time", clock_.Now()},
                   {"delivery_head", cursor->head},
                   {"lost", protocol::RangesToJson(lost)}}};
  if (!held->empty()) welcome.body["held"] = protocol::RangesToJson(*held);
  if (cursor->restart_from) welcome.body["restart_from"] = *cursor->restart_from;
  std::vector<Message> replies = {std::move(welcome)};
  for (Message& delivery : Deliveries(agent_id)) replies.push_back(std::move(delivery));
  return replies;
}

Result<std::string> SyncServer::RelayRefusal(const std::string& relay_id,
                                             const std::string& author) {
  auto agent = hq_.directory().Find(author);
  if (!agent.ok()) return agent.status();
  if (!*agent || (*agent)->status != "active") return std::string("not an active agent");
  if (relay_id == author) return std::string();
  auto relay = hq_.directory().Find(relay_id);
  if (!relay.ok()) return relay.status();
  if (!*relay) return std::string("the relay is not an enrolled agent");
  auto shared = hq_.deployments().ShareActiveDeployment((*relay)->member_id, (*agent)->member_id);
  if (!shared.ok()) return shared.status();
  return *shared ? std::string() : std::string("its member shares no active deployment with the relay's");
}

std::vector<Message> SyncServer::OnRelayed(const std::string& relay_id, const json& body,
                                           const std::string& peer) {
  if (sessions_.find(relay_id) == sessions_.end()) {
    return {protocol::MakeError(ErrorCode::kNoSession, "send HELLO first")};
  }
  heard_[relay_id] = clock_.Now();
  // Per author, in the order received: the records whose tags hold, and the refused.
  std::map<std::string, std::vector<InboundRecord>> taken;
  json refused = json::array();
  std::map<std::string, Result<std::string>> refusal;    // author -> why (cached)
  std::map<std::string, std::optional<RecordAuthKey>> keys;  // author -> key
  for (const json& element : body["records"]) {
    const std::string author = element["agent"].get<std::string>();
    InboundRecord record = wire::Entry::FromChecked(element);
    if (!refusal.count(author)) refusal.emplace(author, RelayRefusal(relay_id, author));
    const Result<std::string>& checked = refusal.at(author);
    // The store could not say: neither held nor refused, so the relay forwards it again.
    if (!checked.ok()) continue;
    std::string why = *checked;
    if (why.empty()) {
      if (!keys.count(author)) {
        auto agent = hq_.directory().Find(author);
        std::optional<RecordAuthKey> key;
        if (agent.ok() && *agent) {
          auto derived = RecordAuthKey::Derive(options_.hq_secret_key, (*agent)->public_key);
          if (derived.ok()) key = *derived;
        }
        keys[author] = key;
      }
      const std::optional<RecordAuthKey>& key = keys[author];
      if (!key || !key->Verify(author, record, element["auth"].get<std::string>())) {
        why = "its tag is not its author's: forged or altered on the way";
      }
    }
    if (!why.empty()) {
      Logger("sync")->warn("event=relayed_record_refused relay={} agent={} seq={} reason=\"{}\"",
                           relay_id, author, record.seq, why);
      refused.push_back(
          {{"agent", author}, {"seq", record.seq}, {"code", "forbidden"}, {"message", why}});
      continue;
    }
    taken[author].push_back(std::move(record));
  }
  if (!refused.empty()) {
    // The records this relay may not carry; those refused for what they say are audited
    // with their batch, as from their author.
    Status audited = hq_.audit().Record({{"agent:" + relay_id, "agent:" + relay_id + "@" + peer},
                                         "relay.refused",
                                         relay_id,
                                         {{"records", refused}}});
    if (!audited.ok()) {
      Logger("sync")->error("event=audit_failed action=relay.refused agent={} error=\"{}\"",
                            relay_id, audited.ToString());
    }
  }
  std::vector<IngestBatch> batches;
  for (auto& [author, records] : taken) {
    batches.push_back({author, std::move(records), "relay:" + relay_id + "/" + peer});
  }
  std::vector<Result<IngestOutcome>> outcomes = hq_.ingest().CommitGroup(batches);
  json held = json::array();
  for (std::size_t i = 0; i < batches.size(); ++i) {
    if (!outcomes[i].ok()) {
      // Rolled back: the relay keeps these and forwards them again.
      Logger("sync")->error("event=relayed_ingest_failed relay={} agent={} error=\"{}\"", relay_id,
                            batches[i].agent_id, outcomes[i].status().ToString());
      continue;
    }
    held.push_back({{"agent", batches[i].agent_id}, {"seqs", outcomes[i]->held}});
    // Held, but refused for what they say: the relay tells the author, as an ERROR with
    // `ref` would have.
    for (const auto& [seq, why] : outcomes[i]->refused) {
      refused.push_back({{"agent", batches[i].agent_id},
                         {"seq", seq},
                         {"code", why.wire_code()},
                         {"message", why.message()},
                         {"held", true}});
    }
    for (const std::string& other : outcomes[i]->agents_to_notify) {
      if (std::find(notify_.begin(), notify_.end(), other) == notify_.end()) {
        notify_.push_back(other);
      }
    }
  }
  Logger("sync")->info("event=relayed relay={} authors={} refused={}", relay_id, batches.size(),
                       refused.size());
  Message ack{MessageType::kRelayAck, {{"held", std::move(held)}}};
  if (!refused.empty()) ack.body["refused"] = std::move(refused);
  return {std::move(ack)};
}

std::vector<SyncServer::Outgoing> SyncServer::HandleAll(const std::vector<Incoming>& incoming) {
  std::vector<Outgoing> out;
  std::vector<Staged> staged;
  for (const Incoming& message : incoming) {
    if (message.message.type == MessageType::kRecords) {
      out.push_back({message.agent_id, {}});
      auto answered = StageRecords(message, staged, out.size() - 1);
      if (answered) out.back().messages = std::move(*answered);
      continue;
    }
    CommitStaged(staged, out);
    out.push_back({message.agent_id,
                   Handle(message.agent_id, message.message, message.peer, message.frame_bytes)});
  }
  CommitStaged(staged, out);
  return out;
}

std::optional<std::vector<Message>> SyncServer::StageRecords(const Incoming& incoming,
                                                             std::vector<Staged>& staged,
                                                             std::size_t reply_index) {
  const std::string& agent_id = incoming.agent_id;
  auto session = sessions_.find(agent_id);
  if (session == sessions_.end()) {
    return std::vector<Message>{protocol::MakeError(ErrorCode::kNoSession, "send HELLO first")};
  }
  Staged entry;
  entry.reply_index = reply_index;
  // Deliveries follow the ACK only when the piggybacked cursor opened the window.
  const std::optional<std::uint64_t> applied = PiggybackedApplied(incoming.message.body);
  if (applied && Applied(agent_id, session->second, *applied, 0)) entry.applied = applied;
  entry.batch.agent_id = agent_id;
  entry.batch.peer = incoming.peer;
  entry.batch.clock = ClockReportIn(incoming.message.body);
  const json& records = incoming.message.body["records"];
  entry.batch.records.reserve(records.size());
  for (const json& record : records)
    entry.batch.records.push_back(wire::Entry::FromChecked(record));
  staged.push_back(std::move(entry));
  return std::nullopt;
}

void SyncServer::CommitStaged(std::vector<Staged>& staged, std::vector<Outgoing>& out) {
  if (staged.empty()) return;
  std::vector<IngestBatch> batches;
  batches.reserve(staged.size());
  for (Staged& entry : staged) batches.push_back(std::move(entry.batch));
  const auto started = std::chrono::steady_clock::now();
  std::vector<Result<IngestOutcome>> outcomes = hq_.ingest().CommitGroup(batches);
  if (options_.metrics) {
    options_.metrics->ObserveCommit(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  for (std::size_t i = 0; i < staged.size(); ++i) {
    staged[i].batch = std::move(batches[i]);
    out[staged[i].reply_index].messages = RecordsReplies(staged[i], outcomes[i]);
  }
  staged.clear();
}

std::vector<Message> SyncServer::RecordsReplies(const Staged& staged,
                                                const Result<IngestOutcome>& outcome) {
  const std::string& agent_id = staged.batch.agent_id;
  if (!outcome.ok()) {
    // Nothing of the batch was committed; the agent keeps it and sends it again.
    Logger("sync")->error("event=ingest_failed agent={} records={} code={} error=\"{}\"", agent_id,
                          staged.batch.records.size(), outcome.status().wire_code(),
                          outcome.status().message());
    const ErrorCode code = outcome.status().code() == ErrorCode::kForbidden ? ErrorCode::kForbidden
                                                                            : ErrorCode::kInternal;
    return {protocol::MakeError(code, outcome.status().message())};
  }
  if (options_.metrics) {
    options_.metrics->CountRecords(outcome->applied_by_kind, outcome->refused_by_kind);
  }
  Logger("sync")->debug("event=ingested agent={} records={} ingested={} refused={}", agent_id,
                        staged.batch.records.size(), outcome->ingested, outcome->refused.size());
  std::vector<Message> replies = {
      Message{MessageType::kAck, {{"seqs", outcome->held}, {"ingested", outcome->ingested}}}};
  for (const auto& [seq, status] : outcome->refused) {
    Logger("sync")->warn("event=record_refused agent={} seq={} code={} error=\"{}\"", agent_id, seq,
                         status.wire_code(), status.message());
    replies.push_back(protocol::MakeError(status.code(), status.message(), seq));
  }
  for (const std::string& other : outcome->agents_to_notify) {
    if (std::find(notify_.begin(), notify_.end(), other) == notify_.end()) {
      notify_.push_back(other);
    }
  }
  if (staged.applied) {
    for (Message& delivery : Deliveries(agent_id)) replies.push_back(std::move(delivery));
  }
  return replies;
}

std::vector<Message> SyncServer::OnDelivered(const std::string& agent_id, const json& body,
                                             std::size_t frame_bytes) {
  auto it = sessions_.find(agent_id);
  if (it == sessions_.end()) {
    return {protocol::MakeError(ErrorCode::kNoSession, "send HELLO first")};
  }
  Applied(agent_id, it->second, body["applied"].get<std::uint64_t>(), frame_bytes);
  return Deliveries(agent_id);
}

bool SyncServer::Applied(const std::string& agent_id, Session& session, std::uint64_t applied,
                         std::size_t frame_bytes) {
  if (applied <= session.applied) return false;
  const Millis now = clock_.Now();
  session.applied = applied;
  session.last_progress = now;
  // The messages now applied were one exchange with the agent: they measure its link
  // when the agent was asked to answer at once.
  std::size_t bytes = frame_bytes + protocol::kCurveOverheadBytes;
  std::optional<Sent> first;
  auto done = session.in_flight.begin();
  for (; done != session.in_flight.end() && done->upto <= applied; ++done) {
    if (!first) first = *done;
    bytes += done->bytes;
  }
  // A lone team update may be answered with the agent's next message (a thin link): its
  // time then says only that the link is slow, which the round trip records.
  if (first && frame_bytes > 0 && (first->more || bytes <= 256)) {
    session.link.OnExchange(bytes, now - first->at);
  }
  session.in_flight.erase(session.in_flight.begin(), done);
  if (session.sent_upto < applied) session.sent_upto = applied;
  // Written with the contacts at the next flush: a DELIVERED costs no commit of its own.
  // Were HQ to stop first, the agent's next HELLO states its cursor again.
  applied_[agent_id] = applied;
  return true;
}

std::vector<Message> SyncServer::Deliveries(const std::string& agent_id) {
  auto it = sessions_.find(agent_id);
  if (it == sessions_.end()) return {};
  Session& session = it->second;
  const Millis now = clock_.Now();
  // The resend timer counts from when a window opens after an idle period, not from the
  // last progress before it.
  if (session.sent_upto == session.applied) session.last_progress = now;
  std::vector<Message> messages;
  const std::size_t budget = session.link.Budget();
  std::size_t in_flight = 0;
  for (const Sent& sent : session.in_flight) in_flight += sent.bytes;
  while (session.sent_upto - session.applied < options_.delivery_window &&
         (session.in_flight.empty() || in_flight < budget)) {
    const std::size_t room = std::min(
        options_.deliveries_per_message,
        options_.delivery_window - static_cast<std::size_t>(session.sent_upto - session.applied));
    // One more than fits says whether more follows this message.
    auto pending = hq_.deliveries().Pending(agent_id, session.sent_upto, room + 1);
    if (!pending.ok()) {
      // Nothing is sent; the agent's deliveries wait in the store for the next try.
      Logger("sync")->error("event=deliveries_unreadable agent={} error=\"{}\"", agent_id,
                            pending.status().ToString());
      break;
    }
    if (pending->empty()) break;
    std::string list;
    std::size_t bytes = 0;
    std::size_t taken = 0;
    bool team_only = true;
    for (const DeliveryQueue::QueuedDelivery& delivery : *pending) {
      if (taken == room) break;
      // A message holds what crosses the agent's link in a few seconds, and always at
      // least one delivery (a playbook is at most 1 MiB, below the frame limit).
      const std::size_t size = delivery.text_bytes;
      if (taken > 0 && in_flight + bytes + size > budget) break;
      bytes += size;
      wire::Entry::Pack(list, delivery.seq, delivery.kind, delivery.at, *delivery.packed_body);
      session.sent_upto = delivery.seq;
      team_only = team_only && delivery.kind == wire::DeliveryKindName(wire::DeliveryKind::kTeam);
      ++taken;
    }
    const bool more = taken < pending->size();
    Message message{MessageType::kDeliver};
    message.frame = protocol::EncodePacked(MessageType::kDeliver, DeliverBody(list, taken, more));
    const std::size_t wire = message.frame.size() + protocol::kCurveOverheadBytes;
    session.in_flight.push_back({session.sent_upto, wire, now, more, team_only && !more});
    in_flight += wire;
    messages.push_back(std::move(message));
  }
  return messages;
}

std::optional<Millis> SyncServer::RelayPace(const std::string& agent_id) const {
  constexpr Millis kThinLinkRelayPace = 15'000;
  auto it = sessions_.find(agent_id);
  if (it == sessions_.end()) return std::nullopt;
  return it->second.link.thin() ? kThinLinkRelayPace : 0;
}

std::vector<std::string> SyncServer::StalledAgents() {
  std::vector<std::string> stalled;
  const Millis now = clock_.Now();
  for (auto& [agent_id, session] : sessions_) {
    if (session.sent_upto <= session.applied) continue;
    std::size_t bytes = 0;
    bool lone = true;  // only lone team updates: the agent may answer with its keep-alive
    for (const Sent& sent : session.in_flight) {
      bytes += sent.bytes;
      lone = lone && sent.lone;
    }
    constexpr Millis kLoneUpdateWait = 300'000;
    const Millis floor =
        lone ? std::max(options_.resend_after_ms, kLoneUpdateWait) : options_.resend_after_ms;
    const Millis limit = std::max(floor, 4 * session.link.Expected(bytes));
    if (now - session.last_progress > limit) {
      session.sent_upto = session.applied;
      session.last_progress = now;
      session.in_flight.clear();
      session.link.OnTimeout();
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
