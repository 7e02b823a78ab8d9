#include "api/api_request.h"

#include <httplib.h>

namespace muster::hq {

Actor RequestActor(const httplib::Request& request) {
  constexpr std::size_t kMaxName = 64;
  std::string name;
  for (char c : request.get_header_value(kOperatorHeader)) {
    if (name.size() == kMaxName) break;
    name += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return Actor(name.empty() ? "anonymous" : name,
               "api " + request.remote_addr + ":" + std::to_string(request.remote_port));
}

}  // namespace muster::hq
