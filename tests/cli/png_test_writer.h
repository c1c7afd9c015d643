// A PNG encoder for tests, written from the PNG specification so that tests can make the files
// OpenCV cannot write: palettes, 1-bit gray, gray with alpha, headers that declare no pixels,
// and a decompression bomb (30000 x 30000 black pixels in a few megabytes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nnlab::testing {

struct PngSpec {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  int bit_depth = 8;   // 1, 2, 4, 8 or 16
  int color_type = 2;  // 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA
  // Samples row by row, channel by channel, one entry per sample (16-bit values allowed).
  std::vector<std::uint16_t> samples;
  std::vector<std::uint8_t> palette;  // RGB triples, for color_type 3
};

// The bytes of a PNG file (every scanline unfiltered, the zlib stream in stored blocks).
std::string encode_png(const PngSpec& spec);

// A valid 8-bit gray PNG of width x height black pixels whose zlib stream is runs of 258 zeros
// (13 bits each): 30000 x 30000 takes about 5.7 MB.
std::string encode_black_png(std::uint32_t width, std::uint32_t height);

// One chunk: length, type, data, and the CRC of type and data.
std::string png_chunk(const std::string& type, const std::string& data);

// Writes bytes to path (binary).
void write_bytes(const std::string& path, const std::string& bytes);

}  // namespace nnlab::testing
