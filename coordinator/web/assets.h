// The web console's files, built into the coordinator (coordinator/web/embed_assets.cmake
// turns coordinator/web/*.{html,js,css} and the Leaflet files of Debian's libjs-leaflet
// into byte arrays at build time): HQ serves the console with no file to install and no
// network at run time. api/web_routes.cc answers them.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace muster::hq {

struct WebAsset {
  std::string_view path;          // the URL path: "/", "/app.js", "/vendor/leaflet/leaflet.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  const unsigned char* data;
  std::size_t size;
};

// Every file, in the order they were given to the build.
const std::vector<WebAsset>& WebAssets();

}  // namespace muster::hq
