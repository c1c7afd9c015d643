// The header reader that guards against decompression bombs: sizes read from PNG, JPEG, BMP and
// PNM headers without decoding, damaged headers refused with their reason, the pixel limit applied
// to every format before anything is allocated, and other formats OpenCV reads refused unread.
#include "nnlab/data/image_header.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/data/image_io.h"

namespace nnlab::data {
namespace {

using testing_util::contains;
using testing_util::error_of;
using testing_util::TempDir;
using testing_util::write_bytes;

// SOI, an APP0 (JFIF) segment, then a baseline frame header (SOF0) declaring height x width with
// three components — and no scan: enough for the header reader, nothing OpenCV could decode.
std::string jpeg_header(int height, int width) {
  std::string bytes("\xff\xd8", 2);
  bytes += std::string("\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 18);
  bytes += std::string("\xff\xc0\x00\x11\x08", 5);
  for (const int v : {height, width}) {
    bytes += static_cast<char>((v >> 8) & 0xff);
    bytes += static_cast<char>(v & 0xff);
  }
  bytes += std::string("\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01", 10);
  return bytes;
}

// A BMP's file header and a DIB header of dib_size bytes (12: BITMAPCOREHEADER, 16-bit sizes;
// 40: BITMAPINFOHEADER, 32-bit signed sizes) declaring width x height -- and no pixels.
std::string bmp_header(std::int32_t width, std::int32_t height, int dib_size) {
  auto little = [](std::uint32_t v, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
    return out;
  };
  std::string dib = little(static_cast<std::uint32_t>(dib_size), 4);
  const int side = dib_size == 12 ? 2 : 4;
  dib += little(static_cast<std::uint32_t>(width), side) +
         little(static_cast<std::uint32_t>(height), side);
  dib += little(1, 2) + little(24, 2);  // planes, bits per pixel
  dib.resize(static_cast<std::size_t>(dib_size), '\0');
  return "BM" + little(14 + dib_size, 4) + little(0, 4) + little(14 + dib_size, 4) + dib;
}

TEST(ImageHeader, BmpWrittenByOpenCvGivesItsSize) {
  TempDir dir;
  save_image(dir / "small.bmp", torch::rand({3, 5, 7}));
  const ImageHeader header = read_image_header(dir / "small.bmp");
  EXPECT_TRUE(header.known);
  EXPECT_EQ(header.format, "BMP");
  EXPECT_EQ(header.width, 7);
  EXPECT_EQ(header.height, 5);
}

TEST(ImageHeader, HandWrittenBmpAndPnmHeaders) {
  TempDir dir;
  // A negative height stores the rows top-down; the size is its absolute value.
  write_bytes(dir / "top_down.bmp", bmp_header(30000, -20000, 40));
  ImageHeader header = read_image_header(dir / "top_down.bmp");
  EXPECT_EQ(header.format, "BMP");
  EXPECT_EQ(header.width, 30000);
  EXPECT_EQ(header.height, 20000);
  write_bytes(dir / "core.bmp", bmp_header(640, 480, 12));
  header = read_image_header(dir / "core.bmp");
  EXPECT_EQ(header.width, 640);
  EXPECT_EQ(header.height, 480);
  // Netpbm: whitespace and comments between the numbers.
  write_bytes(dir / "big.pgm", "P5\n# made by hand\n30000\t# width\n 20000\n255\n");
  header = read_image_header(dir / "big.pgm");
  EXPECT_EQ(header.format, "PNM");
  EXPECT_EQ(header.width, 30000);
  EXPECT_EQ(header.height, 20000);
  // A number past 2^31 stays at 2^31 (no overflow).
  write_bytes(dir / "huge.ppm", "P6 99999999999999999999999 1 255\n");
  EXPECT_EQ(read_image_header(dir / "huge.ppm").width, std::int64_t{1} << 31);
}

TEST(ImageHeader, DamagedBmpsAndPnmsAreRefusedWithTheirReason) {
  TempDir dir;
  write_bytes(dir / "cut.bmp", bmp_header(8, 8, 40).substr(0, 20));
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { read_image_header(dir / "cut.bmp"); }),
                       "truncated BMP"));
  write_bytes(dir / "odd.bmp", bmp_header(8, 8, 40).substr(0, 14) + std::string("\x04\0\0\0", 4) +
                                   std::string(20, '\0'));
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { read_image_header(dir / "odd.bmp"); }),
                       "damaged BMP: its header declares a DIB header of 4 bytes"));
  write_bytes(dir / "words.pgm", "P2\nwidth height\n");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { read_image_header(dir / "words.pgm"); }),
                       "damaged PNM: its header has no width and height"));
}

TEST(ImageHeader, PixelLimitAppliesToBmpsAndPnmsBeforeDecoding) {
  TempDir dir;
  write_bytes(dir / "bomb.bmp", bmp_header(30000, 30000, 40));
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { load_image(dir / "bomb.bmp"); }),
                       "declares 30000x30000 = 900000000 pixels, more than the limit"));
  write_bytes(dir / "bomb.pgm", "P5 30000 30000 255\n");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { load_image(dir / "bomb.pgm"); }),
                       "declares 30000x30000 = 900000000 pixels, more than the limit"));
  write_bytes(dir / "none.bmp", bmp_header(0, 16, 40));
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { load_image(dir / "none.bmp"); }),
                       "the BMP header declares 0x16 pixels"));
}

TEST(ImageHeader, OtherFormatsOpenCvReadsAreRefusedUnread) {
  TempDir dir;
  // A TIFF (its size is not read here), under its own name and under a name the folder reader
  // takes.
  save_image(dir / "photo.tif", torch::rand({3, 4, 4}));
  std::filesystem::copy_file(dir / "photo.tif", dir / "photo.png");
  for (const auto* name : {"photo.tif", "photo.png"}) {
    EXPECT_TRUE(contains(error_of<core::FileError>([&] { load_image(dir / name); }),
                         "an image format nnlab does not read (PNG, JPEG, BMP and PNM are read"))
        << name;
  }
}

TEST(ImageHeader, JpegWrittenByOpenCvGivesItsSize) {
  TempDir dir;
  save_image(dir / "small.jpg", torch::rand({3, 5, 7}));
  const ImageHeader header = read_image_header(dir / "small.jpg");
  EXPECT_TRUE(header.known);
  EXPECT_EQ(header.format, "JPEG");
  EXPECT_EQ(header.width, 7);
  EXPECT_EQ(header.height, 5);
}

TEST(ImageHeader, PngWrittenByOpenCvGivesItsSize) {
  TempDir dir;
  save_image(dir / "small.png", torch::rand({1, 4, 9}));
  const ImageHeader header = read_image_header(dir / "small.png");
  EXPECT_TRUE(header.known);
  EXPECT_EQ(header.format, "PNG");
  EXPECT_EQ(header.width, 9);
  EXPECT_EQ(header.height, 4);
}

TEST(ImageHeader, HandWrittenJpegFrameHeader) {
  TempDir dir;
  write_bytes(dir / "bomb.jpg", jpeg_header(30000, 20000));
  const ImageHeader header = read_image_header(dir / "bomb.jpg");
  EXPECT_TRUE(header.known);
  EXPECT_EQ(header.height, 30000);
  EXPECT_EQ(header.width, 20000);
}

TEST(ImageHeader, OtherFilesAreUnknown) {
  TempDir dir;
  write_bytes(dir / "notes.txt", "plain text");
  EXPECT_FALSE(read_image_header(dir / "notes.txt").known);
  write_bytes(dir / "one.bin", std::string("\xff", 1));
  EXPECT_FALSE(read_image_header(dir / "one.bin").known);
}

TEST(ImageHeader, DamagedJpegsAreRefusedWithTheirReason) {
  TempDir dir;
  // Cut inside the APP0 segment: no frame header follows.
  write_bytes(dir / "cut.jpg", jpeg_header(8, 8).substr(0, 12));
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { read_image_header(dir / "cut.jpg"); }),
                       "damaged JPEG"));
  // Cut inside the frame header itself.
  const std::string full = jpeg_header(8, 8);
  write_bytes(dir / "short.jpg", full.substr(0, 20 + 6));
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { read_image_header(dir / "short.jpg"); }),
                       "truncated JPEG"));
  // A scan (SOS) before any frame header.
  write_bytes(dir / "scan.jpg", std::string("\xff\xd8\xff\xda\x00\x02", 6));
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { read_image_header(dir / "scan.jpg"); }),
                       "scan begins before any frame header"));
}

TEST(ImageHeader, PixelLimitAppliesToJpegsBeforeDecoding) {
  TempDir dir;
  write_bytes(dir / "bomb.jpg", jpeg_header(30000, 20000));
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { load_image(dir / "bomb.jpg"); }),
                       "declares 20000x30000 = 600000000 pixels, more than the limit"));
  // A frame header that declares no rows.
  write_bytes(dir / "empty.jpg", jpeg_header(0, 16));
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { load_image(dir / "empty.jpg"); }),
                       "the JPEG header declares 16x0 pixels"));
}

}  // namespace
}  // namespace nnlab::data
