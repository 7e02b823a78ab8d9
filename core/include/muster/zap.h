// The ZeroMQ authentication protocol (ZAP/1.0, RFC 27) as both CURVE servers use it: the
// coordinator admitting enrolled agents, and the field relay admitting its team's. libzmq
// asks the handler bound on inproc://zeromq.zap.01 of the server's context about each
// client key during the handshake; the handler answers 200 (with the connection's user
// id, which every message then carries as "User-Id"), 300 (try again) or 400.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <zmq.hpp>

namespace muster {

inline constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";

struct ZapRequest {
  std::string version;
  std::string request_id;
  std::string address;    // the client's network address
  std::string mechanism;  // "CURVE" for every Muster client
  std::string curve_key;  // the client's long-term public key, Z85; empty unless CURVE
};

// Reads one request from |zap| (blocking; poll first). nullopt when the socket failed.
std::optional<ZapRequest> ReceiveZapRequest(zmq::socket_t& zap);
// Answers |request|: "200" with |user_id|, "300" or "400". Failures are logged.
void ReplyZap(zmq::socket_t& zap, const ZapRequest& request, std::string_view status_code,
              std::string_view status_text, std::string_view user_id);

}  // namespace muster
