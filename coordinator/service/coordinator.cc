#include "service/coordinator.h"

#include <httplib.h>
#include <sodium.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "api/tls_identity.h"
#include "muster/bundle.h"
#include "muster/digest.h"
#include "muster/files.h"
#include "muster/log.h"
#include "muster/zap.h"
#include "service/router_loop.h"

namespace muster::hq {
namespace {

constexpr const char* kWakeEndpoint = "inproc://muster.wake";
constexpr auto kPollInterval = std::chrono::milliseconds(250);

// The bearer token in |path|, made (64 hex digits, mode 0600) when the file is missing.
// A file others may read, or one holding a short token, is refused.
Result<std::string> LoadOrCreateToken(const std::string& path) {
  if (access(path.c_str(), F_OK) != 0) {
    MUSTER_RETURN_IF_ERROR(WriteFileAtomic(path, RandomHex(32) + "\n", 0600));
  }
  MUSTER_RETURN_IF_ERROR(CheckPrivateFile(path));
  Result<std::string> text = ReadFile(path, 4096);
  if (!text.ok()) return text.status();
  std::string token = text->substr(0, text->find_first_of("\r\n"));
  if (token.size() < 32) {
    return Status::Error(ErrorCode::kInsecureFile,
                         path + " holds a token shorter than 32 characters; delete it to have "
                                "a new one made");
  }
  return token;
}

}  // namespace

Coordinator::Coordinator(Config config, const Clock& clock)
    : config_(std::move(config)), clock_(clock), context_(1) {}

Coordinator::~Coordinator() { Stop(); }

std::string Coordinator::api_url() const {
  // An IPv6 address goes in brackets: https://[::1]:7471
  const std::string host = config_.api_bind.find(':') == std::string::npos
                               ? config_.api_bind
                               : "[" + config_.api_bind + "]";
  return (tls_fingerprint_.empty() ? "http://" : "https://") + host + ":" +
         std::to_string(api_ ? api_->port() : 0);
}

Status Coordinator::PrepareDataDir() {
  // Settings that contradict each other stop the start before anything is made.
  Result<bool> tls = ApiServesTls(config_);
  if (!tls.ok()) return tls.status();
  if (sodium_init() < 0) {
    return Status::Error(ErrorCode::kCryptoUnavailable, "libsodium failed to start");
  }
  MUSTER_RETURN_IF_ERROR(EnsureDirectory(config_.data_dir, 0700));
  if (!data_lock_) {
    Result<DirectoryLock> lock = DirectoryLock::Acquire(config_.data_dir, "muster-coordinator");
    if (!lock.ok()) return lock.status();
    data_lock_.emplace(std::move(lock).value());
  }
  Result<KeyPair> keys = LoadOrCreateKeyPair(config_.data_dir, "coordinator");
  if (!keys.ok()) return keys.status();
  keys_ = *keys;
  Result<archive::SigningKey> archive_key =
      archive::LoadOrCreateSigningKey(config_.data_dir + "/archive-signing.key");
  if (!archive_key.ok()) return archive_key.status();
  archive_key_ = *archive_key;

  Result<std::string> api_token = LoadOrCreateToken(config_.data_dir + "/api.token");
  if (!api_token.ok()) return api_token.status();
  api_token_ = *api_token;
  Result<std::string> metrics_token = LoadOrCreateToken(config_.data_dir + "/metrics.token");
  if (!metrics_token.ok()) return metrics_token.status();
  metrics_token_ = *metrics_token;

  api_tls_ = {};
  tls_fingerprint_.clear();
  if (*tls) {
    Result<TlsIdentity> identity = LoadOrCreateTlsIdentity(
        config_.data_dir, config_.api_tls_cert, config_.api_tls_key, config_.api_bind);
    if (!identity.ok()) return identity.status();
    api_tls_ = {identity->cert_path, identity->key_path};
    tls_fingerprint_ = identity->fingerprint;
    auto log = Logger("api");
    if (identity->generated) {
      log->info("event=api_tls_generated cert={} key={}", identity->cert_path,
                identity->key_path);
    }
    if (identity->expiring) {
      log->warn("event=api_tls_expiring cert={} hint=\"renew it, or delete {} and {} to have a "
                "self-signed pair made (its fingerprint changes)\"",
                identity->cert_path, identity->cert_path, identity->key_path);
    }
  }

  const std::string db_path = config_.data_dir + "/muster.db";
  for (auto* hq : {&router_hq_, &api_hq_}) {
    auto opened = Headquarters::Open(
        db_path, clock_,
        {config_.playbook_signatures_required ? SignaturePolicy::kRequired
                                              : SignaturePolicy::kOptional,
         config_.clock_skew_alert_ms});
    if (!opened.ok()) return opened.status();
    *hq = std::move(opened).value();
  }
  auto zap_db = HqDatabase::Open(db_path, clock_);
  if (!zap_db.ok()) return zap_db.status();
  zap_db_ = std::move(zap_db).value();
  zap_directory_ = std::make_unique<AgentDirectory>(*zap_db_);
  return Status::Ok();
}

Status Coordinator::BindSockets() {
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
    return Status::Error(ErrorCode::kBindFailed, "cannot bind " + config_.agent_bind + ": " +
                                                     error.what() +
                                                     "; is another coordinator running?");
  }
  return Status::Ok();
}

Status Coordinator::Start() {
  if (started_) return Status::Ok();
  Status ready = PrepareDataDir();
  if (ready.ok()) ready = BindSockets();
  if (!ready.ok()) {
    data_lock_.reset();  // a coordinator that did not start holds nothing
    return ready;
  }
  public_endpoint_ = config_.public_endpoint.empty() ? agent_endpoint_ : config_.public_endpoint;
  if (public_endpoint_.find("0.0.0.0") != std::string::npos) {
    Logger("coordinator")
        ->warn(
            "event=public_endpoint_unset endpoint={} hint=\"set "
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
  if (!tls_fingerprint_.empty()) info["tls_fingerprint"] = tls_fingerprint_;
  Status written =
      WriteFileAtomic(config_.data_dir + "/coordinator.json", info.dump(2) + "\n", 0644);
  if (!written.ok()) {
    Stop();
    return written;
  }

  stopping_ = false;
  zap_thread_ = std::thread([this] { RunZap(); });
  router_thread_ = std::thread([this] { RunRouter(); });
  Logger("coordinator")
      ->info("event=started agents={} api={} hq_id={} key={}", agent_endpoint_, api_url(),
             router_hq_->database().hq_id(), KeyFingerprint(keys_.public_key));
  return Status::Ok();
}

void Coordinator::Stop() {
  if (!started_) return;
  stopping_ = true;
  if (api_) api_->Stop();
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
  data_lock_.reset();
  started_ = false;
  Logger("coordinator")->info("event=stopped");
}

void Coordinator::Notify(const std::vector<std::string>& agent_ids) {
  if (agent_ids.empty()) return;
  Wake(WakeLines(agent_ids));
}

void Coordinator::CutOff(const std::string& agent_id) { Wake(CutOffLine(agent_id)); }

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
    std::optional<ZapRequest> request = ReceiveZapRequest(*zap_);
    if (!request) continue;
    std::string status_code = "400", status_text = "refused", user_id;
    const std::string& address = request->address;
    if (!request->curve_key.empty()) {
      const std::string& z85 = request->curve_key;
      Result<std::optional<AgentRecord>> found = zap_directory_->FindByKey(z85);
      const std::optional<AgentRecord> agent = found.ok() ? *found : std::nullopt;
      if (!found.ok()) {
        // The store could not answer: a temporary failure (RFC 27's 300), so the agent
        // tries again; never "refused", which would read as a bad key.
        status_code = "300";
        status_text = "store unavailable";
        log->error("event=zap_store_error address={} key={} error=\"{}\"", address,
                   KeyFingerprint(z85), found.status().ToString());
      } else if (agent && (agent->status == "active" || !agent->wipe_order.empty())) {
        // A revoked agent with a wipe order pending is let in for that one exchange: the
        // router answers it with the order and nothing else (router_loop.h).
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
                request->mechanism.empty() ? "?" : request->mechanism);
    }
    ReplyZap(*zap_, *request, status_code, status_text, user_id);
  }
}

void Coordinator::RunRouter() {
  RouterLoop::Options options;
  options.hq_secret_key = keys_.secret_key;
  options.sync.hq_secret_key = keys_.secret_key;
  options.sync.messages_per_second = config_.agent_messages_per_second;
  options.sync.message_burst = config_.agent_message_burst;
  options.alert_sweep_interval_ms = config_.alert_sweep_interval_ms;
  options.limits = limits_;
  options.metrics = &metrics_;
  options.sync.metrics = &metrics_;
  RouterLoop loop(*router_, *wake_pull_, *router_hq_, clock_, options);
  loop.Run(stopping_);
}

Status Coordinator::StartApi() {
  ApiContext::Hooks hooks;
  hooks.notify = [this](const std::vector<std::string>& agents) { Notify(agents); };
  hooks.cut_off = [this](const std::string& agent_id) { CutOff(agent_id); };
  hooks.bundle_for = [this](const std::string& agent_id, const std::string& member,
                            const KeyPair& keys) { return BundleFor(agent_id, member, keys); };
  hooks.public_endpoint = public_endpoint_;
  hooks.metrics = &metrics_;
  hooks.tiles_dir = config_.data_dir + "/tiles";
  hooks.archive_key = archive_key_;
  api_context_ = std::make_unique<ApiContext>(*api_hq_, stopping_, std::move(hooks));
  api_ = std::make_unique<ApiServer>(ApiTokens{api_token_, metrics_token_}, *api_context_, clock_,
                                     config_.session_lifetime_ms, api_tls_);
  MUSTER_RETURN_IF_ERROR(api_->Listen(config_.api_bind, config_.api_port));
  if (!tls_fingerprint_.empty()) {
    Logger("api")->info("event=api_tls url={} fingerprint={} cert={}", api_url(),
                        tls_fingerprint_, api_tls_.cert_path);
  }
  return Status::Ok();
}

std::string Coordinator::BundleFor(const std::string& agent_id, const std::string& member,
                                   const KeyPair& keys) const {
  return BundleToJson(Bundle{agent_id, member, public_endpoint_, keys_.public_key, keys.public_key,
                             keys.secret_key, api_hq_->database().hq_id()});
}

}  // namespace muster::hq
