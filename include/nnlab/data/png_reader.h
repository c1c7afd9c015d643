// PNG files decoded with libpng directly, not through OpenCV: OpenCV leaves libpng's default
// handlers in place, which print "libpng error: ..." and "libpng warning: ..." lines on stderr
// before OpenCV reports a failure, so one bad file gave two lines (nnlab's and libpng's). Here an
// error becomes one core::FileError naming the file, and warnings are collected, not printed.
//
// The conversion is the one OpenCV 4's PngDecoder::readData asks libpng for (imgcodecs/src/
// grfmt_png.cpp), so the pixels are the same bytes cv::imread gave: 16-bit samples keep their
// high byte (png_set_strip_16), alpha is dropped (png_set_strip_alpha), a palette is expanded
// (png_set_palette_to_rgb), 1-, 2- and 4-bit gray is scaled to 8 bits, then gray is copied to R,
// G, B (png_set_gray_to_rgb) or colour becomes gray (png_set_rgb_to_gray, weights 0.299 and 0.587,
// blue the rest). The libpng manual (libpng-manual.txt, "Setting up error handling" and
// "Transformations") describes each call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nnlab::data {

struct DecodedPng {
  int height = 0;
  int width = 0;
  int channels = 0;                   // 1 (gray) or 3 (RGB)
  std::vector<std::uint8_t> pixels;   // rows top to bottom, samples interleaved (R, G, B)
  std::vector<std::string> warnings;  // libpng's warnings (e.g. an odd iCCP profile), not printed
};

// Decodes the PNG file at path to 8-bit samples with `channels` channels (1 or 3). Throws
// core::FileError "damaged PNG: <libpng's reason>" for a file libpng cannot decode (corrupt
// compressed data, a bad CRC in a critical chunk, a file that is not a PNG). The caller checks
// the declared size first (data/image_header.h): the pixels are allocated from the IHDR here.
DecodedPng read_png(const std::string& path, int channels);

}  // namespace nnlab::data
