#include "muster/wipe_order.h"

#include <sodium.h>
#include <zmq.h>

#include <array>
#include <nlohmann/json.hpp>
#include <vector>

namespace muster {
namespace {

using Key = std::array<unsigned char, 32>;

bool DecodeKey(const std::string& z85, Key& key) {
  return z85.size() == 40 && zmq_z85_decode(key.data(), z85.c_str()) != nullptr;
}

}  // namespace

std::string NewWipeOrderId() {
  std::array<unsigned char, 16> bytes;
  randombytes_buf(bytes.data(), bytes.size());
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  hex.pop_back();
  return hex;
}

Result<std::string> SealWipeOrder(const WipeOrder& order, const std::string& hq_secret_key,
                                  const std::string& agent_public_key) {
  Key secret{}, recipient{};
  if (!DecodeKey(hq_secret_key, secret) || !DecodeKey(agent_public_key, recipient)) {
    return Status::Error(ErrorCode::kInternal, "a key for the wipe order is not a CURVE key");
  }
  const std::string text = nlohmann::json{
      {"agent", order.agent_id},
      {"order", order.order_id},
      {"at", order.issued_at}}.dump();
  std::vector<unsigned char> sealed(crypto_box_NONCEBYTES + crypto_box_MACBYTES + text.size());
  randombytes_buf(sealed.data(), crypto_box_NONCEBYTES);
  const int failed = crypto_box_easy(sealed.data() + crypto_box_NONCEBYTES,
                                     reinterpret_cast<const unsigned char*>(text.data()),
                                     text.size(), sealed.data(), recipient.data(), secret.data());
  sodium_memzero(secret.data(), secret.size());
  if (failed != 0) return Status::Error(ErrorCode::kInternal, "the wipe order could not be sealed");
  std::string encoded(sodium_base64_encoded_len(sealed.size(), sodium_base64_VARIANT_ORIGINAL),
                      '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), sealed.data(), sealed.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  encoded.pop_back();  // the terminating NUL
  return encoded;
}

Result<WipeOrder> OpenWipeOrder(const std::string& sealed, const std::string& agent_id,
                                const std::string& agent_secret_key,
                                const std::string& hq_public_key) {
  std::vector<unsigned char> bytes(sealed.size());
  std::size_t length = 0;
  if (sealed.size() > 4096 ||
      sodium_base642bin(bytes.data(), bytes.size(), sealed.data(), sealed.size(), nullptr, &length,
                        nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      length < crypto_box_NONCEBYTES + crypto_box_MACBYTES) {
    return Status::Error(ErrorCode::kMalformed, "the wipe order is not a sealed order");
  }
  Key secret{}, sender{};
  if (!DecodeKey(agent_secret_key, secret) || !DecodeKey(hq_public_key, sender)) {
    return Status::Error(ErrorCode::kInternal, "this laptop's keys cannot open a wipe order");
  }
  std::string text(length - crypto_box_NONCEBYTES - crypto_box_MACBYTES, '\0');
  const int failed = crypto_box_open_easy(
      reinterpret_cast<unsigned char*>(text.data()), bytes.data() + crypto_box_NONCEBYTES,
      length - crypto_box_NONCEBYTES, bytes.data(), sender.data(), secret.data());
  sodium_memzero(secret.data(), secret.size());
  if (failed != 0) {
    return Status::Error(
        ErrorCode::kForbidden,
        "the wipe order was not sealed by this agent's HQ: refused, nothing wiped");
  }
  const nlohmann::json body = nlohmann::json::parse(text, nullptr, false);
  if (!body.is_object() || !body.contains("agent") || !body["agent"].is_string() ||
      !body.contains("order") || !body["order"].is_string() || !body.contains("at") ||
      !body["at"].is_number_integer()) {
    return Status::Error(ErrorCode::kMalformed, "the wipe order's contents are not an order");
  }
  if (body["agent"].get<std::string>() != agent_id) {
    return Status::Error(ErrorCode::kForbidden, "the wipe order names agent " +
                                                    body["agent"].get<std::string>() +
                                                    ", not this one: refused, nothing wiped");
  }
  return WipeOrder{agent_id, body["order"].get<std::string>(), body["at"].get<Millis>()};
}

}  // namespace muster
