// The header reader that guards against decompression bombs: sizes read from PNG and JPEG
// headers without decoding, damaged headers refused with their reason, the pixel limit applied
// to both formats before OpenCV allocates anything.
#include "nnlab/data/image_header.h"

#include <gtest/gtest.h>

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
