#include "cli/png_test_writer.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <stdexcept>

namespace nnlab::testing {

namespace {

std::uint32_t crc32(const std::string& bytes) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t n = 0; n < 256; ++n) {
      std::uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xffffffffu;
  for (unsigned char b : bytes) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

void put32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

}  // namespace

std::string png_chunk(const std::string& type, const std::string& data) {
  std::string out;
  put32(out, static_cast<std::uint32_t>(data.size()));
  const std::string body = type + data;
  out += body;
  put32(out, crc32(body));
  return out;
}

namespace {

std::string header(std::uint32_t width, std::uint32_t height, int bit_depth, int color_type) {
  std::string ihdr;
  put32(ihdr, width);
  put32(ihdr, height);
  ihdr += static_cast<char>(bit_depth);
  ihdr += static_cast<char>(color_type);
  ihdr += std::string(3, '\0');  // deflate, adaptive filtering, no interlace
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr);
}

std::uint32_t adler32(const std::string& bytes) {
  std::uint32_t a = 1, b = 0;
  for (unsigned char c : bytes) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

// zlib stream of stored (uncompressed) deflate blocks.
std::string zlib_stored(const std::string& raw) {
  std::string out = "\x78\x01";
  std::size_t at = 0;
  do {
    const std::size_t n = std::min<std::size_t>(65535, raw.size() - at);
    const bool last = at + n == raw.size();
    out += static_cast<char>(last ? 1 : 0);
    out += static_cast<char>(n & 0xff);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(~n & 0xff);
    out += static_cast<char>((~n >> 8) & 0xff);
    out += raw.substr(at, n);
    at += n;
  } while (at < raw.size());
  put32(out, adler32(raw));
  return out;
}

int channels_of(int color_type) {
  switch (color_type) {
    case 0:
    case 3:
      return 1;
    case 2:
      return 3;
    case 4:
      return 2;
    case 6:
      return 4;
  }
  throw std::invalid_argument("encode_png: bad color type");
}

// Deflate's bits go least significant first; Huffman codes most significant bit first.
class BitWriter {
 public:
  void bits(std::uint32_t value, int count) {  // value's low bits, LSB first
    for (int i = 0; i < count; ++i) bit((value >> i) & 1);
  }
  void code(std::uint32_t code, int length) {
    for (int i = length - 1; i >= 0; --i) bit((code >> i) & 1);
  }
  std::string finish() {
    if (used_ > 0) out_ += static_cast<char>(current_);
    return out_;
  }

 private:
  void bit(std::uint32_t b) {
    current_ |= static_cast<std::uint8_t>(b << used_);
    if (++used_ == 8) {
      out_ += static_cast<char>(current_);
      current_ = 0;
      used_ = 0;
    }
  }
  std::string out_;
  std::uint8_t current_ = 0;
  int used_ = 0;
};

}  // namespace

std::string encode_png(const PngSpec& spec) {
  const int channels = channels_of(spec.color_type);
  std::string raw;
  std::size_t at = 0;
  for (std::uint32_t y = 0; y < spec.height; ++y) {
    raw += '\0';  // filter: none
    std::uint32_t acc = 0;
    int bits = 0;
    for (std::uint32_t i = 0; i < spec.width * static_cast<std::uint32_t>(channels); ++i) {
      const std::uint16_t v = spec.samples.at(at++);
      if (spec.bit_depth == 16) {
        raw += static_cast<char>(v >> 8);
        raw += static_cast<char>(v & 0xff);
      } else if (spec.bit_depth == 8) {
        raw += static_cast<char>(v);
      } else {
        acc = (acc << spec.bit_depth) | v;
        bits += spec.bit_depth;
        if (bits == 8) {
          raw += static_cast<char>(acc);
          acc = 0;
          bits = 0;
        }
      }
    }
    if (bits > 0) raw += static_cast<char>(acc << (8 - bits));
  }
  std::string png = header(spec.width, spec.height, spec.bit_depth, spec.color_type);
  if (spec.color_type == 3) {
    png += png_chunk("PLTE", std::string(spec.palette.begin(), spec.palette.end()));
  }
  png += png_chunk("IDAT", zlib_stored(raw));
  png += png_chunk("IEND", "");
  return png;
}

std::string encode_black_png(std::uint32_t width, std::uint32_t height) {
  // The raw stream is all zeros: each row is filter byte 0 and `width` black samples.
  const std::uint64_t total = static_cast<std::uint64_t>(height) * (width + 1);
  BitWriter w;
  w.bits(1, 1);     // BFINAL
  w.bits(1, 2);     // BTYPE 01: fixed Huffman codes
  w.code(0x30, 8);  // literal 0
  std::uint64_t left = total - 1;
  for (; left >= 258; left -= 258) {
    w.code(0xc5, 8);  // length 258 (code 285)
    w.code(0, 5);     // distance 1 (code 0)
  }
  for (; left > 0; --left) w.code(0x30, 8);
  w.code(0, 7);  // end of block (256)
  std::string z = "\x78\x01" + w.finish();
  put32(z, static_cast<std::uint32_t>(((total % 65521) << 16) | 1));  // Adler-32 of zeros
  return header(width, height, 8, 0) + png_chunk("IDAT", z) + png_chunk("IEND", "");
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace nnlab::testing
