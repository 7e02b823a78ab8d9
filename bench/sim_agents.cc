#include "sim_agents.h"

#include <sodium.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <optional>

#include <zmq.hpp>

#include "bench_common.h"
#include "muster/error_code.h"
#include "muster/protocol.h"

namespace muster::bench {

using nlohmann::json;
using protocol::Message;
using protocol::MessageType;

namespace {

// The events the real link watches (agent/link.cc).
constexpr int kMonitoredEvents = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
// Timers (keep-alive, resend, a HELLO to repeat) are looked at this often.
constexpr Millis kScanMs = 100;
// A WELCOME from the wrong HQ: greet again after this (the real agent's answer floor).
constexpr Millis kWrongHqRetryMs = 60'000;

Millis SteadyMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string MonitorAddress() {
  static std::atomic<std::uint64_t> next{0};
  return "inproc://muster-sim-monitor-" + std::to_string(++next);
}


// Reads the seq of each entry of a DELIVER body without building the body: the simulated
// agent applies nothing, and decoding every team view it is sent would make the harness,
// not HQ, the slowest part of a dispatch.
class DeliveredSeqScanner : public nlohmann::json_sax<json> {
 public:
  explicit DeliveredSeqScanner(std::vector<std::uint64_t>& seqs) : seqs_(seqs) {}
  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t value) override {
    // body (depth 1) -> deliveries (2) -> an entry (3) -> its "seq"
    if (depth_ == 3 && in_deliveries_ && key_ == "seq") seqs_.push_back(value);
    return Value();
  }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override { return Open(); }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(); }
  bool end_array() override { return Close(); }
  bool key(string_t& key) override {
    if (depth_ == 1) in_deliveries_ = key == "deliveries";
    if (depth_ <= 3) key_ = key;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool Value() { return true; }
  bool Open() {
    ++depth_;
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }
  std::vector<std::uint64_t>& seqs_;
  int depth_ = 0;
  bool in_deliveries_ = false;
  std::string key_;
};

bool DeliveredSeqs(const std::string& payload, std::vector<std::uint64_t>& seqs) {
  DeliveredSeqScanner scanner(seqs);
  return json::sax_parse(payload, &scanner, json::input_format_t::msgpack, /*strict=*/true);
}

}  // namespace

const char* CounterName(Counter counter) {
  static const char* const kNames[kCounters] = {
      "records_made", "records_acked", "refused",    "rate_limited",       "other_errors",
      "hellos",       "pings",         "deliveries", "disconnections",     "handshake_failures",
      "malformed_from_hq", "wrong_hq"};
  return kNames[counter];
}

nlohmann::json SwarmCounts::ToJson() const {
  nlohmann::json out = {{"agents", agents}, {"welcomed", welcomed}};
  for (int c = 0; c < kCounters; ++c) out[CounterName(static_cast<Counter>(c))] = n[c];
  return out;
}

struct Swarm::Agent {
  struct Group {
    std::uint64_t first = 0;
    int count = 0;
    Millis made = 0;             // steady ms
    bool measured = false;       // made while latencies were measured
    bool sent_before = false;    // handed to a socket in an earlier session
  };

  Agent(int index_, SimAgentSpec spec_) : index(index_), spec(std::move(spec_)) {}

  const int index;
  const SimAgentSpec spec;

  // Driver thread only.
  std::unique_ptr<zmq::socket_t> dealer, monitor;
  bool connected = false;
  bool welcomed = false;
  std::optional<Millis> hello_due;  // a HELLO goes at this time
  bool hello_out = false;           // a HELLO waits for its WELCOME
  bool ping_out = false;            // a PING waits for its PONG
  std::deque<Group> outbox;         // made and not acknowledged, in seq order
  std::size_t in_flight = 0;        // the first |in_flight| groups of |outbox| are sent
  Millis resend_at = 0;
  Millis last_io = 0;               // the last message either way
  bool touched = false;             // tried to send since the driver last looked
  std::uint64_t next_seq = 1;
  std::uint64_t applied_seq = 0;

  // Written by the driver, read by anyone.
  std::atomic<bool> in_session{false};
  std::atomic<std::uint64_t> applied{0};
  std::atomic<int> queued{0};  // groups the member was asked to make
  std::array<std::atomic<std::uint64_t>, kCounters> counters{};

  void Bump(Counter counter, std::uint64_t by = 1) {
    counters[counter].fetch_add(by, std::memory_order_relaxed);
  }
};

struct Swarm::Driver {
  Driver(Swarm& swarm_, std::vector<Agent*> agents_) : swarm(swarm_), agents(std::move(agents_)) {
    wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    thread = std::thread([this] { Run(); });
  }
  ~Driver() {
    stop = true;
    Wake();
    if (thread.joinable()) thread.join();
    if (wake_fd >= 0) ::close(wake_fd);
  }
  void Wake() const {
    const std::uint64_t one = 1;
    if (wake_fd >= 0) (void)!::write(wake_fd, &one, sizeof one);
  }

  void Run();
  void Connect(Agent& agent);
  void Close(Agent& agent);
  bool Send(Agent& agent, const Message& message, Millis now);
  void HandleEvents(Agent& agent, Millis now);
  void Receive(Agent& agent, Millis now);
  void OnMessage(Agent& agent, const Message& message, Millis now);
  void OnWelcome(Agent& agent, const json& body, Millis now);
  void OnAck(Agent& agent, const json& body, Millis now);
  void OnDeliver(Agent& agent, std::string_view frame, Millis now);
  void OnError(Agent& agent, const json& body, Millis now);
  void ResetSession(Agent& agent);
  void MakeGroup(Agent& agent, Millis now);
  Message Hello(const Agent& agent) const;
  // Sends whatever is due: a HELLO, the member's groups, a keep-alive.
  void Pump(Agent& agent, Millis now);
  // Events, messages and what is due, until the agent's sockets have nothing to read.
  void Service(Agent& agent, Millis now);
  static bool Readable(zmq::socket_t* socket);

  Swarm& swarm;
  std::vector<Agent*> agents;
  std::unique_ptr<zmq::context_t> context;
  int wake_fd = -1;
  std::atomic<bool> stop{false};
  std::thread thread;
  SystemClock clock;
  std::vector<double> latencies;  // flushed to the swarm's list in batches
};

void Swarm::Driver::Connect(Agent& agent) {
  const Bundle& bundle = agent.spec.bundle;
  agent.dealer = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::dealer);
  zmq::socket_t& socket = *agent.dealer;
  // The real link's settings (agent/link.cc): CURVE with the agent's own key, nothing
  // queued for a connection that is not up, and libzmq's jittered, doubling redial.
  socket.set(zmq::sockopt::curve_serverkey, bundle.server_public_key);
  socket.set(zmq::sockopt::curve_publickey, bundle.public_key);
  socket.set(zmq::sockopt::curve_secretkey, bundle.secret_key);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::immediate, 1);
  socket.set(zmq::sockopt::sndhwm, 1000);
  socket.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(protocol::Limits{}.max_frame_bytes));
  socket.set(zmq::sockopt::handshake_ivl, 60'000);
  socket.set(zmq::sockopt::reconnect_ivl, static_cast<int>(250 + randombytes_uniform(500)));
  socket.set(zmq::sockopt::reconnect_ivl_max, 15'000);
  const std::string address = MonitorAddress();
  if (zmq_socket_monitor(socket.handle(), address.c_str(), kMonitoredEvents) != 0) {
    Die("fleet_bench", std::string("cannot monitor a simulated agent's socket: ") +
                           zmq_strerror(zmq_errno()));
  }
  agent.monitor = std::make_unique<zmq::socket_t>(*context, zmq::socket_type::pair);
  agent.monitor->connect(address);
  socket.connect(bundle.endpoint);
}

void Swarm::Driver::Close(Agent& agent) {
  if (agent.dealer) zmq_socket_monitor(agent.dealer->handle(), nullptr, 0);
  agent.monitor.reset();
  agent.dealer.reset();
  agent.in_session = false;
}

bool Swarm::Driver::Send(Agent& agent, const Message& message, Millis now) {
  agent.touched = true;  // even a refused send may take the socket's signal
  const std::string frame = protocol::Encode(message);
  try {
    if (!agent.dealer->send(zmq::buffer(frame), zmq::send_flags::dontwait)) return false;
  } catch (const zmq::error_t&) {
    return false;
  }
  agent.last_io = now;
  return true;
}

void Swarm::Driver::ResetSession(Agent& agent) {
  agent.welcomed = false;
  agent.in_session = false;
  agent.hello_out = false;
  agent.ping_out = false;
  agent.hello_due.reset();
  agent.resend_at = 0;
  // What was in flight goes again in the next session, unless HQ's WELCOME says it holds it.
  for (std::size_t i = 0; i < agent.in_flight; ++i) agent.outbox[i].sent_before = true;
  agent.in_flight = 0;
}

void Swarm::Driver::HandleEvents(Agent& agent, Millis now) {
  while (agent.monitor) {
    zmq::message_t event, endpoint;
    if (!agent.monitor->recv(event, zmq::recv_flags::dontwait)) break;
    if (event.more()) (void)agent.monitor->recv(endpoint, zmq::recv_flags::dontwait);
    if (event.size() < 6) continue;
    std::uint16_t id = 0;
    std::memcpy(&id, event.data(), sizeof id);
    switch (id) {
      case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        // A new connection: a new session starts with one HELLO.
        ResetSession(agent);
        agent.connected = true;
        agent.hello_due = now;
        agent.last_io = now;
        break;
      case ZMQ_EVENT_DISCONNECTED:
        if (agent.connected) agent.Bump(kDisconnections);
        agent.connected = false;
        ResetSession(agent);
        break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        agent.Bump(kHandshakeFailures);
        agent.connected = false;
        ResetSession(agent);
        break;
      default: break;
    }
  }
}

Message Swarm::Driver::Hello(const Agent& agent) const {
  // The agent's cursors as the reference agent states them (agent/sync_client.cc): the
  // acknowledged watermark, the delivery watermark, the highest seq written, and what was
  // handed to a socket without an acknowledgement.
  const std::uint64_t head = agent.next_seq - 1;
  const std::uint64_t acked = agent.outbox.empty() ? head : agent.outbox.front().first - 1;
  Message hello{MessageType::kHello,
                {{"agent", agent.spec.bundle.agent_id},
                 {"acked", acked},
                 {"applied", agent.applied_seq},
                 {"head", head}}};
  std::vector<std::uint64_t> sent;
  for (const Agent::Group& group : agent.outbox) {
    if (!group.sent_before) continue;
    for (int r = 0; r < group.count; ++r) sent.push_back(group.first + r);
  }
  if (!sent.empty()) hello.body["sent"] = protocol::RangesToJson(protocol::ToRanges(sent));
  return hello;
}

void Swarm::Driver::MakeGroup(Agent& agent, Millis now) {
  if (agent.spec.task.empty()) return;
  agent.outbox.push_back({agent.next_seq, kGroupRecords, now, swarm.measuring_.load(), false});
  agent.next_seq += kGroupRecords;
  agent.Bump(kMade, kGroupRecords);
}

void Swarm::Driver::Pump(Agent& agent, Millis now) {
  if (!agent.dealer) return;
  for (int n = agent.queued.exchange(0); n > 0; --n) MakeGroup(agent, now);
  if (!agent.connected) return;
  if (agent.hello_due && now >= *agent.hello_due && !agent.hello_out) {
    if (Send(agent, Hello(agent), now)) {
      agent.hello_out = true;
      agent.hello_due.reset();
      agent.Bump(kHellos);
    }
    return;
  }
  if (!agent.welcomed) return;
  const std::size_t limit = static_cast<std::size_t>(std::max(1, swarm.options_.groups_in_flight));
  if (agent.index < swarm.recording_below_.load(std::memory_order_relaxed)) {
    while (agent.outbox.size() < limit) MakeGroup(agent, now);
  }
  if (now >= agent.resend_at) {
    while (agent.in_flight < agent.outbox.size() && agent.in_flight < limit) {
      const Agent::Group& group = agent.outbox[agent.in_flight];
      if (!Send(agent, RecordsMessage(agent.spec.task, group.first, group.count, clock.Now()), now)) {
        break;  // the connection is going; the monitor will say so
      }
      ++agent.in_flight;
    }
  }
  if (agent.in_flight == 0 && !agent.ping_out && now - agent.last_io >= swarm.options_.keepalive_ms) {
    if (Send(agent, Message{MessageType::kPing, {{"time", clock.Now()}}}, now)) {
      agent.ping_out = true;
      agent.Bump(kPings);
    }
  }
}

void Swarm::Driver::Receive(Agent& agent, Millis now) {
  for (int i = 0; i < 64 && agent.dealer; ++i) {
    zmq::message_t frame;
    if (!agent.dealer->recv(frame, zmq::recv_flags::dontwait)) break;
    agent.last_io = now;
    const std::string_view bytes(static_cast<const char*>(frame.data()), frame.size());
    if (bytes.size() > 1 && bytes[1] == static_cast<char>(MessageType::kDeliver)) {
      OnDeliver(agent, bytes, now);
      continue;
    }
    auto decoded = protocol::Decode(bytes);
    if (!decoded.ok()) {
      agent.Bump(kMalformed);
      continue;
    }
    OnMessage(agent, *decoded, now);
  }
}

void Swarm::Driver::OnMessage(Agent& agent, const Message& message, Millis now) {
  switch (message.type) {
    case MessageType::kWelcome: OnWelcome(agent, message.body, now); break;
    case MessageType::kAck: OnAck(agent, message.body, now); break;
    case MessageType::kPing: Send(agent, Message{MessageType::kPong, {{"time", clock.Now()}}}, now); break;
    case MessageType::kPong: agent.ping_out = false; break;
    case MessageType::kError: OnError(agent, message.body, now); break;
    default: agent.Bump(kMalformed); break;
  }
}

void Swarm::Driver::OnWelcome(Agent& agent, const json& body, Millis now) {
  if (agent.welcomed || !agent.hello_out) return;  // one WELCOME per HELLO, as the real agent
  agent.hello_out = false;
  if (body["hq"].get<std::string>() != agent.spec.bundle.hq_id) {
    agent.Bump(kWrongHq);
    agent.hello_due = now + kWrongHqRetryMs;
    return;
  }
  // What was sent in an earlier session and HQ holds is acknowledged, not sent again.
  auto held = protocol::RangesFromJson(body, "held");
  if (held.ok() && !held->empty()) {
    auto holds = [&](std::uint64_t seq) {
      return std::any_of(held->begin(), held->end(),
                         [&](const protocol::SeqRange& r) { return r.first <= seq && seq <= r.last; });
    };
    std::deque<Agent::Group> kept;
    for (const Agent::Group& group : agent.outbox) {
      if (group.sent_before && holds(group.first) && holds(group.first + group.count - 1)) {
        agent.Bump(kAcked, group.count);
      } else {
        kept.push_back(group);
      }
    }
    agent.outbox.swap(kept);
  }
  // HQ holds seqs this agent never wrote (a bundle reused): new records go above them.
  const std::uint64_t highest = body["highest"].get<std::uint64_t>();
  if (highest >= agent.next_seq) {
    agent.next_seq = highest + 1;
    for (Agent::Group& group : agent.outbox) {
      group.first = agent.next_seq;
      group.sent_before = false;
      agent.next_seq += group.count;
    }
  }
  agent.welcomed = true;
  agent.in_session = true;
  agent.in_flight = 0;
  agent.resend_at = 0;
}

void Swarm::Driver::OnAck(Agent& agent, const json& body, Millis now) {
  const json& seqs = body["seqs"];
  if (seqs.empty() || !seqs[0].is_number_unsigned()) return;
  const std::uint64_t first = seqs[0].get<std::uint64_t>();
  // HQ answers each RECORDS with one ACK listing the batch's seqs.
  for (std::size_t i = 0; i < agent.in_flight; ++i) {
    const Agent::Group group = agent.outbox[i];
    if (group.first != first) continue;
    agent.outbox.erase(agent.outbox.begin() + static_cast<std::ptrdiff_t>(i));
    --agent.in_flight;
    agent.Bump(kAcked, group.count);
    if (group.measured) latencies.push_back(static_cast<double>(now - group.made));
    return;
  }
}

void Swarm::Driver::OnDeliver(Agent& agent, std::string_view frame, Millis now) {
  auto unframed = protocol::Unframe(frame);
  std::vector<std::uint64_t> seqs;
  if (!unframed.ok() || !DeliveredSeqs(unframed->payload, seqs)) {
    agent.Bump(kMalformed);
    return;
  }
  if (!agent.welcomed) return;  // only the HQ that welcomed us may deliver
  // Taken in order, as the real agent applies them: skip what is held, stop at a gap.
  for (const std::uint64_t seq : seqs) {
    agent.Bump(kDeliveries);
    if (seq <= agent.applied_seq) continue;
    if (seq != agent.applied_seq + 1) break;
    agent.applied_seq = seq;
  }
  agent.applied.store(agent.applied_seq, std::memory_order_relaxed);
  Send(agent, Message{MessageType::kDelivered, {{"applied", agent.applied_seq}}}, now);
}

void Swarm::Driver::OnError(Agent& agent, const json& body, Millis now) {
  if (auto ref = body.find("ref"); ref != body.end() && ref->is_number_unsigned()) {
    agent.Bump(kRefused);  // held and acknowledged by the ACK; its effect was refused
    return;
  }
  const std::optional<ErrorCode> code = ErrorCodeFromWire(body["code"].get<std::string>());
  if (code == ErrorCode::kNoSession) {
    // HQ lost our session under a live connection: greet again at once, then resend.
    ResetSession(agent);
    agent.hello_due = now;
    agent.Bump(kOtherErrors);
    return;
  }
  if (code == ErrorCode::kRateLimited) {
    agent.Bump(kRateLimited);
    auto retry = body.find("retry_after_ms");
    const Millis asked = retry != body.end() && retry->is_number_integer() ? retry->get<Millis>() : 0;
    if (agent.in_flight > 0) {
      agent.in_flight = 0;
      agent.resend_at = now + std::clamp<Millis>(asked, 0, swarm.options_.resend_after_ms);
    }
    return;
  }
  agent.Bump(kOtherErrors);
  if (code == ErrorCode::kForbidden) {
    ResetSession(agent);
    agent.hello_due = now + kWrongHqRetryMs;
    return;
  }
  if (agent.in_flight > 0) {
    agent.in_flight = 0;
    agent.resend_at = now + swarm.options_.resend_after_ms;
  }
}

bool Swarm::Driver::Readable(zmq::socket_t* socket) {
  if (!socket) return false;
  try {
    return (socket->get(zmq::sockopt::events) & ZMQ_POLLIN) != 0;
  } catch (const zmq::error_t&) {
    return false;
  }
}

void Swarm::Driver::Service(Agent& agent, Millis now) {
  // A socket's ZMQ_FD says only that its state may have changed, and any operation on the
  // socket (a send included) may take that signal: so the agent is served until neither
  // of its sockets has anything to read.
  do {
    HandleEvents(agent, now);
    Receive(agent, now);
    Pump(agent, now);
  } while (Readable(agent.monitor.get()) || Readable(agent.dealer.get()));
}

void Swarm::Driver::Run() {
  context = std::make_unique<zmq::context_t>(1);
  // The DEALER, the monitor's own PAIR inside libzmq, and ours.
  context->set(zmq::ctxopt::max_sockets, static_cast<int>(3 * agents.size() + 32));
  // zmq_poll looks at every socket on every call; epoll on the sockets' ZMQ_FD wakes for
  // the agents that have something, so that a driver's cost grows with the messages, not
  // with the agents it holds.
  const int epoll = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll < 0) Die("fleet_bench", "epoll_create1 failed");
  const auto watch = [&](int fd, std::uint64_t tag) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = tag;
    if (::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) != 0) Die("fleet_bench", "epoll_ctl failed");
  };
  constexpr std::uint64_t kWakeTag = ~std::uint64_t{0};
  watch(wake_fd, kWakeTag);
  for (std::size_t i = 0; i < agents.size(); ++i) {
    Connect(*agents[i]);
    watch(agents[i]->dealer->get(zmq::sockopt::fd), i);
    watch(agents[i]->monitor->get(zmq::sockopt::fd), i);
  }
  std::vector<epoll_event> ready(256);
  std::vector<char> marked(agents.size(), 0);
  std::vector<std::size_t> to_serve;
  Millis next_scan = 0;
  while (!stop) {
    const Millis wait = std::max<Millis>(0, next_scan - SteadyMs());
    const int n = ::epoll_wait(epoll, ready.data(), static_cast<int>(ready.size()),
                               static_cast<int>(std::min<Millis>(wait, kScanMs)));
    bool woken = false;
    to_serve.clear();
    for (int e = 0; e < n; ++e) {
      const std::uint64_t tag = ready[e].data.u64;
      if (tag == kWakeTag) {
        std::uint64_t count = 0;
        woken = ::read(wake_fd, &count, sizeof count) > 0 || woken;
      } else if (!marked[tag]) {
        marked[tag] = 1;
        to_serve.push_back(tag);
      }
    }
    Millis now = SteadyMs();
    for (std::size_t i : to_serve) {
      marked[i] = 0;
      Service(*agents[i], now);
    }
    now = SteadyMs();
    if (woken || now >= next_scan) {
      // Timers (keep-alive, resend, a HELLO to repeat) and the member's orders; an agent
      // that sent something is served, since the send may have taken a signal.
      for (Agent* agent : agents) {
        agent->touched = false;
        Pump(*agent, now);
        if (agent->touched) Service(*agent, now);
      }
      next_scan = now + kScanMs;
    }
    if (!latencies.empty()) {
      std::lock_guard<std::mutex> lock(swarm.latency_mutex_);
      swarm.latencies_.insert(swarm.latencies_.end(), latencies.begin(), latencies.end());
      latencies.clear();
    }
  }
  ::close(epoll);
  for (Agent* agent : agents) Close(*agent);
  context->shutdown();
  context.reset();
}

Swarm::Swarm(SwarmOptions options) : options_(options) {
  if (sodium_init() < 0) Die("fleet_bench", "libsodium failed to start");
}

Swarm::~Swarm() { drivers_.clear(); }

void Swarm::Add(std::vector<SimAgentSpec> specs) {
  const std::size_t per_thread = static_cast<std::size_t>(std::max(1, options_.agents_per_thread));
  std::vector<Agent*> batch;
  for (SimAgentSpec& spec : specs) {
    agents_.push_back(std::make_unique<Agent>(size(), std::move(spec)));
    batch.push_back(agents_.back().get());
    if (batch.size() == per_thread) {
      drivers_.push_back(std::make_unique<Driver>(*this, std::move(batch)));
      batch.clear();
    }
  }
  if (!batch.empty()) drivers_.push_back(std::make_unique<Driver>(*this, std::move(batch)));
}

void Swarm::WakeAll() {
  for (const auto& driver : drivers_) driver->Wake();
}

void Swarm::Record(int count) {
  recording_below_ = count;
  WakeAll();
}

void Swarm::QueueGroup(int count) {
  for (int i = 0; i < std::min(count, size()); ++i) agents_[i]->queued.fetch_add(1);
  WakeAll();
}

std::vector<double> Swarm::TakeLatencies() {
  std::lock_guard<std::mutex> lock(latency_mutex_);
  std::vector<double> taken;
  taken.swap(latencies_);
  return taken;
}

SwarmCounts Swarm::Counts(int from, int to) const {
  SwarmCounts counts;
  for (int i = std::max(0, from); i < std::min(to, size()); ++i) {
    const Agent& agent = *agents_[i];
    ++counts.agents;
    counts.welcomed += agent.in_session ? 1 : 0;
    for (int c = 0; c < kCounters; ++c) {
      counts.n[c] += agent.counters[c].load(std::memory_order_relaxed);
    }
  }
  return counts;
}

std::uint64_t Swarm::Applied(int index) const {
  return agents_[index]->applied.load(std::memory_order_relaxed);
}

}  // namespace muster::bench
