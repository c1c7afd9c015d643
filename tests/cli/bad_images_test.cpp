// Image files that are valid but unusual (16-bit, gray, palette, alpha, 1-bit) are read by one
// rule (docs/FORMAT.md, "Images we read"), PNGs by libpng to the bytes OpenCV gave; files that
// declare no pixels, are empty, cut short or corrupt, or declare more pixels than
// --max-image-pixels (a decompression bomb, PNG, BMP or PNM) are one-line errors, with nothing
// of libpng's own on stderr.
// docs/BAD_INPUT.md lists every case with the test that tries it.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <iterator>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <tuple>
#include <utility>

#include "cli/cli_test_util.h"
#include "cli/png_test_writer.h"
#include "nnlab/data/image_io.h"
#include "nnlab/data/png_reader.h"
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

// Runs f.predict(inputs) in a child process, so that the peak memory measured is this command's
// alone: exit code, peak resident memory (KiB) and stderr.
struct MeasuredRun {
  int exit_code = 0;
  long max_rss_kib = 0;
  std::string err;
};
MeasuredRun predict_measuring_memory(const Fixture& f, const std::string& inputs) {
  int pipe_fds[2];
  EXPECT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  EXPECT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    const CommandResult r = f.predict(inputs);
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
  MeasuredRun run;
  lines >> run.exit_code >> run.max_rss_kib;
  lines.ignore();
  run.err.assign(std::istreambuf_iterator<char>(lines), std::istreambuf_iterator<char>());
  return run;
}

// A 30000x30000 image is refused from its header: one line naming it and the limit, and the
// process never holds the decoded pixels.
void expect_bomb_refused(const Fixture& f, const std::string& bomb) {
  const auto [exit_code, max_rss_kib, err] = predict_measuring_memory(f, bomb);
  EXPECT_EQ(exit_code, 1) << err;
  EXPECT_EQ(line_count(err), 1) << err;
  EXPECT_NE(err.find(bomb + ": declares 30000x30000 = 900000000 pixels, more than the limit of "
                            "100000000 (raise it with --max-image-pixels)"),
            std::string::npos)
      << err;
  EXPECT_LT(max_rss_kib, 600 * 1024) << "the pixels were decoded";
}

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
  expect_bomb_refused(f, bomb);
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

// libpng (data/png_reader.h) is asked for OpenCV's conversion, so every variant, as the model
// needs it in gray or RGB, decodes to exactly the bytes cv::imread gave before nnlab read PNGs
// itself -- and so do PNGs OpenCV writes, with alpha, and a palette with a tRNS chunk.
TEST(BadImages, PngsDecodeToTheBytesOpenCvGives) {
  const auto dir = scratch_dir("png_like_opencv");
  std::vector<std::pair<std::string, std::string>> files;  // name, bytes
  for (const auto& v : variants()) {
    files.emplace_back(v.name, encode_png(v.spec));
    files.emplace_back(v.name + "_28", encode_png(tiled(v.spec)));
  }
  // The palette variant with a tRNS chunk (the first colour half transparent) before IDAT.
  const std::string palette = encode_png(variants()[3].spec);
  const std::size_t idat = palette.find("IDAT") - 4;
  files.emplace_back(
      "palette_trns",
      palette.substr(0, idat) + png_chunk("tRNS", std::string("\x80", 1)) + palette.substr(idat));
  cv::Mat bgra(5, 7, CV_8UC4), bgr16(3, 4, CV_16UC3);
  cv::randu(bgra, 0, 256);
  cv::randu(bgr16, 0, 65536);
  for (const auto& [name, mat] : {std::pair{std::string("opencv_bgra"), bgra},
                                  std::pair{std::string("opencv_bgr16"), bgr16}}) {
    std::vector<std::uint8_t> bytes;
    ASSERT_TRUE(cv::imencode(".png", mat, bytes));
    files.emplace_back(name, std::string(bytes.begin(), bytes.end()));
  }
  for (const auto& [name, bytes] : files) {
    const auto path = dir + "/" + name + ".png";
    write_bytes(path, bytes);
    for (const int channels : {1, 3}) {
      cv::Mat expected = cv::imread(path, channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
      ASSERT_FALSE(expected.empty()) << name;
      if (channels == 3) cv::cvtColor(expected, expected, cv::COLOR_BGR2RGB);
      const data::DecodedPng got = data::read_png(path, channels);
      ASSERT_EQ(got.height, expected.rows) << name;
      ASSERT_EQ(got.width, expected.cols) << name;
      ASSERT_EQ(got.channels, channels) << name;
      const std::vector<std::uint8_t> want(expected.data,
                                           expected.data + expected.total() * channels);
      EXPECT_EQ(got.pixels, want) << name << ", " << channels << " channel(s)";
    }
  }
}

// A PNG whose chunks are whole but whose compressed data is corrupt: libpng fails inside the
// decoder, where OpenCV let it print "libpng error: ..." before nnlab's own line. Now one line,
// naming the file and libpng's reason, and nothing from libpng.
TEST(BadImages, CorruptCompressedDataIsOneLineWithNothingFromLibpng) {
  Fixture f("png_corrupt");
  const std::string whole = encode_png(tiled(variants()[2].spec));
  const std::size_t idat = whole.find("IDAT") - 4;  // the chunk's length field
  std::uint32_t length = 0;
  for (int i = 0; i < 4; ++i) length = length << 8 | static_cast<unsigned char>(whole[idat + i]);
  const std::size_t data_at = idat + 8, crc_at = data_at + length;
  // The stored block's NLEN no longer matches its LEN: with the chunk's CRC recomputed (libpng
  // inflates the data and zlib refuses it) and with the old CRC (zlib still refuses it first).
  std::string data = whole.substr(data_at, length);
  data[5] = static_cast<char>(data[5] ^ 0xff);
  const std::string recomputed =
      whole.substr(0, idat) + png_chunk("IDAT", data) + whole.substr(crc_at + 4);
  std::string stale = whole;
  stale[data_at + 5] = static_cast<char>(stale[data_at + 5] ^ 0xff);
  // The data whole and only its CRC wrong: libpng refuses the chunk.
  std::string bad_crc = whole;
  bad_crc[crc_at] = static_cast<char>(bad_crc[crc_at] ^ 0xff);
  for (const auto& [name, bytes, reason] :
       {std::tuple{std::string("crc_recomputed.png"), recomputed,
                   std::string("damaged PNG: IDAT: invalid stored block lengths")},
        std::tuple{std::string("crc_stale.png"), stale,
                   std::string("damaged PNG: IDAT: invalid stored block lengths")},
        std::tuple{std::string("crc_wrong.png"), bad_crc,
                   std::string("damaged PNG: IDAT: CRC error")}}) {
    const auto path = f.dir + "/" + name;
    write_bytes(path, bytes);
    const auto r = f.predict(path);
    expect_clean_error(r, path, reason);
    EXPECT_EQ(r.err.find("libpng"), std::string::npos) << r.err;
  }
}

// libpng's warnings (here an ancillary chunk whose CRC is wrong, which it skips) are collected,
// not printed: the image is read, stderr stays empty.
TEST(BadImages, LibpngWarningsAreNotPrinted) {
  Fixture f("png_warning");
  const std::string whole = encode_png(tiled(variants()[2].spec));
  const std::size_t idat = whole.find("IDAT") - 4;
  std::string text = png_chunk("tEXt", std::string("Comment\0hello", 13));
  text[text.size() - 1] = static_cast<char>(text[text.size() - 1] ^ 0xff);
  const auto path = f.dir + "/warns.png";
  write_bytes(path, whole.substr(0, idat) + text + whole.substr(idat));
  const auto warned = data::read_png(path, 1);
  ASSERT_EQ(warned.warnings.size(), 1u);
  EXPECT_NE(warned.warnings[0].find("CRC error"), std::string::npos) << warned.warnings[0];
  const auto r = f.predict(path);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

namespace {

// An 8-bit BMP compressed with RLE8 whose only code ends the bitmap: OpenCV fills the whole
// width x height image with palette colour 0, so a file of about a kilobyte would make it allocate
// and write every pixel.
std::string rle8_bmp(std::int32_t width, std::int32_t height) {
  auto little = [](std::uint32_t v) {
    std::string out;
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
    return out;
  };
  const std::uint32_t offset = 14 + 40 + 256 * 4;
  std::string dib = little(40) + little(static_cast<std::uint32_t>(width)) +
                    little(static_cast<std::uint32_t>(height)) + std::string("\x01\0\x08\0", 4) +
                    little(1) + little(2) + little(2835) + little(2835) + little(256) + little(0);
  std::string palette;
  for (int i = 0; i < 256; ++i) palette += little(static_cast<std::uint32_t>(i * 0x010101));
  return "BM" + little(offset + 2) + little(0) + little(offset) + dib + palette +
         std::string("\x00\x01", 2);
}

}  // namespace

// The other formats the folder reader takes (BMP) and that load_image reads (PNM) have their size
// read from the header and checked before decoding, like PNG and JPEG; formats whose header is not
// read (a TIFF, even named .png) are refused unread.
TEST(BadImages, BmpAndPnmBombsAndOtherFormatsAreRefusedBeforeDecoding) {
  Fixture f("bmp_bomb");
  const auto small = f.dir + "/small.bmp";
  write_bytes(small, rle8_bmp(28, 28));
  const auto fine = f.predict(small);
  EXPECT_EQ(fine.exit_code, 0) << fine.err;  // the same encoding at a sane size is read

  const auto bomb = f.dir + "/bomb.bmp";
  write_bytes(bomb, rle8_bmp(30000, 30000));
  ASSERT_LT(fs::file_size(bomb), 2u << 10);
  expect_bomb_refused(f, bomb);

  const auto pnm = f.dir + "/bomb.pgm";
  write_bytes(pnm, "P5\n30000 30000\n255\n" + std::string(64, '\0'));
  expect_clean_error(f.predict(pnm), pnm, "declares 30000x30000 = 900000000 pixels");

  const auto tiff = f.dir + "/tiff_named.png";
  std::vector<std::uint8_t> bytes;
  ASSERT_TRUE(cv::imencode(".tiff", cv::Mat(28, 28, CV_8UC1, cv::Scalar(7)), bytes));
  write_bytes(tiff, std::string(bytes.begin(), bytes.end()));
  expect_clean_error(f.predict(tiff), tiff, "an image format nnlab does not read");
}

}  // namespace nnlab::testing
