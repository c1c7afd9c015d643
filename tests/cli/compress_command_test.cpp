// nnlab compress: the Deep Compression pipeline, stage by stage, and its .nnz evaluated.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

TEST(CompressCommand, DeepCompressionPipelineReportsEachStageAndItsFileEvaluatesAlike) {
  const auto dir = trained_lenet300("compress", 2);
  const std::string data = " --data idx:" + dir + "/data";
  const auto c = run_nnlab("compress --pipeline deep --model " + dir +
                           "/d.ckpt --keep fc1=0.05,fc2=0.1,fc3=0.5 --steps 2 --finetune-epochs 1 "
                           "--fc-bits 4 --layer-bits fc3=6 --cluster-epochs 1 --distil -o " +
                           dir + "/m.nnz --json -q");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const auto j = nlohmann::json::parse(c.out);
  ASSERT_EQ(j["stages"].size(), 5u);
  ASSERT_EQ(j["layers"].size(), 3u);
  EXPECT_NEAR(j["layers"][0]["kept_fraction"].get<double>(), 0.05, 1e-3);
  EXPECT_NEAR(j["layers"][2]["kept_fraction"].get<double>(), 0.5, 1e-3);
  EXPECT_EQ(j["layers"][0]["weight_bits"], 4);
  EXPECT_EQ(j["layers"][2]["weight_bits"], 6);  // --layer-bits over --fc-bits
  EXPECT_LE(j["layers"][0]["weight_bits_huffman"].get<double>(), 4.0);
  // Each stage is smaller than the one before; the last is the file.
  double previous = 1e30;
  for (const auto& stage : j["stages"]) {
    EXPECT_LE(stage["bytes"].get<double>(), previous) << stage;
    previous = stage["bytes"].get<double>();
  }
  EXPECT_DOUBLE_EQ(j["file_bytes"].get<double>(),
                   static_cast<double>(fs::file_size(dir + "/m.nnz")));
  EXPECT_GT(j["ratio"].get<double>(), 40);
  const auto eval = run_nnlab("eval --model " + dir + "/m.nnz" + data + " --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(eval.out)["accuracy"].get<double>(),
                   j["stages"][4]["test_accuracy"].get<double>());
  for (const auto* bad :
       {"--keep fc1=2", "--keep fc9=0.5", "--pipeline shallow", "--fc-bits 0", "--sparsity 1",
        "--layer-bits fc1=0", "--layer-bits fc1=4.5", "--layer-bits fc9=4", "--layer-bits fc1"}) {
    const auto r =
        run_nnlab("compress --model " + dir + "/d.ckpt " + bad + " -o " + dir + "/x.nnz -q");
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_EQ(line_count(r.err), 1) << bad << ": " << r.err;
  }
  EXPECT_EQ(run_nnlab("compress --model " + dir + "/d.ckpt -o " + dir + "/x.ckpt -q").exit_code, 1);
  EXPECT_FALSE(fs::exists(dir + "/x.nnz"));
}

}  // namespace nnlab::testing
