// MessagePack written in pieces, for a message body assembled from parts that were packed
// once (HQ packs a body queued to a whole team once and splices it into each agent's
// DELIVER). The bytes are what nlohmann::json::to_msgpack writes for the same value, so
// the receiver cannot tell the difference. Frame the result with protocol::EncodePacked.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace muster::wire::pack {

// A map of |entries| key/value pairs follows: append each key, then its value.
void MapHeader(std::string& out, std::size_t entries);
// An array of |entries| values follows.
void ArrayHeader(std::string& out, std::size_t entries);
// One whole value.
void Value(std::string& out, const nlohmann::json& value);

}  // namespace muster::wire::pack
