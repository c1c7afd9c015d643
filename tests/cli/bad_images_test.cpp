// Image files that are valid but unusual (16-bit, gray, palette, alpha, 1-bit) are read by one
// rule (docs/FORMAT.md, "Images we read"); files that declare no pixels, are empty or cut short,
// or declare more pixels than --max-image-pixels (a decompression bomb) are one-line errors.
// docs/BAD_INPUT.md lists every case with the test that tries it.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_test_util.h"
#include "cli/png_test_writer.h"
#include "nnlab/data/image_io.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/registry.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

namespace {

// The 8-bit values load_image gives, channel-major, as integers.
std::vector<int> read_as(const std::string& path, int channels) {
  const auto image = data::load_image(path, {channels, /*height=*/0, /*width=*/0});
  const auto bytes = image.mul(255).round().to(torch::kInt).flatten();
  return std::vector<int>(bytes.data_ptr<int>(), bytes.data_ptr<int>() + bytes.numel());
}

struct Variant {
  std::string name;
  PngSpec spec;               // two pixels, 2 x 1
  int channels;               // as the model needs
  std::vector<int> expected;  // channel-major: all of R, then G, then B
};

std::vector<Variant> variants() {
  std::vector<Variant> v;
  // 16 bits keep their high byte: 0x12FF -> 0x12 (rounding would give 0x13).
  v.push_back({"rgb16",
               {2, 1, 16, 2, {0x12ff, 0x3456, 0xffff, 0x0000, 0x80ff, 0x00ff}, {}},
               3,
               {0x12, 0x00, 0x34, 0x80, 0xff, 0x00}});
  v.push_back({"gray16", {2, 1, 16, 0, {0xabcd, 0x01ff}, {}}, 1, {0xab, 0x01}});
  // Gray to RGB: copied to the three channels.
  v.push_back({"gray8_as_rgb", {2, 1, 8, 0, {10, 200}, {}}, 3, {10, 200, 10, 200, 10, 200}});
  // Palette: expanded to its colours.
  v.push_back({"palette", {2, 1, 8, 3, {1, 0}, {255, 0, 0, 0, 0, 255}}, 3, {0, 255, 0, 0, 255, 0}});
  // Alpha: dropped, the colour kept even where fully transparent.
  v.push_back(
      {"rgba", {2, 1, 8, 6, {10, 20, 30, 0, 40, 50, 60, 255}, {}}, 3, {10, 40, 20, 50, 30, 60}});
  v.push_back({"gray_alpha", {2, 1, 8, 4, {100, 0, 150, 255}, {}}, 1, {100, 150}});
  // 1-bit gray: scaled to 0-255.
  v.push_back({"gray1", {2, 1, 1, 0, {1, 0}, {}}, 1, {255, 0}});
  // Colour to gray: 0.299 R + 0.587 G + 0.114 B (pure red 76, pure blue 29).
  v.push_back({"rgb_as_gray", {2, 1, 8, 2, {255, 0, 0, 0, 0, 255}, {}}, 1, {76, 29}});
  return v;
}

// The spec's two pixels repeated to 28 x 28 (a size lenet5 takes as it is).
PngSpec tiled(const PngSpec& two) {
  PngSpec big = two;
  big.width = 28;
  big.height = 28;
  big.samples.clear();
  const std::size_t per_pixel = two.samples.size() / 2;
  for (int i = 0; i < 28 * 28; ++i) {
    for (std::size_t c = 0; c < per_pixel; ++c)
      big.samples.push_back(two.samples[i % 2 * per_pixel + c]);
  }
  return big;
}

struct Fixture {
  std::string dir, model;
  explicit Fixture(const std::string& name) : dir(scratch_dir(name)) {
    model = dir + "/lenet5.ckpt";
    torch::manual_seed(0);
    models::save_checkpoint(model, models::make_checkpoint(models::create_model("lenet5")));
  }
  CommandResult predict(const std::string& inputs, const std::string& extra = "") const {
    return run_nnlab("predict --model " + model + " " + inputs + " -q" + extra);
  }
};

}  // namespace

TEST(BadImages, UnusualPngsAreConvertedByOneRule) {
  const auto dir = scratch_dir("png_rule");
  for (const auto& v : variants()) {
    const auto path = dir + "/" + v.name + ".png";
    write_bytes(path, encode_png(v.spec));
    const auto got = read_as(path, v.channels);
    ASSERT_EQ(got.size(), v.expected.size()) << v.name;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], v.expected[i], v.name == "rgb_as_gray" ? 1 : 0)
          << v.name << " [" << i << "]";
    }
  }
}

TEST(BadImages, UnusualPngsArePredicted) {
  Fixture f("png_predict");
  fs::create_directories(f.dir + "/in");
  const auto all = variants();
  for (const auto& v : all)
    write_bytes(f.dir + "/in/" + v.name + ".png", encode_png(tiled(v.spec)));
  const auto r = f.predict(f.dir + "/in", " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["predictions"].size(), all.size()) << r.out;
}

TEST(BadImages, EmptyZeroSizedAndTruncatedPngsAreOneLineErrors) {
  Fixture f("png_broken");
  const auto empty = f.dir + "/empty.png";
  write_bytes(empty, "");
  expect_clean_error(f.predict(empty), empty, "empty");

  const auto zero = f.dir + "/zero.png";
  write_bytes(zero, encode_png({0, 0, 8, 0, {}, {}}));
  expect_clean_error(f.predict(zero), zero, "declares 0x0 pixels");

  const auto no_rows = f.dir + "/no_rows.png";
  write_bytes(no_rows, encode_png({28, 0, 8, 0, {}, {}}));
  expect_clean_error(f.predict(no_rows), no_rows, "declares 28x0 pixels");

  const auto cut = f.dir + "/cut.png";
  const auto whole = encode_png(tiled(variants()[0].spec));
  write_bytes(cut, whole.substr(0, whole.size() / 2));
  expect_clean_error(f.predict(cut), cut, "truncated PNG: it ends inside its 'IDAT' chunk");

  const auto header_only = f.dir + "/signature.png";
  write_bytes(header_only, whole.substr(0, 12));
  expect_clean_error(f.predict(header_only), header_only, "no IHDR");
}

TEST(BadImages, ADecompressionBombIsRefusedBeforeDecoding) {
  Fixture f("png_bomb");
  const auto bomb = f.dir + "/bomb.png";
  write_bytes(bomb, encode_black_png(30000, 30000));
  ASSERT_LT(fs::file_size(bomb), 8u << 20);
  // In a child process, so that the peak memory measured is this command's alone (decoding would
  // take 900 MB for the gray pixels).
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    const CommandResult r = f.predict(bomb);
    rusage usage{};
    ::getrusage(RUSAGE_CHILDREN, &usage);
    const std::string report =
        std::to_string(r.exit_code) + "\n" + std::to_string(usage.ru_maxrss) + "\n" + r.err;
    (void)!::write(pipe_fds[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string report;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) report.append(buffer, n);
  ::close(pipe_fds[0]);
  ::waitpid(child, nullptr, 0);
  std::istringstream lines(report);
  int exit_code = 0;
  long max_rss_kib = 0;
  lines >> exit_code >> max_rss_kib;
  lines.ignore();
  const std::string err((std::istreambuf_iterator<char>(lines)), std::istreambuf_iterator<char>());
  EXPECT_EQ(exit_code, 1) << err;
  EXPECT_EQ(line_count(err), 1) << err;
  EXPECT_NE(err.find(bomb + ": declares 30000x30000 = 900000000 pixels, more than the limit of "
                            "100000000 (raise it with --max-image-pixels)"),
            std::string::npos)
      << err;
  EXPECT_LT(max_rss_kib, 600 * 1024) << "the pixels were decoded";
}

TEST(BadImages, MaxImagePixelsSetsTheLimit) {
  Fixture f("png_limit");
  const auto image = f.dir + "/small.png";
  write_bytes(image, encode_png(tiled(variants()[1].spec)));  // 28 x 28 = 784 pixels
  expect_clean_error(f.predict(image, " --max-image-pixels 783"), image,
                     "more than the limit of 783");
  EXPECT_EQ(f.predict(image, " --max-image-pixels 784").exit_code, 0);
  expect_clean_error(f.predict(image, " --max-image-pixels 0"), "--max-image-pixels", "> 0");
}

}  // namespace nnlab::testing
