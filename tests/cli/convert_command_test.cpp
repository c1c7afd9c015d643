// nnlab convert: standard convolutions made depthwise-separable, trained by distillation from
// the original, smaller and reloadable.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "cli/cli_test_util.h"
#include "cli/refused_commands.h"

namespace nnlab::testing {

TEST(ConvertCommand, DepthwiseWritesAReloadableSmallerModel) {
  const auto dir = scratch_dir("convert");
  write_synthetic_idx(dir + "/data", 400, 100);
  const std::string data = " --data idx:" + dir + "/data";
  ASSERT_EQ(
      run_nnlab("train --arch cnn" + data + " --epochs 1 -o " + dir + "/cnn.ckpt -q").exit_code, 0);

  // Depthwise conversion, trained by distillation from the original.
  const auto convert = run_nnlab("convert --depthwise --model " + dir +
                                 "/cnn.ckpt --finetune-epochs 1 -o " + dir + "/dw.ckpt --json -q");
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  const auto c = nlohmann::json::parse(convert.out);
  EXPECT_EQ(c["layers"].size(), 3u);  // every 3x3 conv but the one reading the image
  EXPECT_LT(c["converted"]["parameters"].get<int>(), c["original"]["parameters"].get<int>());
  const auto summary = run_nnlab("summary --model " + dir + "/dw.ckpt --json -q");
  ASSERT_EQ(summary.exit_code, 0) << summary.err;

  // Bad input: one line, nothing written.
  const std::vector<std::string> bad = {
      "convert --depthwise --layers features.1 --model " + dir + "/cnn.ckpt",
  };
  expect_refused_without_output(bad, dir + "/bad.ckpt");
}

}  // namespace nnlab::testing
