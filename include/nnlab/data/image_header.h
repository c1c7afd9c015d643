// The size an image file declares, read from its header without decoding a pixel. It guards
// against decompression bombs: a 2.6 MB PNG may declare 30000 x 30000 pixels, and decoding it
// would allocate gigabytes before anything could look at the result.
#pragma once

#include <cstdint>
#include <string>

namespace nnlab::data {

struct ImageHeader {
  bool known = false;  // false: neither PNG nor JPEG (only their headers are read here)
  std::int64_t width = 0;
  std::int64_t height = 0;
  std::string format;  // "PNG" or "JPEG" when known
};

// Reads a PNG's IHDR chunk (PNG spec 11.2.2) and checks that its chunks reach IEND, or a JPEG's
// frame header (the first SOFn marker segment, ITU T.81 B.2.2). Throws core::FileError for a PNG
// whose signature is followed by no IHDR or that ends before IEND (a truncated file), and for a
// JPEG whose segments end or reach the scan before a frame header; any other file is returned as
// unknown.
ImageHeader read_image_header(const std::string& path);

}  // namespace nnlab::data
