// labels.csv and categories.csv: a UTF-8 byte-order mark and CRLF line ends are accepted; a
// missing column, a row missing a field and an id given twice are one-line errors naming the
// file (and the line). docs/BAD_INPUT.md lists every case with the test that tries it.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"
#include "nnlab/data/image_io.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/registry.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

namespace {

// A lenet5 checkpoint and a task-layout folder of three 28x28 gray images.
struct Fixture {
  std::string dir, model, set;
  explicit Fixture(const std::string& name) : dir(scratch_dir(name)) {
    model = dir + "/lenet5.ckpt";
    set = dir + "/set";
    torch::manual_seed(0);
    models::save_checkpoint(model, models::make_checkpoint(models::create_model("lenet5")));
    fs::create_directories(set + "/images");
    for (int i = 0; i < 3; ++i) {
      data::save_image(set + "/images/00" + std::to_string(i) + ".png", torch::rand({1, 28, 28}));
    }
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(set + "/" + name, std::ios::binary) << text;
  }
  CommandResult eval() const {
    return run_nnlab("eval --model " + model + " --data folder:" + set + " --json -q");
  }
};

}  // namespace

TEST(BadCsv, ByteOrderMarkAndCrlfAreAccepted) {
  Fixture f("csv_bom_crlf");
  f.write("labels.csv", "\xEF\xBB\xBFImgId,TrueLabel\r\n000,1\r\n001,2\r\n002,3\r\n");
  std::string categories =
      "\xEF\xBB\xBF"
      "CategoryId,CategoryName\r\n";
  for (int c = 0; c < 10; ++c) categories += std::to_string(c) + ",n" + std::to_string(c) + "\r\n";
  f.write("categories.csv", categories);
  const auto r = f.eval();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["count"], 3) << r.out;
  // The names come through whole: no byte-order mark, no '\r'.
  const auto p = run_nnlab("predict --model " + f.model + " " + f.set + "/images --categories " +
                           f.set + "/categories.csv --json -q");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  for (const auto& prediction : nlohmann::json::parse(p.out)["predictions"]) {
    const auto& top = prediction["top"][0];
    EXPECT_EQ(top["name"], "n" + std::to_string(top["class"].get<int>())) << top;
  }
}

TEST(BadCsv, MissingColumnsAreRefused) {
  Fixture f("csv_missing");
  f.write("labels.csv", "ImgId,Label\n000,1\n001,2\n002,3\n");
  expect_clean_error(f.eval(), "labels.csv", "no column 'TrueLabel'");
  f.write("labels.csv", "ImgId,TrueLabel\n000,1\n001\n002,3\n");
  expect_clean_error(f.eval(), "labels.csv", "line 3");
  f.write("labels.csv", "ImgId,TrueLabel\n000,1\n001,2\n002,3\n");
  f.write("categories.csv", "CategoryId,Name\n0,zero\n1,one\n");
  expect_clean_error(f.eval(), "categories.csv", "no column 'CategoryName'");
  f.write("categories.csv", "CategoryId,CategoryName\n0,zero\n1\n");
  expect_clean_error(f.eval(), "categories.csv", "line 3");
}

TEST(BadCsv, DuplicatedIdsAreRefused) {
  Fixture f("csv_duplicates");
  f.write("labels.csv", "ImgId,TrueLabel\n000,1\n001,2\n000,3\n002,4\n");
  expect_clean_error(f.eval(), "labels.csv",
                     "line 4: image '000' is listed twice (first on line 2)");
  f.write("labels.csv", "ImgId,TrueLabel\n000,1\n001,2\n002,3\n");
  f.write("categories.csv", "CategoryId,CategoryName\n0,zero\n1,one\n1,uno\n");
  expect_clean_error(f.eval(), "categories.csv", "line 4: CategoryId 1 appears twice");
}

}  // namespace nnlab::testing
