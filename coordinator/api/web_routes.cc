// The web console (docs/operations.md#the-web-console): its files, built into the binary
// (web/assets.h), answered with headers that keep the page to itself: a
// Content-Security-Policy that allows scripts, styles and connections from HQ only (no
// inline script, no other site), no framing, no MIME sniffing, no referrer. The guard
// lets the page's files through without credentials (the page logs in through
// /v1/login); offline map tiles need a session.
#include <httplib.h>

#include <filesystem>

#include "api/api_http.h"
#include "api/routes.h"
#include "muster/files.h"
#include "web/assets.h"

namespace muster::hq {

const char* const kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; media-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'";

void AddWebRoutes(httplib::Server& server, ApiContext& context) {
  // The map's offline tiles, when an operator has put a tile set in DATA/tiles (the path
  // is digits only: nothing outside that folder can be named).
  server.Get("/v1/map", [&context](const httplib::Request&, httplib::Response& response) {
    std::error_code error;
    SendJson(response, json{{"tiles", std::filesystem::is_directory(context.tiles_dir(), error)}});
  });
  server.Get(R"(/tiles/(\d{1,2})/(\d{1,9})/(\d{1,9})\.png)",
             [&context](const httplib::Request& request, httplib::Response& response) {
               const std::string path = context.tiles_dir() + "/" + request.matches[1].str() +
                                        "/" + request.matches[2].str() + "/" +
                                        request.matches[3].str() + ".png";
               Result<std::string> tile = ReadFile(path, 4u << 20);
               if (!tile.ok()) {
                 return SendError(response, Status::Error(ErrorCode::kNotFound, "no such tile"));
               }
               response.set_header("Cache-Control", "private, max-age=86400");
               response.set_content(*tile, "image/png");
             });
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

void AddSecurityHeaders(httplib::Server& server, bool https) {
  server.set_post_routing_handler([https](const httplib::Request&, httplib::Response& response) {
    // A browser that once reached HQ over HTTPS never tries it in the clear again.
    if (https) response.set_header("Strict-Transport-Security", "max-age=31536000");
    response.set_header("Content-Security-Policy", kContentSecurityPolicy);
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("X-Frame-Options", "DENY");
    response.set_header("Referrer-Policy", "no-referrer");
  });
}

}  // namespace muster::hq
