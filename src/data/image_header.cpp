#include "nnlab/data/image_header.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "nnlab/core/error.h"

namespace nnlab::data {

namespace {

constexpr std::array<unsigned char, 8> kPngSignature = {0x89, 'P',  'N',  'G',
                                                        '\r', '\n', 0x1a, '\n'};

std::int64_t big_endian_32(const unsigned char* p) {
  return (static_cast<std::int64_t>(p[0]) << 24) | (static_cast<std::int64_t>(p[1]) << 16) |
         (static_cast<std::int64_t>(p[2]) << 8) | static_cast<std::int64_t>(p[3]);
}

std::int64_t big_endian_16(const unsigned char* p) {
  return (static_cast<std::int64_t>(p[0]) << 8) | static_cast<std::int64_t>(p[1]);
}

std::int64_t little_endian_signed_32(const unsigned char* p) {
  const std::uint32_t bits =
      static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
      (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
  return static_cast<std::int32_t>(bits);
}

std::int64_t little_endian_16(const unsigned char* p) {
  return static_cast<std::int64_t>(p[0]) | (static_cast<std::int64_t>(p[1]) << 8);
}

// The 14-byte file header ("BM", size, reserved, offset), then the DIB header, whose first field
// is its own size: 12 bytes (BITMAPCOREHEADER) holds 16-bit width and height, every later one
// (BITMAPINFOHEADER and its successors) 32-bit signed ones, a negative height meaning rows stored
// top-down. OpenCV's BmpDecoder reads the same fields.
ImageHeader read_bmp_header(std::ifstream& in, const std::string& path) {
  std::array<unsigned char, 26> head{};
  in.clear();
  in.seekg(0);
  in.read(reinterpret_cast<char*>(head.data()), head.size());
  if (in.gcount() < 22) {
    throw core::FileError(path, "truncated BMP: it ends inside its header");
  }
  const std::int64_t dib_size = little_endian_signed_32(head.data() + 14);
  if (dib_size == 12) {
    return {true, little_endian_16(head.data() + 18), little_endian_16(head.data() + 20), "BMP"};
  }
  if (dib_size < 16) {
    throw core::FileError(path, "damaged BMP: its header declares a DIB header of " +
                                    std::to_string(dib_size) + " bytes");
  }
  if (in.gcount() < static_cast<std::streamsize>(head.size())) {
    throw core::FileError(path, "truncated BMP: it ends inside its header");
  }
  const std::int64_t height = little_endian_signed_32(head.data() + 22);
  return {true, little_endian_signed_32(head.data() + 18), height < 0 ? -height : height, "BMP"};
}

// Netpbm (P1-P6, as OpenCV's PxMDecoder accepts them): "P<n>", then width and height as decimal
// numbers separated by whitespace, a '#' starting a comment to the end of the line.
ImageHeader read_pnm_header(std::ifstream& in, const std::string& path) {
  in.clear();
  in.seekg(2);
  std::array<std::int64_t, 2> size{};
  for (auto& value : size) {
    int c = in.get();
    for (;;) {
      if (c == '#') {
        while (c != EOF && c != '\n' && c != '\r') c = in.get();
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
        c = in.get();
      } else {
        break;
      }
    }
    if (c < '0' || c > '9') {
      throw core::FileError(path, "damaged PNM: its header has no width and height");
    }
    for (; c >= '0' && c <= '9'; c = in.get()) {
      // Past 2^31 the value stays there: OpenCV refuses it, and the product cannot overflow.
      value = std::min<std::int64_t>(value * 10 + (c - '0'), std::int64_t{1} << 31);
    }
  }
  return {true, size[0], size[1], "PNM"};
}

// SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG, reserved) and CC (DAC) share the range
// and do not.
bool is_frame_marker(unsigned char marker) {
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

// Walks the marker segments after SOI (each: FF, marker, 2-byte length that counts itself) to
// the first frame header: precision (1), height (2), width (2). Only lengths are read, so a
// file of any size costs a few seeks.
ImageHeader read_jpeg_frame(std::ifstream& in, const std::string& path) {
  std::int64_t at = 2;
  for (;;) {
    std::array<unsigned char, 9> segment{};
    in.clear();
    in.seekg(at);
    in.read(reinterpret_cast<char*>(segment.data()), segment.size());
    if (in.gcount() < 4 || segment[0] != 0xFF) {
      throw core::FileError(path, "damaged JPEG: it ends or breaks off before its frame header");
    }
    const unsigned char marker = segment[1];
    if (marker == 0xFF) {  // fill byte before a marker
      at += 1;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // TEM, RSTn: no length
      at += 2;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) {
      throw core::FileError(path, "damaged JPEG: its scan begins before any frame header");
    }
    if (is_frame_marker(marker)) {
      if (in.gcount() < static_cast<std::streamsize>(segment.size())) {
        throw core::FileError(path, "truncated JPEG: it ends inside its frame header");
      }
      return {true, big_endian_16(segment.data() + 7), big_endian_16(segment.data() + 5), "JPEG"};
    }
    at += 2 + big_endian_16(segment.data() + 2);
  }
}

}  // namespace

ImageHeader read_image_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::FileError(path, "cannot open for reading");
  std::array<unsigned char, 2> start{};
  in.read(reinterpret_cast<char*>(start.data()), start.size());
  if (in.gcount() == 2 && start[0] == 0xFF && start[1] == 0xD8) return read_jpeg_frame(in, path);
  if (in.gcount() == 2 && start[0] == 'B' && start[1] == 'M') return read_bmp_header(in, path);
  if (in.gcount() == 2 && start[0] == 'P' && start[1] >= '1' && start[1] <= '6') {
    const int third = in.peek();
    if (third == ' ' || third == '\t' || third == '\n' || third == '\r' || third == '\v' ||
        third == '\f') {
      return read_pnm_header(in, path);
    }
  }
  in.clear();
  in.seekg(0);
  // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4).
  std::array<unsigned char, 24> head{};
  in.read(reinterpret_cast<char*>(head.data()), head.size());
  const auto got = static_cast<std::size_t>(in.gcount());
  if (got < kPngSignature.size() ||
      std::memcmp(head.data(), kPngSignature.data(), kPngSignature.size()) != 0) {
    return {};
  }
  if (got < head.size() || std::memcmp(head.data() + 12, "IHDR", 4) != 0) {
    throw core::FileError(path, "damaged PNG: no IHDR header after the signature");
  }
  // Walk the chunks (lengths only, no data read) to the IEND that ends every PNG: a file cut short
  // is refused here, with its reason, instead of by libpng, which prints its own lines on stderr.
  in.seekg(0, std::ios::end);
  const std::int64_t size = in.tellg();
  std::int64_t at = 8;
  for (;;) {
    std::array<unsigned char, 8> chunk{};
    in.seekg(at);
    in.read(reinterpret_cast<char*>(chunk.data()), chunk.size());
    if (in.gcount() != static_cast<std::streamsize>(chunk.size())) {
      throw core::FileError(path, "truncated PNG: it ends before its IEND chunk");
    }
    const std::string type(reinterpret_cast<const char*>(chunk.data()) + 4, 4);
    at += 12 + big_endian_32(chunk.data());  // length, type, data, CRC
    if (at > size) {
      throw core::FileError(path, "truncated PNG: it ends inside its '" + type + "' chunk");
    }
    if (type == "IEND") break;
  }
  return {true, big_endian_32(head.data() + 16), big_endian_32(head.data() + 20), "PNG"};
}

}  // namespace nnlab::data
