// Bad input never crashes: each case ends with exit status 1 and exactly one line on stderr that
// names the file (or option) and the problem.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "cli/cli_test_util.h"
#include "nnlab/data/image_io.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/pth_reader.h"
#include "nnlab/models/pth_writer.h"
#include "nnlab/models/registry.h"
#include "nnlab/models/state_dict.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

namespace {

// A lenet5 checkpoint and a task-layout folder of 28x28 gray images with labels.csv.
struct Fixture {
  std::string dir, model;
  explicit Fixture(const std::string& name) : dir(scratch_dir(name)) {
    model = dir + "/lenet5.ckpt";
    torch::manual_seed(0);
    models::save_checkpoint(model, models::make_checkpoint(models::create_model("lenet5")));
    fs::create_directories(dir + "/set/images");
    for (int i = 0; i < 3; ++i) {
      data::save_image(dir + "/set/images/00" + std::to_string(i) + ".png",
                       torch::rand({1, 28, 28}));
    }
  }
  void labels(const std::string& text) const { std::ofstream(dir + "/set/labels.csv") << text; }
  CommandResult eval() const {
    return run_nnlab("eval --model " + model + " --data folder:" + dir + "/set -q");
  }
};

}  // namespace

TEST(BadInput, TruncatedIdx) {
  const auto dir = scratch_dir("bad_idx");
  write_synthetic_idx(dir, 100, 20);
  const auto file = dir + "/train-images-idx3-ubyte";
  fs::resize_file(file, fs::file_size(file) / 2);
  expect_clean_error(
      run_nnlab("train --arch lenet5 --epochs 1 --data idx:" + dir + " -o " + dir + "/m.ckpt"),
      file, "truncated");
  EXPECT_FALSE(fs::exists(dir + "/m.ckpt"));
}

TEST(BadInput, CorruptedIdxMagic) {
  const auto dir = scratch_dir("bad_magic");
  write_synthetic_idx(dir, 100, 20);
  const auto file = dir + "/t10k-labels-idx1-ubyte";
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f.write("\x12\x34", 2);
  }
  const auto r = run_nnlab("train --arch lenet5 --epochs 1 --data idx:" + dir);
  expect_clean_error(r, file, "magic");
}

TEST(BadInput, LabelsCsvWithoutTrueLabel) {
  Fixture f("no_truelabel");
  f.labels("ImgId,Label\n000,1\n001,2\n002,3\n");
  expect_clean_error(f.eval(), "labels.csv", "TrueLabel");
}

TEST(BadInput, LabelOutsideTheClasses) {
  Fixture f("label_range");
  f.labels("ImgId,TrueLabel\n000,1\n001,12\n002,3\n");
  expect_clean_error(f.eval(), "labels.csv", "12");
}

TEST(BadInput, MissingImage) {
  Fixture f("missing_image");
  f.labels("ImgId,TrueLabel\n000,1\n001,2\n007,3\n");
  expect_clean_error(f.eval(), "007.png", "missing");
}

TEST(BadInput, FileThatIsNotAnImage) {
  Fixture f("not_image");
  f.labels("ImgId,TrueLabel\n000,1\n001,2\n002,3\n");
  std::ofstream(f.dir + "/set/images/001.png") << "this is text, not a PNG";
  expect_clean_error(f.eval(), "001.png", "not an image");
}

TEST(BadInput, PthOfTheWrongArchitecture) {
  const auto dir = scratch_dir("wrong_arch");
  const auto pth = dir + "/lenet300.pth";
  models::write_legacy_pth(pth, models::state_dict(models::create_model("lenet300")));
  const auto r = run_nnlab("eval --weights " + pth + " --arch lenet5 --limit 10");
  expect_clean_error(r, pth, "missing keys");
  EXPECT_NE(r.err.find("mis-shaped keys: fc1.weight"), std::string::npos) << r.err;
}

TEST(BadInput, UnknownArchitecture) {
  const auto r = run_nnlab("train --arch resnet9000 --epochs 1");
  expect_clean_error(r, "--arch", "resnet9000");
  EXPECT_NE(r.err.find("lenet5"), std::string::npos) << "should list the known names";
}

TEST(BadInput, ModelFileThatIsNotAModel) {
  const auto dir = scratch_dir("not_model");
  std::ofstream(dir + "/model.ckpt") << "hello";
  expect_clean_error(run_nnlab("eval --model " + dir + "/model.ckpt"), dir + "/model.ckpt",
                     "not a model file");
}

}  // namespace nnlab::testing
