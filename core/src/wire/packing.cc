#include "muster/wire/packing.h"

#include <cstdint>

namespace muster::wire::pack {
namespace {

// A 16- or 32-bit length after its marker byte, big-endian.
void Sized(std::string& out, std::uint8_t marker16, std::size_t entries) {
  const bool wide = entries > 0xffff;
  out.push_back(static_cast<char>(wide ? marker16 + 1 : marker16));
  for (int shift = wide ? 24 : 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((entries >> shift) & 0xff));
  }
}

}  // namespace

void MapHeader(std::string& out, std::size_t entries) {
  if (entries < 16) {
    out.push_back(static_cast<char>(0x80 | entries));  // fixmap
  } else {
    Sized(out, 0xde, entries);  // map 16, map 32
  }
}

void ArrayHeader(std::string& out, std::size_t entries) {
  if (entries < 16) {
    out.push_back(static_cast<char>(0x90 | entries));  // fixarray
  } else {
    Sized(out, 0xdc, entries);  // array 16, array 32
  }
}

void Value(std::string& out, const nlohmann::json& value) {
  nlohmann::json::to_msgpack(value, out);
}

}  // namespace muster::wire::pack
