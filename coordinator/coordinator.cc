#include "coordinator.h"

#include <sodium.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "muster/files.h"
#include "muster/log.h"
#include "sync_server.h"

namespace muster::hq {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr const char* kWakeEndpoint = "inproc://muster.wake";
constexpr auto kPollInterval = std::chrono::milliseconds(250);
// How often the last contacts heard (PING, HELLO) are written, one commit for all agents,
// and the teams whose tasks changed are sent a fresh snapshot.
constexpr Millis kTickInterval = 1'000;
// A wake-up line "!ID" ends the agent's session instead of sending it deliveries (agent
// ids never start with '!').
constexpr const char* kCutOffMark = "!";

std::string HexToken(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  hex.pop_back();
  return hex;
}

// The agent's network address as libzmq saw it ("" when the transport has none).
std::string PeerAddress(zmq::message_t& payload) {
  try {
    return payload.gets("Peer-Address");
  } catch (const zmq::error_t&) {
    return "";
  }
}

}  // namespace

Coordinator::Coordinator(Config config, const Clock& clock)
    : config_(std::move(config)), clock_(clock), context_(1) {}

Coordinator::~Coordinator() { Stop(); }

std::string Coordinator::api_url() const {
  return "http://" + config_.api_bind + ":" + std::to_string(api_port_);
}

Status Coordinator::PrepareDataDir() {
  if (sodium_init() < 0) return Status::Error("crypto_unavailable", "libsodium failed to start");
  MUSTER_RETURN_IF_ERROR(EnsureDirectory(config_.data_dir, 0700));
  Result<KeyPair> keys = LoadOrCreateKeyPair(config_.data_dir, "coordinator");
  if (!keys.ok()) return keys.status();
  keys_ = *keys;

  const std::string token_path = config_.data_dir + "/api.token";
  if (access(token_path.c_str(), F_OK) != 0) {
    MUSTER_RETURN_IF_ERROR(WriteFileAtomic(token_path, HexToken(32) + "\n", 0600));
  }
  MUSTER_RETURN_IF_ERROR(CheckPrivateFile(token_path));
  Result<std::string> token = ReadFile(token_path, 4096);
  if (!token.ok()) return token.status();
  api_token_ = token->substr(0, token->find_first_of("\r\n"));
  if (api_token_.size() < 32) {
    return Status::Error("insecure_file", token_path + " holds a token shorter than 32 "
                                          "characters; delete it to have a new one made");
  }

  const std::string db_path = config_.data_dir + "/muster.db";
  for (auto* store : {&router_store_, &zap_store_, &api_store_}) {
    auto opened = HqStore::Open(db_path, clock_);
    if (!opened.ok()) return opened.status();
    *store = std::move(opened).value();
  }
  return Status::Ok();
}

Status Coordinator::Start() {
  if (started_) return Status::Ok();
  MUSTER_RETURN_IF_ERROR(PrepareDataDir());
  try {
    // The ZAP handler must be bound before the ROUTER sees its first handshake: with no
    // handler, libzmq would let any CURVE client in.
    zap_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::rep);
    zap_->bind(kZapEndpoint);

    router_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::router);
    router_->set(zmq::sockopt::curve_server, 1);
    router_->set(zmq::sockopt::curve_secretkey, keys_.secret_key);
    router_->set(zmq::sockopt::zap_domain, "muster");
    // Unroutable replies raise EHOSTUNREACH instead of vanishing: we then end the
    // session, and the deliveries stay in the outbound table for the next HELLO.
    router_->set(zmq::sockopt::router_mandatory, 1);
    // Frames above the protocol limit are dropped by libzmq before they cost memory.
    router_->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(limits_.max_frame_bytes));
    // High-water marks: a slow agent fills its own queue, never the coordinator's memory.
    // Sends are non-blocking; on EAGAIN we stop and resend from the agent's cursor later.
    router_->set(zmq::sockopt::sndhwm, 10'000);
    router_->set(zmq::sockopt::rcvhwm, 10'000);
    // Nothing unsent is worth keeping at close: every delivery is in the store and is
    // sent again on the agent's next HELLO.
    router_->set(zmq::sockopt::linger, 0);
    // A CURVE handshake is about 800 bytes: seconds on a 2.4 kbit/s link a team shares.
    router_->set(zmq::sockopt::handshake_ivl, 60'000);
    // No ZMTP heartbeats: at 10 s they cost an idle agent 8 bytes/s, a third of what a
    // 2.4 kbit/s circuit can spare. Agents keep their connection alive themselves (PING
    // after a silence chosen for their link), and TCP keep-alive frees the peers that
    // vanished without a FIN: probes only after 5 idle minutes, none while PINGs flow.
    router_->set(zmq::sockopt::tcp_keepalive, 1);
    router_->set(zmq::sockopt::tcp_keepalive_idle, 300);
    router_->set(zmq::sockopt::tcp_keepalive_intvl, 60);
    router_->set(zmq::sockopt::tcp_keepalive_cnt, 5);
    router_->bind(config_.agent_bind);
    agent_endpoint_ = router_->get(zmq::sockopt::last_endpoint);

    // Wake-ups from the API thread: no high-water mark, so that none is ever refused
    // (they are tiny and the router drains them every poll).
    wake_pull_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::pull);
    wake_pull_->set(zmq::sockopt::rcvhwm, 0);
    wake_pull_->bind(kWakeEndpoint);
    wake_push_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::push);
    wake_push_->set(zmq::sockopt::sndhwm, 0);
    wake_push_->set(zmq::sockopt::linger, 0);
    wake_push_->connect(kWakeEndpoint);
  } catch (const zmq::error_t& error) {
    return Status::Error("bind_failed", "cannot bind " + config_.agent_bind + ": " + error.what() +
                                            "; is another coordinator running?");
  }
  public_endpoint_ = config_.public_endpoint.empty() ? agent_endpoint_ : config_.public_endpoint;
  if (public_endpoint_.find("0.0.0.0") != std::string::npos) {
    Logger("coordinator")->warn("event=public_endpoint_unset endpoint={} hint=\"set "
                                "agents.public_endpoint so that bundles name a reachable host\"",
                                public_endpoint_);
  }
  started_ = true;  // from here on, a failure is cleaned up by Stop()
  Status api = StartApi();
  if (!api.ok()) {
    Stop();
    return api;
  }

  nlohmann::json info = {{"api_url", api_url()},
                         {"agent_endpoint", agent_endpoint_},
                         {"public_endpoint", public_endpoint_},
                         {"server_public_key", keys_.public_key},
                         {"pid", static_cast<int>(getpid())}};
  Status written =
      WriteFileAtomic(config_.data_dir + "/coordinator.json", info.dump(2) + "\n", 0644);
  if (!written.ok()) {
    Stop();
    return written;
  }

  stopping_ = false;
  zap_thread_ = std::thread([this] { RunZap(); });
  router_thread_ = std::thread([this] { RunRouter(); });
  Logger("coordinator")->info("event=started agents={} api={} hq_id={} key={}", agent_endpoint_,
                              api_url(), router_store_->hq_id(), KeyFingerprint(keys_.public_key));
  return Status::Ok();
}

void Coordinator::Stop() {
  if (!started_) return;
  stopping_ = true;
  if (api_) api_->stop();
  if (api_thread_.joinable()) api_thread_.join();
  if (router_thread_.joinable()) router_thread_.join();
  if (zap_thread_.joinable()) zap_thread_.join();
  router_.reset();
  zap_.reset();
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    wake_push_.reset();
  }
  wake_pull_.reset();
  context_.shutdown();
  started_ = false;
  Logger("coordinator")->info("event=stopped");
}

void Coordinator::Notify(const std::vector<std::string>& agent_ids) {
  if (agent_ids.empty()) return;
  std::string text;
  for (const auto& id : agent_ids) text += id + "\n";
  Wake(text);
}

void Coordinator::CutOff(const std::string& agent_id) { Wake(kCutOffMark + agent_id + "\n"); }

void Coordinator::RefuseCutOff(const std::string& agent_id, const std::string& route,
                               const std::string& peer, bool known) {
  // The session and route go at once; the audit log gets one entry per connection, not
  // one per message, so that a refused agent cannot flood it.
  routes_.erase(agent_id);
  sync_->EndSession(agent_id);
  Logger("router")->warn("event=refused_cut_off agent={} peer={}", agent_id, peer);
  if (!refused_routes_.insert(route).second) return;
  if (refused_routes_.size() > 10'000) refused_routes_ = {route};
  Status audited = router_store_->Audit({{"agent:" + agent_id, "agent:" + agent_id + "@" + peer},
                                         known ? "agent.refused_revoked" : "agent.refused_old_key",
                                         agent_id,
                                         {}});
  if (!audited.ok()) {
    Logger("router")->error("event=audit_failed action=refused_cut_off agent={} error=\"{}\"",
                            agent_id, audited.ToString());
  }
}

void Coordinator::Wake(const std::string& text) {
  std::lock_guard<std::mutex> lock(wake_mutex_);
  if (!wake_push_) return;
  try {
    wake_push_->send(zmq::buffer(text), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& error) {
    // Only at shutdown (the context is gone). The deliveries are in the store and go out
    // on the agent's next HELLO or DELIVERED.
    Logger("coordinator")->warn("event=wake_failed error=\"{}\"", error.what());
  }
}

void Coordinator::RunZap() {
  auto log = Logger("zap");
  while (!stopping_) {
    zmq::pollitem_t item{zap_->handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, kPollInterval);
    if (!(item.revents & ZMQ_POLLIN)) continue;
    std::vector<zmq::message_t> request;
    try {
      while (true) {
        zmq::message_t part;
        if (!zap_->recv(part, zmq::recv_flags::none)) break;
        const bool more = part.more();
        request.push_back(std::move(part));
        if (!more) break;
      }
    } catch (const zmq::error_t&) {
      continue;
    }
    // ZAP/1.0 (RFC 27): version, request id, domain, address, identity, mechanism,
    // then the mechanism's credentials (for CURVE: the client's 32-byte public key).
    std::string status_code = "400", status_text = "refused", user_id;
    const std::string address = request.size() > 3 ? request[3].to_string() : "";
    if (request.size() >= 7 && request[5].to_string() == "CURVE" && request[6].size() == 32) {
      char z85[41] = {};
      zmq_z85_encode(z85, static_cast<const uint8_t*>(request[6].data()), 32);
      Result<std::optional<AgentRecord>> found = zap_store_->FindAgentByKey(z85);
      const std::optional<AgentRecord> agent = found.ok() ? *found : std::nullopt;
      if (!found.ok()) {
        // The store could not answer: a temporary failure (RFC 27's 300), so the agent
        // tries again; never "refused", which would read as a bad key.
        status_code = "300";
        status_text = "store unavailable";
        log->error("event=zap_store_error address={} key={} error=\"{}\"", address,
                   KeyFingerprint(z85), found.status().ToString());
      } else if (agent && agent->status == "active") {
        status_code = "200";
        status_text = "OK";
        // The key itself is the connection's identity: every message is checked against
        // the store by it, so a revoked or rotated key stops working on open connections.
        user_id = z85;
      } else {
        log->warn("event=zap_refused address={} key={} reason={}", address, KeyFingerprint(z85),
                  agent ? "revoked" : "unknown_key");
      }
    } else {
      log->warn("event=zap_refused address={} mechanism={} reason=not_curve", address,
                request.size() > 5 ? request[5].to_string() : "?");
    }
    const std::string version = request.size() > 0 ? request[0].to_string() : "1.0";
    const std::string request_id = request.size() > 1 ? request[1].to_string() : "";
    try {
      zap_->send(zmq::buffer(version), zmq::send_flags::sndmore);
      zap_->send(zmq::buffer(request_id), zmq::send_flags::sndmore);
      zap_->send(zmq::buffer(status_code), zmq::send_flags::sndmore);
      zap_->send(zmq::buffer(status_text), zmq::send_flags::sndmore);
      zap_->send(zmq::buffer(user_id), zmq::send_flags::sndmore);
      zap_->send(zmq::message_t(), zmq::send_flags::none);
    } catch (const zmq::error_t& error) {
      log->error("event=zap_reply_failed error=\"{}\"", error.what());
    }
  }
}

void Coordinator::SendTo(zmq::socket_t& router, const std::string& agent_id,
                         const std::vector<protocol::Message>& messages) {
  auto route = routes_.find(agent_id);
  if (route == routes_.end()) return;
  for (const protocol::Message& message : messages) {
    const std::string frame = protocol::Encode(message);
    try {
      // At the high-water mark the routing frame itself is refused (EAGAIN): stop, and
      // the stalled-delivery timer sends again from the agent's cursor.
      if (!router.send(zmq::buffer(route->second),
                       zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        return;
      }
      router.send(zmq::buffer(frame), zmq::send_flags::dontwait);
    } catch (const zmq::error_t& error) {
      Logger("router")->info("event=route_lost agent={} error=\"{}\"", agent_id, error.what());
      routes_.erase(route);
      sync_->EndSession(agent_id);
      return;
    }
  }
}

void Coordinator::HandleFrame(zmq::socket_t& router, zmq::message_t& identity,
                              zmq::message_t& payload) {
  auto log = Logger("router");
  std::string key;
  try {
    key = payload.gets("User-Id");
  } catch (const zmq::error_t&) {
    return;  // no authenticated identity: cannot happen behind the ZAP handler
  }
  const std::string route = identity.to_string();
  // Revocation and rotation take effect on open connections too: every message is
  // checked against the store by the key that authenticated the connection.
  Result<std::optional<AgentRecord>> found = router_store_->FindAgentByKey(key);
  const std::optional<AgentRecord> agent = found.ok() ? *found : std::nullopt;
  const std::string agent_id = agent ? agent->id : "key:" + KeyFingerprint(key);
  auto reply = [&](const protocol::Message& message) {
    const std::string frame = protocol::Encode(message);
    try {
      if (router.send(zmq::buffer(route), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        router.send(zmq::buffer(frame), zmq::send_flags::dontwait);
      } else {
        log->warn("event=reply_dropped agent={} reason=high_water_mark", agent_id);
      }
    } catch (const zmq::error_t& error) {
      log->info("event=reply_unroutable agent={} error=\"{}\"", agent_id, error.what());
    }
  };
  if (!found.ok()) {
    // Not a refusal: the agent keeps its session and sends again.
    log->error("event=store_error agent={} error=\"{}\"", agent_id, found.status().ToString());
    reply(protocol::MakeError(protocol::errors::kInternal,
                              "HQ could not read its store; send again later"));
    return;
  }
  if (!agent || agent->status != "active") {
    RefuseCutOff(agent_id, route, PeerAddress(payload), agent.has_value());
    reply(protocol::MakeError(protocol::errors::kForbidden,
                              agent ? "this agent has been revoked"
                                    : "this key has been replaced or revoked"));
    return;
  }
  if (std::optional<protocol::Message> refusal = sync_->Admit(agent_id)) {
    reply(*refusal);
    return;
  }
  Result<protocol::Message> decoded = protocol::Decode(
      std::string_view(static_cast<const char*>(payload.data()), payload.size()), limits_);
  if (!decoded.ok()) {
    log->warn("event=malformed_message agent={} bytes={} code={} error=\"{}\"", agent_id,
              payload.size(), decoded.status().code(), decoded.status().message());
    reply(protocol::MakeError(decoded.status().code(), decoded.status().message()));
    return;
  }
  if (decoded->type == protocol::MessageType::kHello) {
    routes_[agent_id] = route;
  } else if (routes_.count(agent_id) && routes_[agent_id] != route) {
    routes_[agent_id] = route;  // the agent reconnected; its newest connection wins
  }
  std::vector<protocol::Message> replies =
      sync_->Handle(agent_id, *decoded, PeerAddress(payload), payload.size());
  if (!routes_.count(agent_id)) {
    for (const auto& message : replies) reply(message);
    return;
  }
  SendTo(router, agent_id, replies);
}

void Coordinator::SweepAlerts() {
  Result<int> raised = router_store_->SweepAlerts();
  if (!raised.ok()) {
    Logger("alerts")->error("event=alert_sweep_failed code={} error=\"{}\"",
                            raised.status().code(), raised.status().message());
  } else if (*raised > 0) {
    Logger("alerts")->warn("event=alerts_raised count={}", *raised);
  }
}

void Coordinator::RunRouter() {
  auto log = Logger("router");
  SyncServer::Options options;
  options.messages_per_second = config_.agent_messages_per_second;
  options.message_burst = config_.agent_message_burst;
  sync_ = std::make_unique<SyncServer>(*router_store_, clock_, options);
  zmq::socket_t& router = *router_;
  Millis last_sweep = clock_.Now();
  Millis last_flush = clock_.Now();
  const auto flush_contacts = [&] {
    last_flush = clock_.Now();
    Status flushed = sync_->FlushContacts();
    if (!flushed.ok()) {
      log->error("event=contacts_write_failed code={} error=\"{}\"", flushed.code(),
                 flushed.message());
    }
  };
  // Teams whose tasks changed get one fresh snapshot each, once a tick.
  const auto relay_teams = [&] {
    Result<std::vector<std::string>> agents = router_store_->RelayTeams(
        [&](const std::string& agent_id) { return sync_->RelayPace(agent_id); });
    if (!agents.ok()) {
      log->error("event=team_relay_failed code={} error=\"{}\"", agents.status().code(),
                 agents.status().message());
      return;
    }
    for (const std::string& agent_id : *agents) {
      SendTo(router, agent_id, sync_->Deliveries(agent_id));
    }
  };
  while (!stopping_) {
    if (clock_.Now() - last_flush >= kTickInterval) {
      flush_contacts();
      relay_teams();
    }
    if (clock_.Now() - last_sweep >= config_.alert_sweep_interval_ms) {
      last_sweep = clock_.Now();
      flush_contacts();  // silence is judged on everything heard until now
      SweepAlerts();
    }
    zmq::pollitem_t items[] = {{router.handle(), 0, ZMQ_POLLIN, 0},
                               {wake_pull_->handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 2, kPollInterval);
    } catch (const zmq::error_t& error) {
      if (stopping_) break;
      log->error("event=poll_failed error=\"{}\"", error.what());
      continue;
    }
    if (items[0].revents & ZMQ_POLLIN) {
      for (int i = 0; i < 256; ++i) {  // bounded, so that wake-ups and timers still run
        zmq::message_t identity, payload;
        if (!router.recv(identity, zmq::recv_flags::dontwait)) break;
        if (!identity.more()) continue;
        if (!router.recv(payload, zmq::recv_flags::dontwait)) break;
        while (payload.more()) {  // the protocol uses one frame: drain any extra parts
          zmq::message_t extra;
          if (!router.recv(extra, zmq::recv_flags::dontwait)) break;
          payload.swap(extra);
        }
        HandleFrame(router, identity, payload);
      }
    }
    if (items[1].revents & ZMQ_POLLIN) {
      zmq::message_t wake;
      while (wake_pull_->recv(wake, zmq::recv_flags::dontwait)) {
        std::string text = wake.to_string();
        std::size_t start = 0;
        while (start < text.size()) {
          const std::size_t end = text.find('\n', start);
          const std::string line = text.substr(start, end - start);
          start = end == std::string::npos ? text.size() : end + 1;
          if (line.rfind(kCutOffMark, 0) == 0) {
            const std::string agent_id = line.substr(1);
            routes_.erase(agent_id);
            sync_->EndSession(agent_id);
          } else if (!line.empty()) {
            SendTo(router, line, sync_->Deliveries(line));
          }
        }
      }
    }
    for (const std::string& agent_id : sync_->TakeAgentsToNotify()) {
      SendTo(router, agent_id, sync_->Deliveries(agent_id));
    }
    for (const std::string& agent_id : sync_->StalledAgents()) {
      SendTo(router, agent_id, sync_->Deliveries(agent_id));
    }
  }
  flush_contacts();
  sync_.reset();
}

}  // namespace muster::hq
