#include "muster/zap.h"

#include <vector>

#include "muster/log.h"

namespace muster {

std::optional<ZapRequest> ReceiveZapRequest(zmq::socket_t& zap) {
  std::vector<zmq::message_t> parts;
  try {
    while (true) {
      zmq::message_t part;
      if (!zap.recv(part, zmq::recv_flags::none)) break;
      const bool more = part.more();
      parts.push_back(std::move(part));
      if (!more) break;
    }
  } catch (const zmq::error_t&) {
    return std::nullopt;
  }
  // Version, request id, domain, address, identity, mechanism, then the credentials (for
  // CURVE: the client's 32-byte public key).
  ZapRequest request;
  request.version = parts.size() > 0 ? parts[0].to_string() : "1.0";
  request.request_id = parts.size() > 1 ? parts[1].to_string() : "";
  request.address = parts.size() > 3 ? parts[3].to_string() : "";
  request.mechanism = parts.size() > 5 ? parts[5].to_string() : "";
  if (parts.size() >= 7 && request.mechanism == "CURVE" && parts[6].size() == 32) {
    char z85[41] = {};
    zmq_z85_encode(z85, static_cast<const uint8_t*>(parts[6].data()), 32);
    request.curve_key = z85;
  }
  return request;
}

void ReplyZap(zmq::socket_t& zap, const ZapRequest& request, std::string_view status_code,
              std::string_view status_text, std::string_view user_id) {
  try {
    zap.send(zmq::buffer(request.version), zmq::send_flags::sndmore);
    zap.send(zmq::buffer(request.request_id), zmq::send_flags::sndmore);
    zap.send(zmq::buffer(status_code), zmq::send_flags::sndmore);
    zap.send(zmq::buffer(status_text), zmq::send_flags::sndmore);
    zap.send(zmq::buffer(user_id), zmq::send_flags::sndmore);
    zap.send(zmq::message_t(), zmq::send_flags::none);
  } catch (const zmq::error_t& error) {
    Logger("zap")->error("event=zap_reply_failed error=\"{}\"", error.what());
  }
}

}  // namespace muster
