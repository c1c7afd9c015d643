// The size an image file declares, read from its header without decoding a pixel. It guards
// against decompression bombs: a 2.6 MB PNG may declare 30000 x 30000 pixels, and decoding it
// would allocate gigabytes before anything could look at the result.
#pragma once

#include <cstdint>
#include <string>

namespace nnlab::data {

struct ImageHeader {
  bool known = false;  // false: not PNG, JPEG, BMP or PNM (only their headers are read here)
  std::int64_t width = 0;
  std::int64_t height = 0;
  std::string format;  // "PNG", "JPEG", "BMP" or "PNM" when known
};

// Reads a PNG's IHDR chunk (PNG spec 11.2.2) and checks that its chunks reach IEND, a JPEG's
// frame header (the first SOFn marker segment, ITU T.81 B.2.2), a BMP's DIB header (width and
// height; the absolute height, since a negative one means top-down rows) or a Netpbm header
// (P1-P6: width and height after the magic number). Throws core::FileError for a PNG whose
// signature is followed by no IHDR or that ends before IEND (a truncated file), a JPEG whose
// segments end or reach the scan before a frame header, and a BMP or PNM whose header is cut
// short or holds no size; any other file is returned as unknown.
ImageHeader read_image_header(const std::string& path);

}  // namespace nnlab::data
