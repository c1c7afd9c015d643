// nnlab prune: magnitude pruning whose masks survive fine-tuning, and structured (filter)
// pruning to a MAC target.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "cli/cli_test_util.h"
#include "cli/refused_commands.h"
#include "nnlab/models/checkpoint.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

TEST(PruneCommand, PruneKeepsMasksThroughFineTuning) {
  const auto dir = scratch_dir("prune");
  write_synthetic_idx(dir + "/data", 600, 100);
  const auto train = run_nnlab("train --arch lenet300 --data idx:" + dir + "/data --epochs 2 -o " +
                               dir + "/dense.ckpt -q");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const auto prune = run_nnlab("prune --model " + dir + "/dense.ckpt --sparsity 0.8 --steps 2 " +
                               "--finetune-epochs 1 -o " + dir + "/sparse.ckpt --json -q");
  ASSERT_EQ(prune.exit_code, 0) << prune.err;
  const auto j = nlohmann::json::parse(prune.out);
  ASSERT_EQ(j["steps"].size(), 3u);  // the dense model, then each step
  EXPECT_DOUBLE_EQ(j["steps"][0]["sparsity"].get<double>(), 0.0);
  EXPECT_NEAR(j["steps"][2]["sparsity"].get<double>(), 0.8, 1e-4);
  EXPECT_LT(j["steps"][2]["parameters"].get<double>(), j["steps"][0]["parameters"].get<double>());
  EXPECT_GT(j["steps"][2]["test_accuracy"].get<double>(), 0.5);

  // The checkpoint holds the masks, and its weights are zero where the masks are.
  const auto checkpoint = models::read_checkpoint(dir + "/sparse.ckpt");
  ASSERT_EQ(checkpoint.masks.size(), 3u);
  for (const auto& [name, mask] : checkpoint.masks) {
    for (const auto& [key, tensor] : checkpoint.state) {
      if (key == name) {
        EXPECT_EQ(tensor.masked_select(mask.eq(0)).count_nonzero().item<int>(), 0);
      }
    }
  }
  // It evaluates like any checkpoint.
  const auto eval =
      run_nnlab("eval --model " + dir + "/sparse.ckpt --data idx:" + dir + "/data --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(eval.out)["accuracy"].get<double>(),
                   j["steps"][2]["test_accuracy"].get<double>());

  for (const auto* bad : {"--sparsity 1.2", "--sparsity 0", "--layers fc9", "--schedule cubic"}) {
    const auto r =
        run_nnlab("prune --model " + dir + "/dense.ckpt " + bad + " -o " + dir + "/bad.ckpt -q");
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_EQ(line_count(r.err), 1) << r.err;
  }
  const auto not_model =
      run_nnlab("prune --model " + dir + "/data/t10k-labels-idx1-ubyte -o " + dir + "/bad.ckpt -q");
  EXPECT_EQ(not_model.exit_code, 1);
  EXPECT_NE(not_model.err.find("t10k-labels-idx1-ubyte"), std::string::npos) << not_model.err;
  EXPECT_FALSE(fs::exists(dir + "/bad.ckpt"));
}

TEST(PruneCommand, StructuredPruneWritesAReloadableSmallerModel) {
  const auto dir = scratch_dir("structure");
  write_synthetic_idx(dir + "/data", 400, 100);
  const std::string data = " --data idx:" + dir + "/data";
  ASSERT_EQ(
      run_nnlab("train --arch cnn" + data + " --epochs 1 -o " + dir + "/cnn.ckpt -q").exit_code, 0);

  // Filter pruning to half the MACs in two steps: a smaller dense model that evaluates.
  const auto prune =
      run_nnlab("prune --structured --target-macs 0.5 --steps 2 --schedule equal --model " + dir +
                "/cnn.ckpt --finetune-epochs 1 -o " + dir + "/thin.ckpt --plot " + dir +
                "/thin.svg --json -q");
  ASSERT_EQ(prune.exit_code, 0) << prune.err;
  const auto p = nlohmann::json::parse(prune.out)["steps"];
  ASSERT_EQ(p.size(), 3u);
  EXPECT_LE(p[2]["macs"].get<double>(), 0.5 * p[0]["macs"].get<double>());
  EXPECT_GT(p[2]["macs"].get<double>(), 0.4 * p[0]["macs"].get<double>());
  EXPECT_LT(p[2]["parameters"].get<double>(), p[0]["parameters"].get<double>());
  EXPECT_NE(read_text(dir + "/thin.svg").find("<svg"), std::string::npos);
  const auto thin_eval = run_nnlab("eval --model " + dir + "/thin.ckpt" + data + " --json -q");
  ASSERT_EQ(thin_eval.exit_code, 0) << thin_eval.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(thin_eval.out)["accuracy"].get<double>(),
                   p[2]["test_accuracy"].get<double>());

  // Bad input: one line each, nothing written.
  const std::vector<std::string> bad = {
      "prune --structured --ratio 1.5 --model " + dir + "/cnn.ckpt",
      "prune --structured --target-macs 0 --ratio 0 --model " + dir + "/cnn.ckpt",
      "prune --structured --layers features.42 --model " + dir + "/cnn.ckpt",
  };
  expect_refused_without_output(bad, dir + "/bad.ckpt");
}

}  // namespace nnlab::testing
