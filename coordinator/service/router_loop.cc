#include "service/router_loop.h"

#include "muster/wipe_order.h"

#include <chrono>

#include "muster/keys.h"
#include "muster/log.h"

namespace muster::hq {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(250);
// How often the last contacts heard (PING, HELLO) are written, one commit for all agents,
// and the teams whose tasks changed are sent a fresh snapshot.
constexpr Millis kTickInterval = 1'000;
// Frames read before they are handled as a group: bounded, so that wake-ups and timers
// still run under load.
constexpr int kMaxFramesPerGroup = 256;
// A wake-up line "!ID" ends the agent's session instead of sending it deliveries (agent
// ids never start with '!').
constexpr char kCutOffMark = '!';

// The agent's network address as libzmq saw it ("" when the transport has none).
std::string PeerAddress(zmq::message_t& payload) {
  try {
    return payload.gets("Peer-Address");
  } catch (const zmq::error_t&) {
    return "";
  }
}

}  // namespace

std::string WakeLines(const std::vector<std::string>& agent_ids) {
  std::string text;
  for (const auto& id : agent_ids) text += id + "\n";
  return text;
}

std::string CutOffLine(const std::string& agent_id) { return kCutOffMark + agent_id + "\n"; }

RouterLoop::RouterLoop(zmq::socket_t& router, zmq::socket_t& wake, Headquarters& hq,
                       const Clock& clock, Options options)
    : router_(router),
      wake_(wake),
      hq_(hq),
      clock_(clock),
      options_(options),
      sync_(hq, clock, options.sync) {}

void RouterLoop::Run(const std::atomic<bool>& stopping) {
  auto log = Logger("router");
  Millis last_sweep = clock_.Now();
  Millis last_tick = clock_.Now();
  while (!stopping) {
    if (clock_.Now() - last_tick >= kTickInterval) {
      last_tick = clock_.Now();
      FlushContacts();
      RelayTeams();
      PublishConnected();
    }
    if (clock_.Now() - last_sweep >= options_.alert_sweep_interval_ms) {
      last_sweep = clock_.Now();
      FlushContacts();  // silence is judged on everything heard until now
      SweepAlerts();
    }
    zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0},
                               {wake_.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 2, kPollInterval);
    } catch (const zmq::error_t& error) {
      if (stopping) break;
      log->error("event=poll_failed error=\"{}\"", error.what());
      continue;
    }
    if (items[0].revents & ZMQ_POLLIN) DrainFrames();
    if (items[1].revents & ZMQ_POLLIN) HandleWakes();
    for (const std::string& agent_id : sync_.TakeAgentsToNotify()) {
      SendTo(agent_id, sync_.Deliveries(agent_id));
    }
    for (const std::string& agent_id : sync_.StalledAgents()) {
      SendTo(agent_id, sync_.Deliveries(agent_id));
    }
  }
  FlushContacts();
}

void RouterLoop::DrainFrames() {
  std::vector<SyncServer::Incoming> incoming;
  std::vector<std::string> frame_routes;  // the connection of each incoming message
  for (int i = 0; i < kMaxFramesPerGroup; ++i) {
    zmq::message_t identity, payload;
    if (!router_.recv(identity, zmq::recv_flags::dontwait)) break;
    if (!identity.more()) continue;
    if (!router_.recv(payload, zmq::recv_flags::dontwait)) break;
    while (payload.more()) {  // the protocol uses one frame: drain any extra parts
      zmq::message_t extra;
      if (!router_.recv(extra, zmq::recv_flags::dontwait)) break;
      payload.swap(extra);
    }
    const std::string route = identity.to_string();
    std::optional<SyncServer::Incoming> accepted = Accept(payload, route);
    if (!accepted) continue;
    incoming.push_back(std::move(*accepted));
    frame_routes.push_back(route);
  }
  if (incoming.empty()) return;
  std::vector<SyncServer::Outgoing> replies = sync_.HandleAll(incoming);
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const std::string& agent_id = replies[i].agent_id;
    if (routes_.count(agent_id)) {
      SendTo(agent_id, replies[i].messages);
    } else {
      for (const auto& message : replies[i].messages) Reply(frame_routes[i], agent_id, message);
    }
  }
}

std::optional<SyncServer::Incoming> RouterLoop::Accept(zmq::message_t& payload,
                                                       const std::string& route) {
  auto log = Logger("router");
  std::string key;
  try {
    key = payload.gets("User-Id");
  } catch (const zmq::error_t&) {
    return std::nullopt;  // no authenticated identity: cannot happen behind the ZAP handler
  }
  // Revocation and rotation take effect on open connections too: every message is
  // checked against the store by the key that authenticated the connection.
  Result<std::optional<AgentRecord>> found = hq_.directory().FindByKey(key);
  const std::optional<AgentRecord> agent = found.ok() ? *found : std::nullopt;
  const std::string agent_id = agent ? agent->id : "key:" + KeyFingerprint(key);
  if (!found.ok()) {
    // Not a refusal: the agent keeps its session and sends again.
    log->error("event=store_error agent={} error=\"{}\"", agent_id, found.status().ToString());
    CountRefused(ErrorCode::kInternal);
    Reply(
        route, agent_id,
        protocol::MakeError(ErrorCode::kInternal, "HQ could not read its store; send again later"));
    return std::nullopt;
  }
  if (agent && agent->status != "active" && !agent->wipe_order.empty()) {
    ServeWipe(*agent, payload, route);
    return std::nullopt;
  }
  if (!agent || agent->status != "active") {
    RefuseCutOff(agent_id, route, PeerAddress(payload), agent.has_value());
    CountRefused(ErrorCode::kForbidden);
    Reply(route, agent_id,
          protocol::MakeError(
              ErrorCode::kForbidden,
              agent ? "this agent has been revoked" : "this key has been replaced or revoked"));
    return std::nullopt;
  }
  if (hq_.exercises().Silenced(agent->member_id)) {
    // An exercise's silence inject: HQ hears nothing from the member, as over a lost
    // link, and the laptop keeps its records until the silence ends (domain/exercises.h).
    log->debug("event=exercise_silence agent={}", agent_id);
    return std::nullopt;
  }
  if (std::optional<protocol::Message> refusal = sync_.Admit(agent_id)) {
    CountRefused(ErrorCode::kRateLimited);
    Reply(route, agent_id, *refusal);
    return std::nullopt;
  }
  Result<protocol::Message> decoded = protocol::Decode(
      std::string_view(static_cast<const char*>(payload.data()), payload.size()), options_.limits);
  if (!decoded.ok()) {
    log->warn("event=malformed_message agent={} bytes={} code={} error=\"{}\"", agent_id,
              payload.size(), decoded.status().wire_code(), decoded.status().message());
    CountRefused(decoded.status().code());
    Reply(route, agent_id,
          protocol::MakeError(decoded.status().code(), decoded.status().message()));
    return std::nullopt;
  }
  if (decoded->type == protocol::MessageType::kHello || routes_.count(agent_id)) {
    routes_[agent_id] = route;  // a reconnected agent's newest connection wins
  }
  heard_[agent_id] = clock_.Now();
  return SyncServer::Incoming{agent_id, std::move(decoded).value(), PeerAddress(payload),
                              payload.size()};
}

std::optional<protocol::Message> RouterLoop::WipeMessage(const AgentRecord& agent) {
  Result<std::string> sealed = SealWipeOrder({agent.id, agent.wipe_order, clock_.Now()},
                                             options_.hq_secret_key, agent.public_key);
  if (!sealed.ok()) {
    Logger("router")->error("event=wipe_not_sealed agent={} error=\"{}\"", agent.id,
                            sealed.status().message());
    return std::nullopt;
  }
  return protocol::Message{protocol::MessageType::kWipe, {{"order", *sealed}}};
}

void RouterLoop::ServeWipe(const AgentRecord& agent, zmq::message_t& payload,
                           const std::string& route) {
  auto log = Logger("router");
  routes_.erase(agent.id);
  sync_.EndSession(agent.id);
  if (sync_.Admit(agent.id)) return;  // a flood gets no answers
  Result<protocol::Message> decoded = protocol::Decode(
      std::string_view(static_cast<const char*>(payload.data()), payload.size()), options_.limits);
  if (decoded.ok() && decoded->type == protocol::MessageType::kWiped) {
    const std::string order = decoded->body["order"].get<std::string>();
    Status confirmed = hq_.registry().ConfirmWipe(agent, order, PeerAddress(payload));
    if (confirmed.ok()) {
      log->warn("event=agent_wiped agent={} order={}", agent.id, order);
    } else {
      log->warn("event=wipe_confirmation_refused agent={} error=\"{}\"", agent.id,
                confirmed.message());
    }
    return;
  }
  if (std::optional<protocol::Message> wipe = WipeMessage(agent)) {
    log->warn("event=wipe_sent agent={} order={}", agent.id, agent.wipe_order);
    Reply(route, agent.id, *wipe);
  }
}

void RouterLoop::Reply(const std::string& route, const std::string& agent_id,
                       const protocol::Message& message) {
  const std::string frame = protocol::Encode(message);
  try {
    if (router_.send(zmq::buffer(route), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      router_.send(zmq::buffer(frame), zmq::send_flags::dontwait);
    } else {
      Logger("router")->warn("event=reply_dropped agent={} reason=high_water_mark", agent_id);
    }
  } catch (const zmq::error_t& error) {
    Logger("router")->info("event=reply_unroutable agent={} error=\"{}\"", agent_id, error.what());
  }
}

void RouterLoop::SendTo(const std::string& agent_id,
                        const std::vector<protocol::Message>& messages) {
  auto route = routes_.find(agent_id);
  if (route == routes_.end()) return;
  for (const protocol::Message& message : messages) {
    const std::string frame = protocol::Encode(message);
    try {
      // At the high-water mark the routing frame itself is refused (EAGAIN): stop, and
      // the stalled-delivery timer sends again from the agent's cursor.
      if (!router_.send(zmq::buffer(route->second),
                        zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        return;
      }
      router_.send(zmq::buffer(frame), zmq::send_flags::dontwait);
    } catch (const zmq::error_t& error) {
      Logger("router")->info("event=route_lost agent={} error=\"{}\"", agent_id, error.what());
      routes_.erase(route);
      sync_.EndSession(agent_id);
      return;
    }
  }
}

void RouterLoop::RefuseCutOff(const std::string& agent_id, const std::string& route,
                              const std::string& peer, bool known) {
  // The session and route go at once; the audit log gets one entry per connection, not
  // one per message, so that a refused agent cannot flood it.
  routes_.erase(agent_id);
  sync_.EndSession(agent_id);
  Logger("router")->warn("event=refused_cut_off agent={} peer={}", agent_id, peer);
  if (!refused_routes_.insert(route).second) return;
  if (refused_routes_.size() > 10'000) refused_routes_ = {route};
  Status audited = hq_.audit().Record({{"agent:" + agent_id, "agent:" + agent_id + "@" + peer},
                                       known ? "agent.refused_revoked" : "agent.refused_old_key",
                                       agent_id,
                                       {}});
  if (!audited.ok()) {
    Logger("router")->error("event=audit_failed action=refused_cut_off agent={} error=\"{}\"",
                            agent_id, audited.ToString());
  }
}

void RouterLoop::HandleWakes() {
  zmq::message_t wake;
  while (wake_.recv(wake, zmq::recv_flags::dontwait)) {
    const std::string text = wake.to_string();
    std::size_t start = 0;
    while (start < text.size()) {
      const std::size_t end = text.find('\n', start);
      const std::string line = text.substr(start, end - start);
      start = end == std::string::npos ? text.size() : end + 1;
      if (!line.empty() && line.front() == kCutOffMark) {
        const std::string agent_id = line.substr(1);
        // A wipe ordered while the agent is connected goes on its open link at once.
        auto route = routes_.find(agent_id);
        Result<std::optional<AgentRecord>> agent = hq_.directory().Find(agent_id);
        if (route != routes_.end() && agent.ok() && *agent && !(*agent)->wipe_order.empty()) {
          if (std::optional<protocol::Message> wipe = WipeMessage(**agent)) {
            Logger("router")->warn("event=wipe_sent agent={} order={}", agent_id,
                                   (*agent)->wipe_order);
            Reply(route->second, agent_id, *wipe);
          }
        }
        routes_.erase(agent_id);
        sync_.EndSession(agent_id);
      } else if (!line.empty()) {
        SendTo(line, sync_.Deliveries(line));
      }
    }
  }
}

void RouterLoop::FlushContacts() {
  Status flushed = sync_.FlushContacts();
  if (!flushed.ok()) {
    Logger("router")->error("event=contacts_write_failed code={} error=\"{}\"", flushed.wire_code(),
                            flushed.message());
  }
}

// Teams whose tasks changed get their changes, once a tick, as each agent's link allows.
void RouterLoop::RelayTeams() {
  Result<std::vector<std::string>> agents =
      hq_.team().Relay([&](const std::string& agent_id) { return sync_.RelayPace(agent_id); });
  if (!agents.ok()) {
    Logger("router")->error("event=team_relay_failed code={} error=\"{}\"",
                            agents.status().wire_code(), agents.status().message());
    return;
  }
  for (const std::string& agent_id : *agents) SendTo(agent_id, sync_.Deliveries(agent_id));
}

void RouterLoop::SweepAlerts() {
  // Occurrences and escalations first: an escalation's alert is raised in this sweep.
  Result<TaskEffects> scheduled = hq_.schedule().Sweep();
  if (!scheduled.ok()) {
    Logger("schedule")->error("event=schedule_sweep_failed code={} error=\"{}\"",
                              scheduled.status().wire_code(), scheduled.status().message());
  } else {
    for (const std::string& agent_id : scheduled->agents_to_notify) {
      SendTo(agent_id, sync_.Deliveries(agent_id));
    }
  }
  Result<std::vector<std::string>> injected = hq_.exercises().FireDue();
  if (!injected.ok()) {
    Logger("exercise")->error("event=inject_failed code={} error=\"{}\"",
                              injected.status().wire_code(), injected.status().message());
  } else {
    for (const std::string& agent_id : *injected) SendTo(agent_id, sync_.Deliveries(agent_id));
  }
  Result<int> raised = hq_.alerts().Sweep();
  if (!raised.ok()) {
    Logger("alerts")->error("event=alert_sweep_failed code={} error=\"{}\"",
                            raised.status().wire_code(), raised.status().message());
  } else if (*raised > 0) {
    Logger("alerts")->warn("event=alerts_raised count={}", *raised);
  }
}

void RouterLoop::CountRefused(ErrorCode code) {
  if (options_.metrics) options_.metrics->CountRefusedMessage(code);
}

void RouterLoop::PublishConnected() {
  // Connections that vanish without a word leave no trace at the ROUTER: an agent counts
  // as connected while it has a route and was heard within its longest keep-alive and then
  // some (agents PING after 2 minutes of silence at most, docs/agent.md).
  constexpr Millis kConnectedWithin = 300'000;
  const Millis now = clock_.Now();
  std::erase_if(heard_, [&](const auto& entry) {
    return now - entry.second > kConnectedWithin || !routes_.count(entry.first);
  });
  if (options_.metrics) options_.metrics->SetAgentsConnected(heard_.size());
}

}  // namespace muster::hq
