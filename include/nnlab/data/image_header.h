// The size an image file declares, read from its header without decoding a pixel. It guards
// against decompression bombs: a 2.6 MB PNG may declare 30000 x 30000 pixels, and decoding it
// would allocate gigabytes before anything could look at the result.
#pragma once

#include <cstdint>
#include <string>

namespace nnlab::data {

struct ImageHeader {
  bool known = false;  // false: not a PNG (only PNG headers are read here)
  std::int64_t width = 0;
  std::int64_t height = 0;
};

// Reads a PNG's IHDR chunk (PNG spec 11.2.2) and checks that its chunks reach IEND. Throws
// core::FileError for a PNG whose signature is followed by no IHDR, or that ends before IEND (a
// truncated file); any other file is returned as unknown.
ImageHeader read_image_header(const std::string& path);

}  // namespace nnlab::data
