// HQ's order to one agent to destroy what its laptop holds (docs/protocol.md, WIPE).
//
// The order is sealed with crypto_box from HQ's CURVE secret key to the agent's CURVE
// public key (both X25519, the keys the link already uses): only HQ can make an order
// that opens, only that agent can open it, and nothing that carries it between them (a
// relay, a proxy) can forge or alter one. The agent checks that the order names it.
#pragma once

#include <string>

#include "muster/clock.h"
#include "muster/result.h"

namespace muster {

struct WipeOrder {
  std::string agent_id;
  std::string order_id;  // random, 32 hex digits: the confirmation names it
  Millis issued_at = 0;  // HQ's clock
};

// The order as text (base64 of nonce and box), for a WIPE body. Keys are Z85.
Result<std::string> SealWipeOrder(const WipeOrder& order, const std::string& hq_secret_key,
                                  const std::string& agent_public_key);
// The order inside |sealed|, or forbidden when it was not sealed by HQ's key for this
// agent (forged, altered, or meant for another agent), malformed when it is not an order.
Result<WipeOrder> OpenWipeOrder(const std::string& sealed, const std::string& agent_id,
                                const std::string& agent_secret_key,
                                const std::string& hq_public_key);
// A fresh order id.
std::string NewWipeOrderId();

}  // namespace muster
