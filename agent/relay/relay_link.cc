#include "relay/relay_link.h"

#include <zmq.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <thread>

#include "muster/log.h"
#include "muster/playbook/marking.h"
#include "muster/playbook/model.h"
#include "relay/site_view.h"

namespace muster::agent {

using nlohmann::json;
using protocol::Message;
using protocol::MessageType;

RelayLink::RelayLink(AgentStore& store, Bundle bundle, const Clock& clock, RelayLinkOptions options)
    : store_(store),
      bundle_(std::move(bundle)),
      clock_(clock),
      options_(std::move(options)),
      context_(1) {
  auto key = RecordAuthKey::Derive(bundle_.secret_key, bundle_.server_public_key);
  if (key.ok()) {
    auth_ = *key;
  } else {
    Logger("relay")->error("event=relay_key_unusable error=\"{}\"", key.status().ToString());
  }
}

RelayLink::~RelayLink() {
  socket_.reset();
  context_.shutdown();
}

RelayLink::Stats RelayLink::stats() const {
  return {connections_.load(), records_.load(), sites_.load()};
}

bool RelayLink::Open() {
  // The relay's key comes from HQ: its agent in a team view this laptop holds.
  std::string relay_key;
  auto teams = store_.TeamSnapshots();
  if (teams.ok()) {
    for (const TeamSnapshot& team : *teams) {
      const json& agents = team.body.value("agents", json::object());
      auto key = agents.find(options_.relay_agent);
      if (key != agents.end() && key->is_string()) relay_key = key->get<std::string>();
    }
  }
  std::array<std::uint8_t, 32> decoded{};
  if (!relay_key.empty() &&
      (relay_key.size() != 40 || zmq_z85_decode(decoded.data(), relay_key.c_str()) == nullptr)) {
    Logger("relay")->error(
        "event=relay_key_invalid relay={} reason=\"the team view's key is not a "
        "CURVE key\"",
        options_.relay_agent);
    return false;
  }
  if (relay_key.empty() || !auth_) {
    Logger("relay")->warn(
        "event=relay_key_unknown relay={} reason=\"no team view from HQ names that agent "
        "yet\" retry_ms={}",
        options_.relay_agent, options_.key_retry_ms);
    return false;
  }
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  socket_->set(zmq::sockopt::curve_serverkey, relay_key);
  socket_->set(zmq::sockopt::curve_publickey, bundle_.public_key);
  socket_->set(zmq::sockopt::curve_secretkey, bundle_.secret_key);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(protocol::Limits{}.max_frame_bytes));
  socket_->set(zmq::sockopt::reconnect_ivl, 500);
  socket_->set(zmq::sockopt::reconnect_ivl_max, 5'000);
  try {
    socket_->connect(options_.endpoint);
  } catch (const zmq::error_t& error) {
    Logger("relay")->error("event=relay_address_invalid endpoint={} error=\"{}\"",
                           options_.endpoint, error.what());
    socket_.reset();
    return false;
  }
  // The HELLO waits in the socket until the handshake is done (the relay may not be up
  // yet); an answer overdue closes the socket and greets again.
  welcomed_ = false;
  in_flight_.clear();
  auto acked = store_.outbox().AckedWatermark();
  auto head = store_.outbox().Head();
  Send(Message{MessageType::kHello,
               {{"agent", store_.agent_id()},
                {"acked", acked.ok() ? *acked : 0},
                {"applied", 0},
                {"head", head.ok() ? *head : 0}}});
  return true;
}

void RelayLink::Close(const std::string& why) {
  if (socket_) Logger("relay")->info("event=relay_closed reason=\"{}\"", why);
  socket_.reset();
  welcomed_ = false;
  awaited_since_.reset();
  in_flight_.clear();
  reachable_ = false;
}

bool RelayLink::Send(const Message& message) {
  try {
    if (!socket_->send(zmq::buffer(protocol::Encode(message)), zmq::send_flags::dontwait)) {
      return false;  // the queue towards a relay not yet reached is full: wait
    }
  } catch (const zmq::error_t& error) {
    Logger("relay")->warn("event=relay_send_failed error=\"{}\"", error.what());
    return false;
  }
  last_sent_ = clock_.Now();
  if (!awaited_since_) awaited_since_ = last_sent_;
  return true;
}

void RelayLink::Run(const std::atomic<bool>& stop) {
  while (!stop) {
    if (!socket_) {
      if (clock_.Now() >= next_open_ && !Open()) next_open_ = clock_.Now() + options_.key_retry_ms;
      if (!socket_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(options_.poll_ms));
        continue;
      }
    }
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
    try {
      zmq::poll(&item, 1, std::chrono::milliseconds(options_.poll_ms));
    } catch (const zmq::error_t& error) {
      Logger("relay")->warn("event=relay_poll_failed error=\"{}\"", error.what());
    }
    if (item.revents & ZMQ_POLLIN) Receive();
    if (socket_) Step();
  }
  Close("stopping");
}

void RelayLink::Receive() {
  while (socket_) {
    zmq::message_t frame;
    try {
      if (!socket_->recv(frame, zmq::recv_flags::dontwait)) return;
    } catch (const zmq::error_t&) {
      return;
    }
    auto message = protocol::Decode(frame.to_string_view());
    if (!message.ok()) {
      Logger("relay")->warn("event=relay_message_refused error=\"{}\"",
                            message.status().ToString());
      continue;
    }
    last_heard_ = clock_.Now();
    awaited_since_.reset();
    reachable_ = true;
    Handle(*message);
  }
}

void RelayLink::Handle(const Message& message) {
  auto log = Logger("relay");
  switch (message.type) {
    case MessageType::kSite: {
      Status kept = SiteView(store_.database(), clock_).Apply(message.body, options_.relay_agent);
      if (!kept.ok()) {
        log->warn("event=relay_site_not_kept error=\"{}\"", kept.message());
        return;
      }
      ++sites_;
      if (!welcomed_) {
        welcomed_ = true;
        ++connections_;
        log->info("event=relay_welcomed relay={} endpoint={}", options_.relay_agent,
                  options_.endpoint);
      }
      return;
    }
    case MessageType::kAck: {
      std::vector<std::uint64_t> seqs;
      for (const json& seq : message.body["seqs"]) {
        if (seq.is_number_unsigned()) seqs.push_back(seq.get<std::uint64_t>());
      }
      Status marked = store_.outbox().MarkRelayHeld(seqs);
      if (!marked.ok()) log->warn("event=relay_mark_failed error=\"{}\"", marked.message());
      records_ += seqs.size();
      in_flight_.clear();
      return;
    }
    case MessageType::kError: {
      const std::string code = message.body["code"].get<std::string>();
      const std::string text = message.body["message"].get<std::string>();
      if (auto ref = message.body.find("ref");
          ref != message.body.end() && ref->is_number_unsigned()) {
        // HQ held the record the relay carried but refused its effect: show the member.
        Status marked = store_.outbox().MarkRefused(ref->get<std::uint64_t>(), code + ": " + text);
        if (!marked.ok()) log->warn("event=relay_mark_failed error=\"{}\"", marked.message());
        return;
      }
      log->warn("event=relay_error code={} error=\"{}\"", code, text);
      in_flight_.clear();
      // Not at once again: a relay whose store fails is not hammered.
      next_batch_ = clock_.Now() + options_.answer_ms;
      if (message.body["code"].get<std::string>() == "forbidden") {
        Close("the relay refused this agent");
        next_open_ = clock_.Now() + options_.answer_ms;
      }
      return;
    }
    case MessageType::kPong:
      return;
    case MessageType::kPing:
      Send(Message{MessageType::kPong, {{"time", clock_.Now()}}});
      return;
    default:
      log->warn("event=relay_unexpected type={}", protocol::ToString(message.type));
  }
}

bool RelayLink::NotForTeam(const OutboxRecord& record, const std::vector<Task>& tasks) {
  // A hit quotes the watchlist entry; the relay's laptop may keep no list, sealed or not.
  if (record.kind == "watchlist_hit") return true;
  if (record.kind != "finding" && record.kind != "note" && record.kind != "attachment_chunk") {
    return false;  // states, ticks and alerts are what the team view is made of
  }
  playbook::Marking marking;
  if (auto raised = record.body.find("marking");
      raised != record.body.end() && raised->is_string()) {
    marking = playbook::ParseMarking(raised->get<std::string>()).value_or(marking);
  }
  auto task = std::find_if(tasks.begin(), tasks.end(),
                           [&](const Task& candidate) { return candidate.id == record.task; });
  if (!record.task.empty()) {
    // A step whose marking cannot be read (its task or playbook is not here) is kept from
    // the team: withheld wrongly costs a delay, given wrongly cannot be taken back.
    if (task == tasks.end()) return true;
    auto book = store_.PlaybookByHash(task->playbook);
    const playbook::Step* step = book.ok() ? (*book)->FindStep(task->step) : nullptr;
    if (!step) return true;
    marking = playbook::Raise(marking, (*book)->MarkingOf(*step));
  }
  if (record.kind == "attachment_chunk") {
    // A file goes as far as the finding it is attached to.
    auto findings = store_.outbox().Records(record.task);
    const std::string sha256 = record.body.value("attachment", "");
    if (findings.ok()) {
      for (const OutboxRecord& finding : *findings) {
        if (finding.kind != "finding" || finding.body.dump().find(sha256) == std::string::npos) {
          continue;
        }
        if (auto raised = finding.body.find("marking");
            raised != finding.body.end() && raised->is_string()) {
          marking = playbook::Raise(
              marking, playbook::ParseMarking(raised->get<std::string>()).value_or(marking));
        }
      }
    }
  }
  return marking.tlp == playbook::Tlp::kRed;
}

std::optional<Message> RelayLink::NextBatch() {
  auto batch = store_.outbox().NextForRelay(options_.batch_records, options_.batch_bytes);
  if (batch.ok() && batch->empty()) {
    // Attached files not cut yet: pieces small enough for the relay's thin link to HQ.
    batch = store_.outbox().CutPiecesForRelay(options_.batch_records, options_.piece_bytes);
  }
  if (!batch.ok()) {
    Logger("relay")->warn("event=relay_outbox_unreadable error=\"{}\"", batch.status().message());
    return std::nullopt;
  }
  auto tasks = store_.Tasks();
  if (!tasks.ok()) {
    Logger("relay")->warn("event=relay_tasks_unreadable error=\"{}\"", tasks.status().message());
    return std::nullopt;
  }
  std::vector<std::uint64_t> withheld;
  for (auto it = batch->begin(); it != batch->end();) {
    if (NotForTeam(*it, *tasks)) {
      withheld.push_back(it->seq);
      it = batch->erase(it);
    } else {
      ++it;
    }
  }
  if (!withheld.empty()) {
    Status marked = store_.outbox().MarkNotForRelay(withheld);
    if (!marked.ok()) {
      Logger("relay")->warn("event=relay_mark_failed error=\"{}\"", marked.message());
      return std::nullopt;
    }
    Logger("relay")->info("event=relay_withheld records={} reason=\"TLP:RED: for HQ only\"",
                          withheld.size());
  }
  if (batch->empty()) return std::nullopt;
  json records = json::array();
  in_flight_.clear();
  for (const OutboxRecord& record : *batch) {
    wire::Entry entry{record.seq, record.kind, record.created_at, record.body};
    const std::string tag = auth_->Tag(store_.agent_id(), entry);
    json element = std::move(entry).Encode();
    element["auth"] = tag;
    records.push_back(std::move(element));
    in_flight_.push_back(record.seq);
  }
  Message message{MessageType::kRecords, {{"records", std::move(records)}}};
  auto acked = store_.outbox().AckedWatermark();
  if (acked.ok()) message.body["acked"] = *acked;
  return message;
}

void RelayLink::Step() {
  const Millis now = clock_.Now();
  if (awaited_since_ && now - *awaited_since_ > options_.answer_ms) {
    Close("no answer from the relay within " + std::to_string(options_.answer_ms) + " ms");
    return;
  }
  if (!welcomed_ || !in_flight_.empty()) return;
  if (now >= next_batch_) {
    if (auto batch = NextBatch()) {
      if (!Send(*batch)) in_flight_.clear();
      return;
    }
  }
  if (!awaited_since_ && now - std::max(last_sent_, last_heard_) >= options_.keepalive_ms) {
    auto acked = store_.outbox().AckedWatermark();
    Send(Message{MessageType::kPing, {{"time", now}, {"acked", acked.ok() ? *acked : 0}}});
  }
}

}  // namespace muster::agent
