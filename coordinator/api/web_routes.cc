// The web console (docs/operations.md#the-web-console): its files, built into the binary
// (web/assets.h), answered with headers that keep the page to itself: a
// Content-Security-Policy that allows scripts, styles and connections from HQ only (no
// inline script, no other site), no framing, no MIME sniffing, no referrer. The guard
// lets these GETs through without credentials; the page logs in through /v1/login.
#include <httplib.h>

#include "api/routes.h"
#include "web/assets.h"

namespace muster::hq {

const char* const kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; media-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'";

void AddWebRoutes(httplib::Server& server) {
  for (const WebAsset& asset : WebAssets()) {
    std::string path(asset.path);
    if (path == "/index.html") path = "/";
    server.Get(path, [&asset](const httplib::Request&, httplib::Response& response) {
      response.set_header("Cache-Control", "no-cache");
      response.set_content(reinterpret_cast<const char*>(asset.data), asset.size,
                           std::string(asset.content_type).c_str());
    });
  }
}

void AddSecurityHeaders(httplib::Server& server) {
  server.set_post_routing_handler([](const httplib::Request&, httplib::Response& response) {
    response.set_header("Content-Security-Policy", kContentSecurityPolicy);
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("X-Frame-Options", "DENY");
    response.set_header("Referrer-Policy", "no-referrer");
  });
}

}  // namespace muster::hq
