// Authenticating a record end to end, whichever way it travels (docs/protocol.md §4.2).
//
// A record the member's agent hands to the team's field relay carries a tag that only
// its own agent and HQ can make: HMAC-SHA-512-256 (crypto_auth) under the key
// crypto_box_beforenm derives from the agent's CURVE secret key and HQ's CURVE public key
// (HQ derives the same key from its secret key and the agent's public key). The relay,
// a teammate or anyone on the path can carry the record but cannot make or alter one
// that HQ accepts under another agent's name. Nothing new is distributed: the keys are
// the ones the link already uses.
//
// The tag covers the author's agent id and the record as it stands in a message (seq,
// kind, at, and the body's JSON text), so a record moved to another seq, another author
// or another body fails.
#pragma once

#include <array>
#include <string>

#include "muster/result.h"
#include "muster/wire/records.h"

namespace muster {

class RecordAuthKey {
 public:
  // The key between |own_secret_key| and |peer_public_key| (Z85 CURVE keys): the agent
  // passes its secret key and HQ's public one, HQ its secret key and the agent's public
  // one. internal when either is not a CURVE key.
  static Result<RecordAuthKey> Derive(const std::string& own_secret_key,
                                      const std::string& peer_public_key);
  RecordAuthKey(const RecordAuthKey&) = default;
  RecordAuthKey& operator=(const RecordAuthKey&) = default;
  ~RecordAuthKey();

  // The tag of |record| written by |agent_id|: base64, 44 characters.
  std::string Tag(const std::string& agent_id, const wire::Entry& record) const;
  // Whether |tag| is the tag of |record| by |agent_id| (constant time).
  bool Verify(const std::string& agent_id, const wire::Entry& record, const std::string& tag) const;

 private:
  RecordAuthKey() = default;
  std::array<unsigned char, 32> key_{};
};

}  // namespace muster
