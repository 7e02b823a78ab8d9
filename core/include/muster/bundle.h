// The enrolment bundle: the one file a member's agent needs, handed over once. It holds
// the agent's secret key, so it is written 0600 and should be deleted once installed.
#pragma once

#include <string>

#include "muster/result.h"

namespace muster {

struct Bundle {
  std::string agent_id;
  std::string member_id;
  std::string endpoint;           // the coordinator's ZeroMQ endpoint, "tcp://host:port"
  std::string server_public_key;  // Z85
  std::string public_key;         // the agent's, Z85
  std::string secret_key;         // the agent's, Z85; empty while sealed
  std::string hq_id;              // the coordinator store that issued it
  // The secret key sealed with the agent's vault (agent/vault/secret_key.h): written as
  // "secret_key": "sealed:HEX" in an installed bundle; empty in a bundle from HQ.
  std::string sealed_secret_key = {};
};

std::string BundleToJson(const Bundle& bundle);
Result<Bundle> ParseBundle(const std::string& text);
// Reads a bundle file, refusing one that others can read.
Result<Bundle> ReadBundleFile(const std::string& path);

}  // namespace muster
