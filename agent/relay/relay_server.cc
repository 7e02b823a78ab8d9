#include "relay/relay_server.h"

#include "muster/keys.h"
#include "muster/log.h"
#include "muster/zap.h"
#include "relay/site_view.h"
#include "store_watch.h"

namespace muster::agent {

using nlohmann::json;
using protocol::Message;
using protocol::MessageType;

RelayServer::RelayServer(AgentStore& store, Bundle bundle, const Clock& clock,
                         RelayServerOptions options)
    : store_(store),
      bundle_(std::move(bundle)),
      clock_(clock),
      options_(std::move(options)),
      queue_(store.database(), clock, bundle_.agent_id),
      context_(1) {}

RelayServer::~RelayServer() {
  router_.reset();
  zap_.reset();
  context_.shutdown();
}

Status RelayServer::Start() {
  try {
    // The handler first: libzmq admits every CURVE client when no handler listens.
    zap_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::rep);
    zap_->bind(kZapEndpoint);
    router_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::router);
    router_->set(zmq::sockopt::curve_server, 1);
    router_->set(zmq::sockopt::curve_secretkey, bundle_.secret_key);
    router_->set(zmq::sockopt::zap_domain, "muster-relay");
    router_->set(zmq::sockopt::linger, 0);
    router_->set(zmq::sockopt::maxmsgsize,
                 static_cast<int64_t>(protocol::Limits{}.max_frame_bytes));
    router_->set(zmq::sockopt::router_mandatory, 1);
    router_->bind(options_.bind);
    endpoint_ = router_->get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& error) {
    return Status::Error(ErrorCode::kInvalidArgument,
                         "the field relay cannot listen on " + options_.bind + ": " + error.what() +
                             "; give a free local address with --relay-bind");
  }
  Logger("relay")->info("event=relay_listening endpoint={}", endpoint_);
  return Status::Ok();
}

RelayServer::Stats RelayServer::stats() const {
  return {records_.load(), keys_refused_.load(), site_sent_.load()};
}

void RelayServer::Run(const std::atomic<bool>& stop) {
  Millis next_site = 0;
  while (!stop) {
    zmq::pollitem_t items[] = {{zap_->handle(), 0, ZMQ_POLLIN, 0},
                               {router_->handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(options_.poll_ms));
    } catch (const zmq::error_t& error) {
      Logger("relay")->warn("event=relay_poll_failed error=\"{}\"", error.what());
      continue;
    }
    if (items[0].revents & ZMQ_POLLIN) ServeZap();
    if (items[1].revents & ZMQ_POLLIN) ServeMessage();
    const Millis now = clock_.Now();
    if (now >= next_site) {
      // Members silent for long are no longer told; they say HELLO when they return.
      for (auto it = members_.begin(); it != members_.end();) {
        it = now - it->second.heard_at > options_.member_silent_ms ? members_.erase(it) : ++it;
      }
      SendSite(false, "");
      next_site = now + options_.site_every_ms;
    }
  }
}

void RelayServer::ServeZap() {
  std::optional<ZapRequest> request = ReceiveZapRequest(*zap_);
  if (!request) return;
  auto keys = queue_.TeamKeys();
  if (!keys.ok()) {
    Logger("relay")->error("event=relay_zap_store_error error=\"{}\"", keys.status().ToString());
    ReplyZap(*zap_, *request, "300", "store unavailable", "");
    return;
  }
  auto agent = request->curve_key.empty() ? keys->end() : keys->find(request->curve_key);
  if (agent == keys->end() || agent->second == bundle_.agent_id) {
    ++keys_refused_;
    Logger("relay")->warn("event=relay_key_refused address={} key={}", request->address,
                          request->curve_key.empty() ? "none" : KeyFingerprint(request->curve_key));
    ReplyZap(*zap_, *request, "400", "not a key of this team", "");
    return;
  }
  // The key is the connection's identity: each message is checked against the team's
  // keys again, so a key HQ removed from the team stops working on an open connection.
  ReplyZap(*zap_, *request, "200", "OK", request->curve_key);
}

void RelayServer::ServeMessage() {
  zmq::message_t route, payload;
  try {
    if (!router_->recv(route, zmq::recv_flags::dontwait)) return;
    while (route.more()) {
      if (!router_->recv(payload, zmq::recv_flags::none)) return;
      if (!payload.more()) break;
    }
  } catch (const zmq::error_t& error) {
    Logger("relay")->warn("event=relay_receive_failed error=\"{}\"", error.what());
    return;
  }
  std::string key;
  try {
    key = payload.gets("User-Id");
  } catch (const zmq::error_t&) {
    return;  // no authenticated identity: cannot happen behind the ZAP handler
  }
  auto keys = queue_.TeamKeys();
  const std::string route_id = route.to_string();
  if (!keys.ok() || !keys->count(key)) {
    Send(route_id,
         protocol::MakeError(ErrorCode::kForbidden, "this key is no longer one of the team's"));
    return;
  }
  const std::string& agent = keys->at(key);
  auto message = protocol::Decode(payload.to_string_view());
  if (!message.ok()) {
    Logger("relay")->warn("event=relay_message_refused agent={} error=\"{}\"", agent,
                          message.status().ToString());
    Send(route_id, protocol::MakeError(message.status().code(), message.status().message()));
    return;
  }
  for (const Message& reply : Handle(route_id, agent, *message)) Send(route_id, reply);
  // What HQ refused of this member's records since it was last heard, as HQ would have
  // told it: an ERROR naming each record.
  auto refusals = queue_.TakeRefusals(agent);
  if (!refusals.ok()) return;
  for (const RelayQueue::Refusal& refusal : *refusals) {
    Send(route_id, Message{MessageType::kError,
                           {{"code", refusal.code},
                            {"message", "HQ refused it: " + refusal.message},
                            {"ref", refusal.seq}}});
  }
}

std::vector<Message> RelayServer::Handle(const std::string& route, const std::string& agent,
                                         const Message& message) {
  Member& member = members_[route];
  member.agent = agent;
  member.heard_at = clock_.Now();
  // A member states what HQ acknowledged of its records: those need not be forwarded.
  auto acked = message.body.find("acked");
  if (acked != message.body.end() && acked->is_number_unsigned()) {
    Status kept = queue_.HqHoldsUpTo(agent, acked->get<std::uint64_t>());
    if (!kept.ok()) Logger("relay")->warn("event=relay_store_error error=\"{}\"", kept.message());
  }
  switch (message.type) {
    case MessageType::kHello:
      if (message.body["agent"].get<std::string>() != agent) {
        return {protocol::MakeError(ErrorCode::kForbidden,
                                    "HELLO names another agent than the key that signed in")};
      }
      member.site_sent.clear();
      SendSite(true, route);
      return {};
    case MessageType::kRecords:
      return OnRecords(agent, message.body);
    case MessageType::kPing:
      return {Message{MessageType::kPong, {{"time", clock_.Now()}}}};
    case MessageType::kPong:
      return {};
    default:
      return {protocol::MakeError(
          ErrorCode::kUnknownType,
          std::string(protocol::ToString(message.type)) + " is not accepted by the field relay")};
  }
}

std::vector<Message> RelayServer::OnRecords(const std::string& agent, const json& body) {
  std::vector<RelayedRecord> records;
  for (const json& element : body["records"]) {
    auto auth = element.find("auth");
    if (auth == element.end() || !auth->is_string()) {
      // Without its author's tag HQ could not take it from the relay: refused whole, so
      // that the member sends its records to HQ itself.
      return {protocol::MakeError(ErrorCode::kMalformed,
                                  "a record without its author's tag (`auth`): the relay "
                                  "carries only records HQ can verify")};
    }
    records.push_back({agent, wire::Entry::FromChecked(element), auth->get<std::string>()});
  }
  auto held = queue_.Keep(agent, records);
  if (!held.ok()) {
    Logger("relay")->error("event=relay_store_error agent={} error=\"{}\"", agent,
                           held.status().ToString());
    return {protocol::MakeError(
        ErrorCode::kInternal, "the relay could not keep the records: " + held.status().message())};
  }
  records_ += held->size();
  Status signalled = SignalOutboxChanged(store_.data_dir());  // wakes the link to HQ
  if (!signalled.ok()) {
    Logger("relay")->warn("event=relay_signal_failed error=\"{}\"", signalled.message());
  }
  Logger("relay")->debug("event=relay_kept agent={} records={}", agent, held->size());
  std::vector<Message> replies = {Message{MessageType::kAck, {{"seqs", *held}, {"ingested", 0}}}};
  SendSite(false, "");
  return replies;
}

void RelayServer::SendSite(bool route_only, const std::string& route) {
  auto teams = queue_.Site();
  if (!teams.ok()) {
    Logger("relay")->warn("event=relay_site_unreadable error=\"{}\"", teams.status().ToString());
    return;
  }
  // This laptop's own member sees the team on site too.
  json own = RelayQueue::SiteBody(*teams, bundle_.agent_id, bundle_.agent_id, 0);
  if (const std::string text = own.dump(); text != own_site_) {
    Status kept = SiteView(store_.database(), clock_).Apply(own, bundle_.agent_id);
    if (kept.ok()) {
      own_site_ = text;
    } else {
      Logger("relay")->warn("event=relay_site_not_kept error=\"{}\"", kept.message());
    }
  }
  for (auto& [id, member] : members_) {
    if (route_only && id != route) continue;
    json body = RelayQueue::SiteBody(*teams, member.agent, bundle_.agent_id, 0);
    const std::string text = body.dump();
    if (text == member.site_sent) continue;
    member.site_sent = text;
    body["time"] = clock_.Now();
    Send(id, Message{MessageType::kSite, std::move(body)});
    ++site_sent_;
  }
}

void RelayServer::Send(const std::string& route, const Message& message) {
  try {
    router_->send(zmq::buffer(route), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    router_->send(zmq::buffer(protocol::Encode(message)), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& error) {
    // The member is gone (router_mandatory): dropped at the next sweep; it says HELLO
    // again when it returns.
    if (auto member = members_.find(route); member != members_.end()) member->second.heard_at = 0;
    Logger("relay")->debug("event=relay_send_failed error=\"{}\"", error.what());
  }
}

}  // namespace muster::agent
