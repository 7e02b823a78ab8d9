// The in-process Coordinator fixture shared by the coordinator suites that use real
// sockets: a hand-driven DEALER, a raw HTTP client, and a CoordinatorTest that starts HQ
// on tcp://127.0.0.1:* with the API on port 0.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include <zmq.hpp>

#include "agent_store.h"
#include "api_client.h"
#include "service/coordinator.h"
#include "link.h"
#include "muster/bundle.h"
#include "muster/protocol.h"
#include "hq_fixture.h"

namespace muster::coordtest {

using protocol::Message;
using protocol::MessageType;

// A hand-driven DEALER: the tests choose its keys (or none) and its frames.
class RawDealer {
 public:
  struct Keys {
    std::string server_public;
    std::string public_key;
    std::string secret_key;
  };
  RawDealer(const std::string& endpoint, const std::optional<Keys>& keys) : context_(1) {
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    if (keys) {
      socket_->set(zmq::sockopt::curve_serverkey, keys->server_public);
      socket_->set(zmq::sockopt::curve_publickey, keys->public_key);
      socket_->set(zmq::sockopt::curve_secretkey, keys->secret_key);
    }
    socket_->set(zmq::sockopt::linger, 0);
    socket_->connect(endpoint);
  }
  ~RawDealer() {
    socket_.reset();
    context_.shutdown();
  }
  void SendFrame(const std::string& frame) {
    // Queued until the handshake completes (or forever, when it never does).
    socket_->send(zmq::buffer(frame), zmq::send_flags::dontwait);
  }
  void Send(const Message& message) { SendFrame(protocol::Encode(message)); }
  // The next message within |timeout_ms|, decoded; nullopt when nothing came.
  std::optional<Message> Receive(int timeout_ms) {
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms));
    if (!(item.revents & ZMQ_POLLIN)) return std::nullopt;
    zmq::message_t frame;
    if (!socket_->recv(frame, zmq::recv_flags::dontwait)) return std::nullopt;
    auto decoded = protocol::Decode(
        std::string_view(static_cast<const char*>(frame.data()), frame.size()));
    EXPECT_TRUE(decoded.ok()) << "HQ sent a frame that does not decode: "
                              << decoded.status().ToString();
    if (!decoded.ok()) return std::nullopt;
    return *decoded;
  }
  // The next message of |type| within |timeout_ms|, skipping others (e.g. DELIVER).
  std::optional<Message> ReceiveType(MessageType type, int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            deadline - std::chrono::steady_clock::now())
                                            .count());
      auto message = Receive(std::max(left, 1));
      if (message && message->type == type) return message;
    }
    return std::nullopt;
  }

 private:
  zmq::context_t context_;
  std::unique_ptr<zmq::socket_t> socket_;
};

// Collects DELIVER seqs until |count| arrived or |timeout_ms| passed.
// The delivery seqs that arrive within |timeout_ms|, until |count| did. Like an agent, the
// dealer answers a DELIVER that says more follows with DELIVERED at once (unless
// |confirm| is false), or HQ keeps the rest for a thin link's sake.
inline std::vector<std::uint64_t> CollectDeliveries(RawDealer& dealer, std::size_t count,
                                                    int timeout_ms = 10'000, bool confirm = true) {
  std::vector<std::uint64_t> seqs;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (seqs.size() < count && std::chrono::steady_clock::now() < deadline) {
    auto message = dealer.Receive(200);
    if (!message || message->type != MessageType::kDeliver) continue;
    for (const json& delivery : message->body["deliveries"]) seqs.push_back(delivery["seq"]);
    if (confirm && message->body.value("more", false)) {
      dealer.Send(Message{MessageType::kDelivered, {{"applied", seqs.back()}}});
    }
  }
  return seqs;
}

inline Message Hello(const std::string& agent) {
  return {MessageType::kHello, {{"agent", agent}, {"acked", 0}, {"applied", 0}, {"head", 0}}};
}

// A minimal HTTP/1.1 client over a plain socket, so that the tests see exactly the status
// and body the API sends (and do not depend on cpp-httplib's client; see the ABI test).
struct HttpReply {
  int status = 0;
  std::string head;  // the status line and headers
  std::string body;
};

inline HttpReply RawHttp(int port, const std::string& method, const std::string& path,
                  const std::vector<std::string>& headers, const std::string& body) {
  HttpReply reply;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return reply;
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return reply;
  }
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                        "Connection: close\r\nContent-Type: application/json\r\n" +
                        "Content-Length: " + std::to_string(body.size()) + "\r\n";
  for (const std::string& header : headers) request += header + "\r\n";
  request += "\r\n" + body;
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  // "HTTP/1.1 401 Unauthorized\r\n...\r\n\r\nBODY" (httplib answers with Content-Length).
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return reply;
  reply.status = std::atoi(response.substr(9, 3).c_str());
  const auto end = response.find("\r\n\r\n");
  if (end != std::string::npos) {
    reply.head = response.substr(0, end);
    reply.body = response.substr(end + 4);
  }
  return reply;
}

inline constexpr const char* kTestPassword = "correct horse battery staple";

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.data_dir = dir_.File("hq");
    config_.agent_bind = "tcp://127.0.0.1:*";
    config_.api_bind = "127.0.0.1";
    config_.api_port = 0;
  }
  void TearDown() override { hq_.reset(); }

  void StartHq() {
    hq_ = std::make_unique<hq::Coordinator>(config_, clock_);
    Status started = hq_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    api_ = std::make_unique<console::ApiClient>(hq_->api_url(), hq_->api_token(), Trust());
  }
  // With TLS the tests' clients pin the coordinator's certificate, as FromDataDir does.
  console::TlsTrust Trust() const { return {"", hq_->tls_fingerprint()}; }
  // A client logged in as a new operator |name| with |role|, the account made with the
  // break-glass client api_.
  std::unique_ptr<console::ApiClient> LogIn(const std::string& name, const std::string& role) {
    Post("/v1/operators", {{"name", name}, {"role", role}, {"password", kTestPassword}});
    auto session = console::ApiClient(hq_->api_url(), "", Trust())
                       .Post("/v1/login", {{"operator", name}, {"password", kTestPassword}});
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    return std::make_unique<console::ApiClient>(
        hq_->api_url(), session.ok() ? (*session)["token"].get<std::string>() : "", Trust());
  }
  json Post(const std::string& path, const json& body) {
    auto result = api_->Post(path, body);
    EXPECT_TRUE(result.ok()) << path << ": " << result.status().ToString();
    return result.ok() ? *result : json();
  }
  Bundle Enroll(const std::string& member, const std::string& role = "team_leader") {
    Post("/v1/members", {{"id", member}, {"roles", {role}}});
    json enrolled = Post("/v1/agents", {{"member", member}});
    auto bundle = ParseBundle(enrolled.value("bundle", std::string()));
    EXPECT_TRUE(bundle.ok()) << bundle.status().ToString();
    return bundle.ok() ? *bundle : Bundle{};
  }
  RawDealer::Keys KeysOf(const Bundle& bundle) {
    return {bundle.server_public_key, bundle.public_key, bundle.secret_key};
  }
  // A well-behaved agent: its own store, a Link, one SyncNow.
  agent::SyncReport SyncAgent(const Bundle& bundle) {
    const std::string data = dir_.File("agent-" + bundle.agent_id);
    std::filesystem::create_directories(data);
    auto store = agent::AgentStore::Open(data, bundle, clock_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return {};
    agent::LinkOptions options;
    options.sync.answer_floor_ms = 3'000;
    agent::Link link(**store, bundle, clock_, options);
    return link.SyncNow(5'000, nullptr);
  }
  // host and port of the API, for a raw HTTP client.
  std::pair<std::string, int> ApiHostPort() {
    const std::string url = hq_->api_url();  // http://127.0.0.1:PORT or https://…
    const auto host = url.find("://") + 3;
    const auto colon = url.rfind(':');
    return {url.substr(host, colon - host), std::stoi(url.substr(colon + 1))};
  }

  TempDir dir_;
  ShiftedClock clock_;
  hq::Config config_;
  std::unique_ptr<hq::Coordinator> hq_;
  std::unique_ptr<console::ApiClient> api_;
};

}  // namespace muster::coordtest
