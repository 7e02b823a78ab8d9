// Reading back the console's PNG charts in tests: the colour of one pixel.
#pragma once

#include <cairo.h>

#include <cstdint>
#include <cstring>

namespace muster::console {

struct Pixel {
  int r, g, b;
  bool white() const { return r == 255 && g == 255 && b == 255; }
};

inline Pixel PixelAt(cairo_surface_t* image, int x, int y) {
  const unsigned char* data = cairo_image_surface_get_data(image);
  const int stride = cairo_image_surface_get_stride(image);
  std::uint32_t value;
  std::memcpy(&value, data + y * stride + x * 4, 4);
  return {static_cast<int>((value >> 16) & 0xff), static_cast<int>((value >> 8) & 0xff),
          static_cast<int>(value & 0xff)};
}

}  // namespace muster::console
