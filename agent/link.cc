#include "link.h"

#include "muster/wipe_order.h"
#include "vault/wipe.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "muster/log.h"

namespace muster::agent {

using protocol::Message;
using protocol::MessageType;

namespace {

constexpr int kMonitoredEvents = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                                 ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;

// Each monitor needs an inproc address of its own within the process.
std::string MonitorAddress() {
  static std::atomic<std::uint64_t> next{0};
  return "inproc://muster-link-monitor-" + std::to_string(++next);
}

}  // namespace

Link::Link(AgentStore& store, Bundle bundle, const Clock& clock, LinkOptions options)
    : store_(store), bundle_(std::move(bundle)), clock_(clock), options_(options),
      client_(store, clock, bundle_.hq_id, options_.sync), context_(1),
      watch_(options_.watch_dir) {
  if (options_.forward_relayed) {
    relay_queue_ = std::make_unique<RelayQueue>(store_.database(), clock_, bundle_.agent_id);
    client_.Forward(relay_queue_.get());
  }
}

Link::~Link() {
  CloseSocket();
  context_.shutdown();
}

Millis Link::SteadyNow() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

LinkStats Link::stats() const {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  return stats_;
}

void Link::Connect() {
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  socket_->set(zmq::sockopt::curve_serverkey, bundle_.server_public_key);
  socket_->set(zmq::sockopt::curve_publickey, bundle_.public_key);
  socket_->set(zmq::sockopt::curve_secretkey, bundle_.secret_key);
  // Nothing queued at close is lost: unacknowledged records stay in the outbox and are
  // sent again on the next session, so close at once.
  socket_->set(zmq::sockopt::linger, 0);
  // Messages go only to a connection whose handshake is done: nothing waits in a queue
  // for a link that is down, to cross it twice when it returns.
  socket_->set(zmq::sockopt::immediate, 1);
  socket_->set(zmq::sockopt::sndhwm, 1000);
  socket_->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(protocol::Limits{}.max_frame_bytes));
  socket_->set(zmq::sockopt::handshake_ivl, static_cast<int>(options_.handshake_ms));
  // While the first connection has not come up, libzmq dials again on its own, from a
  // jittered start and doubling to the same cap as ours.
  const Millis first = options_.backoff_min_ms / 2 +
                       static_cast<Millis>(randombytes_uniform(
                           static_cast<std::uint32_t>(std::max<Millis>(1, options_.backoff_min_ms))));
  socket_->set(zmq::sockopt::reconnect_ivl, static_cast<int>(first));
  socket_->set(zmq::sockopt::reconnect_ivl_max, static_cast<int>(options_.backoff_max_ms));
  const std::string address = MonitorAddress();
  if (zmq_socket_monitor(socket_->handle(), address.c_str(), kMonitoredEvents) != 0) {
    Logger("link")->error("event=monitor_failed error=\"{}\"", zmq_strerror(zmq_errno()));
  }
  monitor_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::pair);
  monitor_->connect(address);
  socket_->connect(bundle_.endpoint);
  client_.Reset();
  Logger("link")->info("event=connecting endpoint={}", bundle_.endpoint);
}

void Link::CloseSocket() {
  if (socket_) zmq_socket_monitor(socket_->handle(), nullptr, 0);
  monitor_.reset();
  socket_.reset();
  socket_ready_ = false;
  monitor_ready_ = false;
}

void Link::Disconnect(const std::string& why) {
  if (!socket_) return;
  CloseSocket();
  client_.Reset();
  {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    ++stats_.disconnections;
    stats_.sync = client_.stats();
  }
  // Exponential backoff with full jitter: a thousand agents that lost HQ together do not
  // come back together.
  backoff_ms_ = backoff_ms_ == 0 ? options_.backoff_min_ms
                                 : std::min(options_.backoff_max_ms, backoff_ms_ * 2);
  const Millis delay = options_.backoff_min_ms / 2 +
                       static_cast<Millis>(randombytes_uniform(
                           static_cast<std::uint32_t>(std::max<Millis>(1, backoff_ms_))));
  next_attempt_ = SteadyNow() + delay;
  Logger("link")->info("event=disconnected reason=\"{}\" retry_in_ms={}", why, delay);
  WriteStatus(true);
}

void Link::Refused(const std::string& why) {
  if (!refused_) {
    Logger("link")->warn(
        "event=refused_by_hq agent={} reason=\"{}\" retry_in_ms={} hint=\"this agent was "
        "revoked or its key replaced; ask HQ for a new bundle\"",
        bundle_.agent_id, why, options_.refused_retry_ms);
  }
  refused_ = true;
  if (socket_) {
    CloseSocket();
    client_.Reset();
    std::lock_guard<std::mutex> lock(stats_mutex_);
    ++stats_.disconnections;
  }
  next_attempt_ = SteadyNow() + options_.refused_retry_ms;
  WriteStatus(true);
}

bool Link::Send(const Message& message) {
  if (!socket_) return false;
  const std::string frame = protocol::Encode(message);
  try {
    if (!socket_->send(zmq::buffer(frame), zmq::send_flags::dontwait)) return false;
  } catch (const zmq::error_t&) {
    return false;
  }
  client_.Sent(message, frame.size());
  return true;
}

bool Link::HandleEvents() {
  if (!monitor_ || !monitor_ready_) return true;
  monitor_ready_ = false;
  while (monitor_) {
    zmq::message_t event, endpoint;
    if (!monitor_->recv(event, zmq::recv_flags::dontwait)) break;
    if (event.more()) (void)monitor_->recv(endpoint, zmq::recv_flags::dontwait);
    if (event.size() < 6) continue;
    std::uint16_t id = 0;
    std::memcpy(&id, event.data(), sizeof id);
    switch (id) {
      case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: {
        std::lock_guard<std::mutex> lock(stats_mutex_);
        ++stats_.connections;
      }
        client_.OnConnected();
        Logger("link")->info("event=connected endpoint={}", bundle_.endpoint);
        break;
      case ZMQ_EVENT_DISCONNECTED:
        Disconnect("the connection to HQ closed");
        return false;
      case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        Refused("HQ refused the secure handshake: this agent's key is not enrolled there");
        return false;
      case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        Disconnect("HQ refused the secure handshake (is this agent's key still enrolled, "
                   "and the bundle's server key HQ's?)");
        return false;
      case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        Disconnect("the secure handshake with HQ did not complete (the link dropped or "
                   "stayed silent)");
        return false;
      default: break;
    }
  }
  return true;
}

bool Link::Pump(Millis wait_ms) {
  if (!socket_) return false;
  Wait(wait_ms);
  if (!HandleEvents()) return false;
  for (int i = 0; i < 64 && socket_ && socket_ready_; ++i) {
    zmq::message_t frame;
    if (!socket_->recv(frame, zmq::recv_flags::dontwait)) break;
    if (backoff_ms_ != 0 && client_.welcomed()) backoff_ms_ = 0;
    auto decoded = protocol::Decode(std::string_view(static_cast<const char*>(frame.data()),
                                                     frame.size()));
    if (!decoded.ok()) {
      Logger("link")->warn("event=malformed_from_hq error=\"{}\"", decoded.status().message());
      continue;
    }
    if (decoded->type == MessageType::kWipe) {
      CarryOutWipe(decoded->body["order"].get<std::string>());
      if (wiped_) return false;
      continue;
    }
    const bool ack = decoded->type == MessageType::kAck;
    const std::size_t acked = ack ? decoded->body["seqs"].size() : 0;
    for (const Message& reply : client_.OnMessage(*decoded, frame.size())) Send(reply);
    if (ack) acked_this_run_ += acked;
    if (client_.cut_off()) {
      Refused(client_.last_error());
      return false;
    }
    if (client_.welcomed()) refused_ = false;
  }
  if (client_.Overdue()) {
    Disconnect("HQ did not answer in time for this link");
    return false;
  }
  for (const Message& message : client_.Outgoing()) {
    if (!Send(message)) break;  // the connection is going; the monitor will say so
  }
  {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    stats_.sync = client_.stats();
  }
  WriteStatus(false);
  return true;
}

void Link::Wait(Millis wait_ms) {
  std::vector<zmq::pollitem_t> items;
  if (socket_) items.push_back({socket_->handle(), 0, ZMQ_POLLIN, 0});
  if (monitor_) items.push_back({monitor_->handle(), 0, ZMQ_POLLIN, 0});
  if (watch_.interrupt_fd() >= 0) items.push_back({nullptr, watch_.interrupt_fd(), ZMQ_POLLIN, 0});
  if (watch_.changes_fd() >= 0) items.push_back({nullptr, watch_.changes_fd(), ZMQ_POLLIN, 0});
  // Drained after the poll and before the outbox is read: a signal consumed here was made
  // after its commit, so the read that follows sees the records. Events in the data
  // directory that are no signal (store_watch.h) are slept through.
  const Millis deadline = SteadyNow() + std::max<Millis>(0, wait_ms);
  for (;;) {
    const int ready = zmq::poll(items.data(), items.size(),
                                std::chrono::milliseconds(std::max<Millis>(0, deadline - SteadyNow())));
    const bool only_changes =
        ready == 1 && watch_.changes_fd() >= 0 && (items.back().revents & ZMQ_POLLIN);
    if (watch_.Drain() || !only_changes || SteadyNow() >= deadline) break;
  }
  socket_ready_ = socket_ && (items[0].revents & ZMQ_POLLIN);
  monitor_ready_ = monitor_ && (items[1].revents & ZMQ_POLLIN);
}

Millis Link::IdleWait() const {
  const Millis now = SteadyNow();
  Millis wait = client_.NextDue() - clock_.Now();
  wait = std::min(wait, last_status_ + options_.status_every_ms - now);
  if (watch_.changes_fd() < 0) wait = std::min(wait, options_.unwatched_check_ms);
  // Deadlines are acted on once they have passed: wake just after them.
  return std::max<Millis>(1, wait + 1);
}

void Link::WriteStatus(bool force) {
  const Millis now = SteadyNow();
  LinkState state{socket_ != nullptr && client_.welcomed(), clock_.Now(), 0, client_.last_error(),
                  refused_};
  const bool changed = state.connected != written_.connected ||
                       state.last_error != written_.last_error || state.refused != written_.refused;
  if (!force && !changed && now - last_status_ < options_.status_every_ms) return;
  last_status_ = now;
  written_ = state;
  Status status = store_.SetLink(state);
  if (!status.ok()) {
    Logger("link")->warn("event=status_write_failed error=\"{}\"", status.message());
  }
}

void Link::CarryOutWipe(const std::string& sealed) {
  auto log = Logger("link");
  Result<WipeOrder> order =
      OpenWipeOrder(sealed, bundle_.agent_id, bundle_.secret_key, bundle_.server_public_key);
  if (!order.ok()) {
    log->error("event=wipe_refused code={} error=\"{}\"", order.status().wire_code(),
               order.status().message());
    return;
  }
  log->warn("event=wiping agent={} order={}", bundle_.agent_id, order->order_id);
  const Status wiped = WipeLaptop(store_.data_dir(), options_.wipe_also, *order, clock_.Now());
  if (!wiped.ok()) log->error("event=wipe_incomplete error=\"{}\"", wiped.message());
  Message done{MessageType::kWiped, {{"agent", bundle_.agent_id}, {"order", order->order_id}}};
  if (!wiped.ok()) done.body["incomplete"] = wiped.message();
  Send(done);
  socket_->set(zmq::sockopt::linger, 10'000);
  CloseSocket();
  wiped_ = true;
  log->warn("event=wiped agent={} order={} complete={}", bundle_.agent_id, order->order_id,
            wiped.ok());
}

void Link::Run(const std::atomic<bool>& stop) {
  while (!stop && !wiped_) {
    if (!socket_) {
      const Millis wait = next_attempt_ - SteadyNow();
      if (wait > 0) {
        WriteStatus(false);
        // Offline: nothing can be sent, so only the next attempt, the status refresh and a
        // stop request matter.
        Wait(std::min(wait, options_.status_every_ms));
        continue;
      }
      Connect();
    }
    Pump(IdleWait());
  }
  if (wiped_) return;  // nothing is left to write to
  LinkState state{false, 0, 0, "", refused_};
  (void)store_.SetLink(state);
}

SyncReport Link::SyncNow(Millis timeout_ms, const std::function<void(std::uint64_t)>& progress) {
  const Millis deadline = SteadyNow() + timeout_ms;
  SyncReport report;
  std::uint64_t last_pending = UINT64_MAX;
  Millis quiet_since = 0;
  Connect();
  while (SteadyNow() < deadline && !refused_ && !wiped_) {
    if (!socket_) {
      if (SteadyNow() < next_attempt_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      Connect();
    }
    const std::uint64_t acked_before = acked_this_run_;
    Pump(std::min<Millis>(100, IdleWait()));
    const std::uint64_t pending = client_.Pending();
    if (pending != last_pending && progress) progress(pending);
    last_pending = pending;
    // Done when welcomed, nothing pending, nothing in flight, the deliveries HQ had
    // queued are applied, and HQ has been quiet for a moment (so that deliveries that
    // follow our records have arrived).
    auto deliveries = store_.Deliveries();
    const bool caught_up = deliveries.ok() && deliveries->applied >= deliveries->hq_head;
    if (client_.welcomed() && pending == 0 && !client_.in_flight() && caught_up &&
        acked_before == acked_this_run_) {
      if (quiet_since == 0) quiet_since = SteadyNow();
      if (SteadyNow() - quiet_since >= 300) {
        report.connected = true;
        break;
      }
    } else {
      quiet_since = 0;
    }
  }
  report.connected = report.connected || client_.welcomed();
  report.sent_acked = acked_this_run_;
  report.pending = client_.Pending();
  report.refused = client_.refused();
  auto deliveries = store_.Deliveries();
  if (deliveries.ok()) {
    report.applied = deliveries->applied;
    report.hq_head = deliveries->hq_head;
  }
  report.error = refused_ ? "HQ refuses this agent (revoked, or its key replaced); ask HQ for "
                            "a new bundle"
                          : client_.last_error();
  if (!report.connected && report.error.empty()) report.error = "no answer from " + bundle_.endpoint;
  CloseSocket();
  return report;
}

}  // namespace muster::agent
