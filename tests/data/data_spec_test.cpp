#include "nnlab/data/data_spec.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/data/idx.h"

namespace nnlab::data {
namespace {

using testing_util::contains;
using testing_util::error_of;
using testing_util::TempDir;

void write_tiny_idx_set(const TempDir& dir) {
  write_idx(dir / "train-images-idx3-ubyte", torch::zeros({3, 2, 2}, torch::kUInt8));
  write_idx(dir / "train-labels-idx1-ubyte", torch::tensor({0, 1, 2}, torch::kUInt8));
  write_idx(dir / "t10k-images-idx3-ubyte", torch::full({2, 2, 2}, 255, torch::kUInt8));
  write_idx(dir / "t10k-labels-idx1-ubyte", torch::tensor({1, 0}, torch::kUInt8));
}

TEST(DataSpec, UnknownSpecIsAnOptionError) {
  const std::string message = error_of<core::OptionError>([] { load_data("cifar-11"); });
  EXPECT_TRUE(contains(
      message, "load_data.spec: 'cifar-11' is neither a data set nor an existing directory"));
  EXPECT_TRUE(contains(message, "fashion-mnist, mnist:DIR"));
  EXPECT_TRUE(contains(error_of<core::OptionError>([] { load_data(""); }), "load_data.spec: ''"));
  EXPECT_TRUE(contains(error_of<core::OptionError>([] { load_data("idx:"); }),
                       "load_data.spec: 'idx:' names no directory after 'idx:'"));
}

TEST(DataSpec, IdxSpecs) {
  TempDir dir;
  write_tiny_idx_set(dir);
  for (const std::string& spec : {"mnist:" + dir.str(), "idx:" + dir.str(), dir.str()}) {
    const TrainTestSplit split = load_data(spec);
    EXPECT_EQ(split.train.size(), 3) << spec;
    EXPECT_EQ(split.test.size(), 2) << spec;
    EXPECT_FLOAT_EQ(split.test.images.min().item<float>(), 1.0f) << spec;
  }
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { load_data("mnist:" + (dir / "none")); }),
                       dir / "none: no such directory"));
}

TEST(DataSpec, FolderSpecsAreTheTestSplit) {
  TempDir dir;
  for (const std::string name : {"b/1.png", "a/1.png", "a/2.png"}) {
    std::filesystem::create_directories(std::filesystem::path(dir / name).parent_path());
    save_image(dir / name, torch::full({3, 4, 4}, 0.5f));
  }
  DataSpecOptions options;
  options.image.height = 4;
  options.image.width = 4;
  for (const std::string& spec : {"folder:" + dir.str(), dir.str()}) {
    const TrainTestSplit split = load_data(spec, options);
    EXPECT_EQ(split.train.size(), 0) << spec;
    EXPECT_EQ(split.test.size(), 3) << spec;
    EXPECT_EQ(split.test.class_names, (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(torch::equal(split.test.labels, torch::tensor({0, 0, 1}, torch::kLong)));
  }
  options.num_classes = 1;
  EXPECT_TRUE(
      contains(error_of<core::FileError>([&] { load_data("folder:" + dir.str(), options); }),
               dir.str() + ": has 2 class folders"));
  EXPECT_TRUE(contains(error_of<core::FileError>([&] { load_data("folder:" + (dir / "none")); }),
                       dir / "none: no such directory"));
}

TEST(DataSpec, FashionMnist) {
  if (!std::filesystem::is_directory(kFashionMnistDir)) {
    const std::string message = error_of<core::FileError>([] { load_data("fashion-mnist"); });
    EXPECT_TRUE(contains(message, std::string(kFashionMnistDir) + ": no such directory"));
    EXPECT_TRUE(contains(message, "dataset-fashion-mnist"));
    return;
  }
  const TrainTestSplit split = load_data("fashion-mnist");
  EXPECT_EQ(split.train.size(), 60000);
  EXPECT_EQ(split.test.size(), 10000);
  EXPECT_EQ(split.test.class_names, fashion_mnist_classes());
}

}  // namespace
}  // namespace nnlab::data
