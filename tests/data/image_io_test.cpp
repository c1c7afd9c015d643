#include "nnlab/data/image_io.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <limits>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"

namespace nnlab::data {
namespace {

using testing_util::contains;
using testing_util::error_of;
using testing_util::read_bytes;
using testing_util::TempDir;
using testing_util::write_bytes;

constexpr ImageLoadOptions kAsStored{/*channels=*/3, /*height=*/0, /*width=*/0};

// A (C,H,W) image with values a little outside [0,1], so clamping is exercised too.
torch::Tensor random_image(std::int64_t channels, std::int64_t height, std::int64_t width,
                           std::uint64_t seed) {
  auto generator = at::detail::createCPUGenerator(seed);
  return torch::rand({channels, height, width}, generator) * 1.2 - 0.1;
}

TEST(ImageIo, QuantizeTo8BitByHand) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const torch::Tensor x = torch::tensor({0.5f, 0.002f, -0.3f, 1.7f, nan, 1.0f, 0.0f, 0.3f});
  // 0.5 * 255 = 127.5 rounds half to even: 128; 0.3f * 255 is 76.5 in float32, so 76.
  const torch::Tensor expected =
      torch::tensor({128, 1, 0, 255, 0, 255, 0, 76}, torch::kFloat) / 255;
  EXPECT_TRUE(torch::equal(quantize_to_8bit(x), expected)) << quantize_to_8bit(x) * 255;
  // Quantizing twice changes nothing.
  const torch::Tensor once = quantize_to_8bit(random_image(3, 5, 5, 1));
  EXPECT_TRUE(torch::equal(quantize_to_8bit(once), once));
}

TEST(ImageIo, PngRoundTripIsBitExactOnThe8BitGrid) {
  TempDir dir;
  const torch::Tensor rgb = random_image(3, 17, 23, 2);
  save_image(dir / "rgb.png", rgb);
  const torch::Tensor back = load_image(dir / "rgb.png", kAsStored);
  ASSERT_EQ(back.sizes(), rgb.sizes());
  EXPECT_EQ(back.scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::equal(back, quantize_to_8bit(rgb)));

  const torch::Tensor gray = random_image(1, 9, 4, 3);
  save_image(dir / "gray.png", gray);
  ImageLoadOptions one_channel = kAsStored;
  one_channel.channels = 1;
  EXPECT_TRUE(torch::equal(load_image(dir / "gray.png", one_channel), quantize_to_8bit(gray)));
  // A grey file read as RGB repeats its channel.
  EXPECT_TRUE(torch::equal(load_image(dir / "gray.png", kAsStored),
                           quantize_to_8bit(gray).expand({3, 9, 4})));
  // BMP is lossless too.
  save_image(dir / "rgb.bmp", rgb);
  EXPECT_TRUE(torch::equal(load_image(dir / "rgb.bmp", kAsStored), quantize_to_8bit(rgb)));
  // No temporary files are left beside the images.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.str()), {}), 3);
}

TEST(ImageIo, EncodeDecodeInMemoryEqualsTheFileRoundTrip) {
  TempDir dir;
  const torch::Tensor rgb = random_image(3, 11, 13, 4);
  const auto png = encode_image(rgb, ".png");
  // The bytes are a PNG file: the signature, and the same pixels as a saved file.
  ASSERT_GT(png.size(), 8u);
  EXPECT_EQ(png[1], 'P');
  EXPECT_TRUE(torch::equal(decode_image(png, 3), quantize_to_8bit(rgb)));
  save_image(dir / "same.jpg", rgb);
  EXPECT_TRUE(torch::equal(decode_image(encode_image(rgb, ".jpg", 95), 3),
                           load_image(dir / "same.jpg", kAsStored)));
  EXPECT_THROW(encode_image(rgb, ".gif"), c10::Error);
  EXPECT_THROW(decode_image({1, 2, 3}, 3), c10::Error);
}

TEST(ImageIo, JpegRoundTripIsClose) {
  TempDir dir;
  // Smooth content: JPEG's error is small there.
  const torch::Tensor ramp =
      torch::linspace(0, 1, 32).view({1, 1, 32}).expand({3, 32, 32}).contiguous();
  save_image(dir / "ramp.jpg", ramp);
  const torch::Tensor back = load_image(dir / "ramp.jpg", kAsStored);
  EXPECT_LT((back - ramp).abs().max().item<float>(), 0.05f);
}

TEST(ImageIo, ChannelsAreRgbInTensorsAndBgrOnlyInsideOpenCv) {
  TempDir dir;
  // A hand-written binary PPM: pixel 0 red, pixel 1 blue, stored as R,G,B bytes.
  write_bytes(dir / "rb.ppm", std::string("P6\n2 1\n255\n\xff\x00\x00\x00\x00\xff", 17));
  const torch::Tensor loaded = load_image(dir / "rb.ppm", kAsStored);
  EXPECT_TRUE(torch::equal(loaded, torch::tensor({1.f, 0.f, 0.f, 0.f, 0.f, 1.f}).view({3, 1, 2})));
  // And written back the same way.
  save_image(dir / "back.ppm", loaded);
  const std::string bytes = read_bytes(dir / "back.ppm");
  ASSERT_GE(bytes.size(), 6u);
  EXPECT_EQ(bytes.substr(bytes.size() - 6), std::string("\xff\x00\x00\x00\x00\xff", 6));
}

TEST(ImageIo, NotAnImage) {
  TempDir dir;
  write_bytes(dir / "fake.png", "this is text, not a PNG");
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { load_image(dir / "fake.png"); }),
                       dir / "fake.png: not an image (OpenCV cannot decode it)"));
}

TEST(ImageIo, MissingImage) {
  TempDir dir;
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { load_image(dir / "gone.png"); }),
                       dir / "gone.png: no such file"));
}

TEST(ImageIo, SaveRefusesUnknownFormatsAndLeavesNothing) {
  TempDir dir;
  EXPECT_TRUE(contains(
      error_of<core::FileError>([&] { save_image(dir / "x.xyz", random_image(3, 2, 2, 4)); }),
      dir / "x.xyz: cannot write images of type '.xyz'"));
  EXPECT_TRUE(std::filesystem::is_empty(dir.str()));
  EXPECT_THROW(save_image(dir / "x.png", torch::zeros({2, 4, 4})), c10::Error);
}

TEST(ImageIo, ResizeAndCentreCropTo224WithWarning) {
  TempDir dir;
  // 300 wide, 200 high: left half red, right half blue.
  torch::Tensor image = torch::zeros({3, 200, 300});
  image[0].narrow(1, 0, 150).fill_(1);
  image[2].narrow(1, 150, 150).fill_(1);
  save_image(dir / "wide.png", image);

  ::testing::internal::CaptureStderr();
  const torch::Tensor out = load_image(dir / "wide.png");
  const std::string warning = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(warning, "nnlab: warning: " + (dir / "wide.png") +
                         ": 300x200 resized to 256 short side and centre-cropped to 224x224\n");
  ASSERT_EQ(out.sizes(), (std::vector<std::int64_t>{3, 224, 224}));
  // Resize to 384x256, crop columns 80..303: the colour edge (column 192) lands at column 112.
  EXPECT_FLOAT_EQ(out[0][100][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(out[0][100][100].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(out[2][100][100].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(out[2][100][124].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(out[2][223][223].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(out[1].max().item<float>(), 0.0f);

  ImageLoadOptions quiet;
  quiet.warn_on_resize = false;
  ::testing::internal::CaptureStderr();
  EXPECT_TRUE(torch::equal(load_image(dir / "wide.png", quiet), out));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(ImageIo, NoWarningWhenTheSizeMatches) {
  TempDir dir;
  const torch::Tensor image = random_image(3, 224, 224, 5);
  save_image(dir / "fit.png", image);
  ::testing::internal::CaptureStderr();
  const torch::Tensor out = load_image(dir / "fit.png");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_TRUE(torch::equal(out, quantize_to_8bit(image)));
}

TEST(ImageIo, NonSquareTargetAlwaysFits) {
  TempDir dir;
  save_image(dir / "square.png", random_image(3, 40, 40, 6));
  ImageLoadOptions wide;
  wide.height = 32;
  wide.width = 64;
  wide.warn_on_resize = false;
  const ImageLoadInfo expected{40, 40, true};
  ImageLoadInfo info;
  EXPECT_EQ(load_image(dir / "square.png", wide, &info).sizes(),
            (std::vector<std::int64_t>{3, 32, 64}));
  EXPECT_EQ(info.file_height, expected.file_height);
  EXPECT_EQ(info.file_width, expected.file_width);
  EXPECT_TRUE(info.resized);
}

}  // namespace
}  // namespace nnlab::data
