#include "link.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "muster/log.h"

namespace muster::agent {

using protocol::Message;
using protocol::MessageType;

Link::Link(AgentStore& store, Bundle bundle, const Clock& clock, LinkOptions options)
    : store_(store), bundle_(std::move(bundle)), clock_(clock), options_(options),
      client_(store, clock, bundle_.hq_id, SyncClient::Options{}), context_(1),
      watch_(options_.watch_dir) {}

Link::~Link() {
  socket_.reset();
  context_.shutdown();
}

Millis Link::SteadyNow() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

void Link::Connect() {
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  socket_->set(zmq::sockopt::curve_serverkey, bundle_.server_public_key);
  socket_->set(zmq::sockopt::curve_publickey, bundle_.public_key);
  socket_->set(zmq::sockopt::curve_secretkey, bundle_.secret_key);
  // Nothing queued at close is lost: unacknowledged records stay in the outbox and are
  // sent again on the next session, so close at once.
  socket_->set(zmq::sockopt::linger, 0);
  // A bounded queue: HELLO waits in it until TCP connects. Nothing in it matters beyond
  // the session, because the session logic resends from the cursors.
  socket_->set(zmq::sockopt::sndhwm, 1000);
  socket_->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(protocol::Limits{}.max_frame_bytes));
  socket_->connect(bundle_.endpoint);
  client_.Reset();
  last_heard_ = SteadyNow();
  SendHello();
  Logger("link")->info("event=connecting endpoint={}", bundle_.endpoint);
}

void Link::SendHello() {
  auto hello = client_.Hello();
  if (hello.ok()) Send(*hello);
  last_hello_ = SteadyNow();
}

void Link::Disconnect(const std::string& why) {
  if (!socket_) return;
  socket_.reset();
  client_.Reset();
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

bool Link::Send(const Message& message) {
  if (!socket_) return false;
  const std::string frame = protocol::Encode(message);
  try {
    if (!socket_->send(zmq::buffer(frame), zmq::send_flags::dontwait)) return false;
  } catch (const zmq::error_t&) {
    return false;
  }
  last_sent_ = SteadyNow();
  return true;
}

bool Link::Pump(Millis wait_ms) {
  if (!socket_) return false;
  zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
  Wait(wait_ms, &item);
  for (int i = 0; i < 64 && (item.revents & ZMQ_POLLIN); ++i) {
    zmq::message_t frame;
    if (!socket_->recv(frame, zmq::recv_flags::dontwait)) break;
    last_heard_ = SteadyNow();
    if (backoff_ms_ != 0 && client_.welcomed()) backoff_ms_ = 0;
    auto decoded = protocol::Decode(std::string_view(static_cast<const char*>(frame.data()),
                                                     frame.size()));
    if (!decoded.ok()) {
      Logger("link")->warn("event=malformed_from_hq error=\"{}\"", decoded.status().message());
      continue;
    }
    const bool ack = decoded->type == MessageType::kAck;
    std::size_t acked = ack ? decoded->body["seqs"].size() : 0;
    for (const Message& reply : client_.OnMessage(*decoded)) Send(reply);
    if (ack) acked_this_run_ += acked;
  }
  const Millis now = SteadyNow();
  // HQ lost our session (it restarted and libzmq reconnected underneath): greet again.
  if (!client_.welcomed() && now - last_hello_ > 2'000) SendHello();
  // Keep the pipe full: the next batch goes as soon as the previous one is acknowledged.
  if (auto batch = client_.NextBatch()) {
    if (Send(*batch)) client_.BatchSent();
  }
  if (now - last_sent_ > options_.heartbeat_ms) {
    Send(Message{MessageType::kPing, {{"time", clock_.Now()}}});
  }
  if (now - last_heard_ > options_.dead_after_ms) {
    Disconnect("no word from HQ for " + std::to_string(options_.dead_after_ms / 1000) + "s");
    return false;
  }
  WriteStatus(false);
  return true;
}

void Link::Wait(Millis wait_ms, zmq::pollitem_t* socket_item) {
  std::vector<zmq::pollitem_t> items;
  if (socket_item) items.push_back(*socket_item);
  if (watch_.changes_fd() >= 0) items.push_back({nullptr, watch_.changes_fd(), ZMQ_POLLIN, 0});
  if (watch_.interrupt_fd() >= 0) items.push_back({nullptr, watch_.interrupt_fd(), ZMQ_POLLIN, 0});
  zmq::poll(items.data(), items.size(), std::chrono::milliseconds(std::max<Millis>(0, wait_ms)));
  if (socket_item) socket_item->revents = items.front().revents;
  watch_.Drain();
}

Millis Link::IdleWait() const {
  const Millis now = SteadyNow();
  Millis due = std::min({last_sent_ + options_.heartbeat_ms, last_heard_ + options_.dead_after_ms,
                         last_status_ + options_.status_every_ms});
  if (!client_.welcomed()) due = std::min(due, last_hello_ + 2'000);
  if (watch_.changes_fd() < 0) due = std::min(due, now + options_.unwatched_check_ms);
  // Pump acts on deadlines that have strictly passed: wake just after them.
  return std::max<Millis>(1, due - now + 1);
}

void Link::WriteStatus(bool force) {
  const Millis now = SteadyNow();
  LinkState state{socket_ != nullptr && client_.welcomed(), clock_.Now(), 0, client_.last_error()};
  const bool changed =
      state.connected != written_.connected || state.last_error != written_.last_error;
  if (!force && !changed && now - last_status_ < options_.status_every_ms) return;
  last_status_ = now;
  written_ = state;
  Status status = store_.SetLink(state);
  if (!status.ok()) {
    Logger("link")->warn("event=status_write_failed error=\"{}\"", status.message());
  }
}

void Link::Run(const std::atomic<bool>& stop) {
  while (!stop) {
    if (!socket_) {
      const Millis wait = next_attempt_ - SteadyNow();
      if (wait > 0) {
        WriteStatus(false);
        // Offline: nothing can be sent, so only the next attempt, the status refresh and a
        // stop request matter.
        Wait(std::min(wait, options_.status_every_ms), nullptr);
        continue;
      }
      Connect();
    }
    Pump(IdleWait());
  }
  LinkState state{false, 0, 0, ""};
  (void)store_.SetLink(state);
}

SyncReport Link::SyncNow(Millis timeout_ms, const std::function<void(std::uint64_t)>& progress) {
  const Millis deadline = SteadyNow() + timeout_ms;
  SyncReport report;
  std::uint64_t last_pending = UINT64_MAX;
  Millis quiet_since = 0;
  Connect();
  while (SteadyNow() < deadline) {
    if (!socket_) {
      if (SteadyNow() < next_attempt_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      Connect();
    }
    const std::uint64_t acked_before = acked_this_run_;
    Pump(100);
    const std::uint64_t pending = client_.Pending();
    if (pending != last_pending && progress) progress(pending);
    last_pending = pending;
    // Done when welcomed, nothing pending, nothing in flight, and HQ has been quiet for a
    // moment (so that deliveries that follow our records have arrived).
    if (client_.welcomed() && pending == 0 && !client_.in_flight() &&
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
  auto applied = store_.AppliedWatermark();
  report.applied = applied.ok() ? *applied : 0;
  report.error = client_.last_error();
  if (!report.connected && report.error.empty()) report.error = "no answer from " + bundle_.endpoint;
  socket_.reset();
  return report;
}

}  // namespace muster::agent
