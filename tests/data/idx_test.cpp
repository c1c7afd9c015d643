#include "nnlab/data/idx.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"

namespace nnlab::data {
namespace {

using testing_util::contains;
using testing_util::error_of;
using testing_util::read_bytes;
using testing_util::TempDir;
using testing_util::write_bytes;

torch::Tensor random_bytes(std::vector<std::int64_t> shape, std::uint64_t seed) {
  auto generator = at::detail::createCPUGenerator(seed);
  return torch::randint(0, 256, shape, generator, torch::kUInt8);
}

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

std::string idx_error(const std::string& path) {
  return error_of<core::FileError>([&] { read_idx(path); });
}

TEST(Idx, RoundTripPlain) {
  TempDir dir;
  for (const auto& shape :
       std::vector<std::vector<std::int64_t>>{{7}, {4, 5, 3}, {2, 3, 4, 5}, {0, 28, 28}}) {
    const torch::Tensor data = random_bytes(shape, 1);
    const std::string path = dir / "data.idx";
    write_idx(path, data);
    EXPECT_EQ(std::filesystem::file_size(path),
              4 + 4 * shape.size() + static_cast<size_t>(data.numel()));
    const torch::Tensor back = read_idx(path);
    EXPECT_EQ(back.scalar_type(), torch::kUInt8);
    EXPECT_TRUE(torch::equal(back, data)) << "shape " << data.sizes();
  }
  // The header is big-endian: 00 00 08 03, then 4, 5, 3 as uint32.
  write_idx(dir / "h.idx", torch::zeros({4, 5, 3}, torch::kUInt8));
  EXPECT_EQ(read_bytes(dir / "h.idx").substr(0, 16),
            std::string("\0\0\x08\x03\0\0\0\x04\0\0\0\x05\0\0\0\x03", 16));
}

TEST(Idx, RoundTripGzip) {
  TempDir dir;
  const torch::Tensor data = random_bytes({10, 28, 28}, 2);
  write_idx(dir / "plain", data);
  write_gzip(dir / "data.gz", read_bytes(dir / "plain"));
  EXPECT_TRUE(torch::equal(read_idx(dir / "data.gz"), data));
}

TEST(Idx, WriteRejectsNonBytes) {
  TempDir dir;
  EXPECT_THROW(write_idx(dir / "f.idx", torch::zeros({3}, torch::kFloat)), c10::Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "f.idx"));
}

TEST(Idx, TruncatedAtSeveralLengths) {
  TempDir dir;
  write_idx(dir / "full", random_bytes({3, 4, 5}, 3));
  const std::string full = read_bytes(dir / "full");  // 16 header bytes + 60 data bytes
  ASSERT_EQ(full.size(), 76u);
  const std::string path = dir / "cut";
  struct Case {
    size_t length;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {0, "empty file"},
      {3, "truncated: the 4-byte IDX header has only 3 bytes"},
      {9, "truncated: the header's 3 dimension sizes need 12 bytes, got 5"},
      {16, "truncated: expected 60 bytes of data, got 0"},
      {17, "truncated: expected 60 bytes of data, got 1"},
      {50, "truncated: expected 60 bytes of data, got 34"},
      {75, "truncated: expected 60 bytes of data, got 59"},
  };
  for (const auto& c : cases) {
    write_bytes(path, full.substr(0, c.length));
    EXPECT_TRUE(contains(idx_error(path), path + ": " + c.problem)) << "length " << c.length;
    // The same cut inside a well-formed gzip stream.
    write_gzip(path + ".gz", full.substr(0, c.length));
    EXPECT_TRUE(contains(idx_error(path + ".gz"), path + ".gz: " + c.problem))
        << "gzip, length " << c.length;
  }
}

TEST(Idx, BadHeaders) {
  TempDir dir;
  write_idx(dir / "good", random_bytes({2, 3}, 4));
  const std::string good = read_bytes(dir / "good");
  const std::string path = dir / "bad";
  auto with_byte = [&](size_t at, char value) {
    std::string bytes = good;
    bytes[at] = value;
    write_bytes(path, bytes);
    return idx_error(path);
  };
  EXPECT_TRUE(contains(with_byte(0, '\x1f'), path + ": not an IDX file: bad magic 0x1F 0x00"));
  EXPECT_TRUE(contains(with_byte(1, '\x01'), path + ": not an IDX file: bad magic 0x00 0x01"));
  EXPECT_TRUE(contains(with_byte(2, '\x0D'), path + ": unsupported IDX data type 0x0D (float32)"));
  EXPECT_TRUE(contains(with_byte(2, '\x42'), path + ": unsupported IDX data type 0x42 (unknown)"));
  EXPECT_TRUE(
      contains(with_byte(3, '\x00'), path + ": IDX header gives 0 dimensions; expected 1 to 4"));
  EXPECT_TRUE(
      contains(with_byte(3, '\x05'), path + ": IDX header gives 5 dimensions; expected 1 to 4"));
  // 65536 x 65536 values: more than 2^31, refused before any allocation.
  write_bytes(path, std::string("\0\0\x08\x02\0\x01\0\0\0\x01\0\0", 12));
  EXPECT_TRUE(contains(idx_error(path), path + ": IDX dimensions 65536x65536 exceed 2^31 values"));
  write_bytes(path, std::string("\0\0\x08\x01\xff\xff\xff\xff", 8));
  EXPECT_TRUE(contains(idx_error(path), path + ": IDX dimensions 4294967295 exceed 2^31 values"));
}

TEST(Idx, TrailingBytes) {
  TempDir dir;
  write_idx(dir / "good", random_bytes({2, 3}, 5));
  const std::string bytes = read_bytes(dir / "good") + "xyz";
  write_bytes(dir / "extra", bytes);
  EXPECT_TRUE(contains(idx_error(dir / "extra"),
                       dir / "extra: 3 unexpected bytes after the 6 bytes of data (shape 2x3)"));
  write_gzip(dir / "extra.gz", bytes);
  EXPECT_TRUE(contains(idx_error(dir / "extra.gz"),
                       dir / "extra.gz: 3 unexpected bytes after the 6 bytes"));
}

TEST(Idx, CorruptedGzipStream) {
  TempDir dir;
  write_idx(dir / "plain", random_bytes({20, 28, 28}, 6));
  write_gzip(dir / "good.gz", read_bytes(dir / "plain"));
  const std::string gz = read_bytes(dir / "good.gz");
  ASSERT_GT(gz.size(), 1000u);

  // A wrong CRC-32 in the trailer: the data decode, the check fails.
  std::string bad_crc = gz;
  bad_crc[gz.size() - 8] = static_cast<char>(bad_crc[gz.size() - 8] ^ 0x55);
  write_bytes(dir / "crc.gz", bad_crc);
  EXPECT_TRUE(contains(idx_error(dir / "crc.gz"),
                       dir / "crc.gz: corrupted gzip data: incorrect data check"));

  // Garbage inside the deflate stream.
  std::string garbage = gz;
  for (size_t i = 400; i < 432; ++i) garbage[i] = '\xff';
  write_bytes(dir / "garbage.gz", garbage);
  EXPECT_TRUE(contains(idx_error(dir / "garbage.gz"), dir / "garbage.gz: corrupted gzip data"));

  // The compressed file cut in half.
  write_bytes(dir / "half.gz", gz.substr(0, gz.size() / 2));
  const std::string half = idx_error(dir / "half.gz");
  EXPECT_TRUE(contains(half, dir / "half.gz: truncated: expected 15680 bytes of data"));
  EXPECT_TRUE(contains(half, "(the gzip stream ends early)"));

  // Only the 8-byte trailer missing: every data byte is there, the stream is still cut.
  write_bytes(dir / "notrailer.gz", gz.substr(0, gz.size() - 8));
  EXPECT_TRUE(contains(idx_error(dir / "notrailer.gz"), dir / "notrailer.gz: truncated gzip file"));
}

TEST(Idx, MissingFile) {
  TempDir dir;
  EXPECT_TRUE(contains(idx_error(dir / "nothing"), dir / "nothing: no such file"));
}

// A complete IDX set with n_train / n_test images of 4x3 pixels.
void write_idx_set(const TempDir& dir, std::int64_t n_train, std::int64_t n_test, bool gzip) {
  auto put = [&](const std::string& name, const torch::Tensor& data) {
    write_idx(dir / name, data);
    if (gzip) {
      write_gzip(dir / (name + ".gz"), read_bytes(dir / name));
      std::filesystem::remove(dir / name);
    }
  };
  put("train-images-idx3-ubyte", random_bytes({n_train, 4, 3}, 7));
  put("train-labels-idx1-ubyte",
      torch::arange(n_train, torch::kLong).remainder(3).to(torch::kUInt8));
  put("t10k-images-idx3-ubyte", random_bytes({n_test, 4, 3}, 8));
  put("t10k-labels-idx1-ubyte", torch::arange(n_test, torch::kLong).remainder(3).to(torch::kUInt8));
}

TEST(Idx, LoadDirPlainAndGzip) {
  for (const bool gzip : {false, true}) {
    TempDir dir;
    write_idx_set(dir, 6, 4, gzip);
    const TrainTestSplit split = load_idx_dir(dir.str(), {"a", "b", "c"});
    ASSERT_EQ(split.train.images.sizes(), (std::vector<std::int64_t>{6, 1, 4, 3}));
    ASSERT_EQ(split.test.images.sizes(), (std::vector<std::int64_t>{4, 1, 4, 3}));
    EXPECT_EQ(split.train.images.scalar_type(), torch::kFloat);
    EXPECT_EQ(split.train.labels.scalar_type(), torch::kLong);
    EXPECT_TRUE(torch::equal(split.test.labels, torch::tensor({0, 1, 2, 0}, torch::kLong)));
    const torch::Tensor raw = random_bytes({4, 4, 3}, 8);
    EXPECT_TRUE(torch::equal(split.test.images.squeeze(1), raw.to(torch::kFloat) / 255));
    EXPECT_EQ(split.test.num_classes(), 3);
    EXPECT_EQ(split.test.class_names[2], "c");
  }
}

TEST(Idx, LoadDirCountMismatch) {
  TempDir dir;
  write_idx_set(dir, 6, 4, false);
  write_idx(dir / "t10k-labels-idx1-ubyte", torch::zeros({3}, torch::kUInt8));
  const std::string message = error_of<core::FileError>([&] { load_idx_dir(dir.str()); });
  EXPECT_TRUE(contains(message, dir / "t10k-labels-idx1-ubyte: holds 3 labels but " +
                                    (dir / "t10k-images-idx3-ubyte") + " holds 4 images"));
}

TEST(Idx, LoadDirLabelOutOfRange) {
  TempDir dir;
  write_idx_set(dir, 6, 4, false);
  write_idx(dir / "train-labels-idx1-ubyte", torch::tensor({0, 1, 2, 1, 7, 0}, torch::kUInt8));
  const std::string message = error_of<core::FileError>([&] {
    load_idx_dir(dir.str(), {"a", "b", "c"});
  });
  EXPECT_TRUE(contains(message, dir / "train-labels-idx1-ubyte: label 7 in row 4"));
  EXPECT_TRUE(contains(message, "outside [0, 3)"));
  // Without class names any byte is a label.
  EXPECT_EQ(load_idx_dir(dir.str()).train.num_classes(), 8);
}

TEST(Idx, LoadDirMissingFiles) {
  TempDir dir;
  write_idx_set(dir, 2, 2, true);
  std::filesystem::remove(dir / "t10k-labels-idx1-ubyte.gz");
  EXPECT_TRUE(
      contains(error_of<core::FileError>([&] { load_idx_dir(dir.str()); }),
               dir.str() + ": neither t10k-labels-idx1-ubyte nor t10k-labels-idx1-ubyte.gz"));
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { load_idx_dir(dir / "none"); }),
                       dir / "none: no such directory"));
}

TEST(Idx, RealFashionMnist) {
  if (!std::filesystem::is_directory(kFashionMnistDir)) {
    GTEST_SKIP() << kFashionMnistDir << " is absent (Debian package dataset-fashion-mnist)";
  }
  const TrainTestSplit split = load_idx_dir(kFashionMnistDir, fashion_mnist_classes());
  ASSERT_EQ(split.train.images.sizes(), (std::vector<std::int64_t>{60000, 1, 28, 28}));
  ASSERT_EQ(split.test.images.sizes(), (std::vector<std::int64_t>{10000, 1, 28, 28}));
  for (const Dataset* d : {&split.train, &split.test}) {
    EXPECT_EQ(d->num_classes(), 10);
    EXPECT_EQ(d->labels.min().item<std::int64_t>(), 0);
    EXPECT_EQ(d->labels.max().item<std::int64_t>(), 9);
    EXPECT_GE(d->images.min().item<float>(), 0.0f);
    EXPECT_LE(d->images.max().item<float>(), 1.0f);
    // Fashion-MNIST is balanced: a tenth of each split per class.
    EXPECT_TRUE(
        torch::equal(torch::bincount(d->labels), torch::full({10}, d->size() / 10, torch::kLong)));
  }
  EXPECT_EQ(split.test.class_names[0], "T-shirt/top");
  EXPECT_EQ(split.test.class_names[9], "Ankle boot");
  // The first test image is an ankle boot (label 9), as in every Fashion-MNIST reader.
  EXPECT_EQ(split.test.labels[0].item<std::int64_t>(), 9);
}

}  // namespace
}  // namespace nnlab::data
