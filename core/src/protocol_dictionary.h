// The bytes of the protocol's zstd dictionary (protocol_dictionary.cc).
#pragma once

#include <string_view>

namespace muster::protocol {

std::string_view DictionaryV1();

}  // namespace muster::protocol
