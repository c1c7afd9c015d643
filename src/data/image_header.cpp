#include "nnlab/data/image_header.h"

#include <array>
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

}  // namespace

ImageHeader read_image_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw core::FileError(path, "cannot open for reading");
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
  return {true, big_endian_32(head.data() + 16), big_endian_32(head.data() + 20)};
}

}  // namespace nnlab::data
