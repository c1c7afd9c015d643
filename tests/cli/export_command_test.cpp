// nnlab export-images: a data set's images written in the image-folder task layout (images/,
// labels.csv, categories.csv), as many as asked, from the split asked.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

namespace {

int png_count(const std::string& folder) {
  int n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(folder))
    n += entry.path().extension() == ".png";
  return n;
}

}  // namespace

TEST(ExportCommand, WritesTheImagesAndLabelsOfTheSplitAsked) {
  const auto dir = scratch_dir("export_cli");
  write_synthetic_idx(dir + "/data", 20, 10);
  const std::string data = " --data idx:" + dir + "/data";

  const auto five = run_nnlab("export-images" + data + " --count 5 -o " + dir + "/five --json -q");
  ASSERT_EQ(five.exit_code, 0) << five.err;
  EXPECT_EQ(nlohmann::json::parse(five.out)["images"], 5);
  EXPECT_EQ(png_count(dir + "/five"), 5);
  EXPECT_EQ(line_count(read_text(dir + "/five/labels.csv")), 6);  // a header and 5 rows
  EXPECT_TRUE(fs::exists(dir + "/five/categories.csv"));

  // --count 0: the whole split; --split train: the other one.
  const auto test = run_nnlab("export-images" + data + " --count 0 -o " + dir + "/test --json -q");
  ASSERT_EQ(test.exit_code, 0) << test.err;
  EXPECT_EQ(png_count(dir + "/test"), 10);
  const auto train =
      run_nnlab("export-images" + data + " --split train --count 0 -o " + dir + "/train --json -q");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  EXPECT_EQ(nlohmann::json::parse(train.out)["images"], 20);
  EXPECT_EQ(png_count(dir + "/train"), 20);

  // What it wrote reads back as a data set of the same size.
  const auto eval_data =
      run_nnlab("export-images --data " + dir + "/test -o " + dir + "/again --count 0 --json -q");
  ASSERT_EQ(eval_data.exit_code, 0) << eval_data.err;
  EXPECT_EQ(nlohmann::json::parse(eval_data.out)["images"], 10);

  expect_clean_error(run_nnlab("export-images" + data + " --split dev -o " + dir + "/dev"),
                     "--split", "expected train or test");
}

}  // namespace nnlab::testing
