// libFuzzer target for the wire decoder: every frame a hostile peer could send must come
// back as a message or an error, never a crash, a hang or unbounded memory. A decoded
// message must also survive re-encoding and decoding again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "muster/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace muster::protocol;
  auto decoded = Decode(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!decoded.ok()) return 0;
  auto again = Decode(Encode(*decoded));
  if (!again.ok() || again->type != decoded->type || again->body != decoded->body) std::abort();
  return 0;
}
