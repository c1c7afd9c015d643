// --precision bf16 through the training commands: train (plain, adversarial, distillation) and
// the fine-tuning inside prune run in bf16, say so in their JSON, metrics and checkpoints, and
// save float32 weights that evaluate in fp32 to nearly the same accuracy.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"
#include "nnlab/models/checkpoint.h"

namespace nnlab::testing {

namespace {

void expect_bf16_checkpoint(const std::string& path) {
  const auto checkpoint = models::read_checkpoint(path);
  EXPECT_EQ(checkpoint.meta.value("precision", ""), "bf16") << path;
  for (const auto& [name, tensor] : checkpoint.state) {
    if (tensor.is_floating_point()) {
      EXPECT_EQ(tensor.scalar_type(), torch::kFloat) << name;
    }
  }
}

}  // namespace

TEST(TrainPrecision, Bf16TrainsRecordsItAndEvaluatesInFp32) {
  const auto dir = scratch_dir("train-precision");
  write_synthetic_idx(dir + "/data", 1000, 200);
  const auto train = run_nnlab("--precision bf16 train --arch lenet5 --data idx:" + dir +
                               "/data --epochs 2 --batch-size 32 -o " + dir + "/m.ckpt --json -q");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const auto j = nlohmann::json::parse(train.out);
  EXPECT_EQ(j["provenance"]["precision"], "bf16");
  const double bf16_accuracy = j["test_accuracy"].get<double>();
  EXPECT_GT(bf16_accuracy, 0.5);
  std::ifstream metrics(dir + "/m.ckpt.metrics.jsonl");
  int lines = 0;
  for (std::string line; std::getline(metrics, line); ++lines) {
    EXPECT_EQ(nlohmann::json::parse(line)["provenance"]["precision"], "bf16");
  }
  EXPECT_EQ(lines, 2);
  expect_bf16_checkpoint(dir + "/m.ckpt");

  // The same weights judged in fp32 (the default): within 3 points (6 of the 200 images) of
  // the accuracy bf16 measured at the end of training.
  const auto eval =
      run_nnlab("eval --model " + dir + "/m.ckpt --data idx:" + dir + "/data --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  const auto e = nlohmann::json::parse(eval.out);
  EXPECT_EQ(e["provenance"]["precision"], "fp32");
  EXPECT_NEAR(e["accuracy"].get<double>(), bf16_accuracy, 0.03);

  // And a checkpoint trained in fp32 says fp32.
  ASSERT_EQ(run_nnlab("train --arch lenet5 --data idx:" + dir + "/data --epochs 1 -o " + dir +
                      "/f.ckpt -q")
                .exit_code,
            0);
  EXPECT_EQ(models::read_checkpoint(dir + "/f.ckpt").meta.value("precision", ""), "fp32");
}

TEST(TrainPrecision, AdversarialDistillationAndFineTuningRunInBf16) {
  const auto dir = scratch_dir("train-precision-hooks");
  write_synthetic_idx(dir + "/data", 600, 100);
  const auto adversarial =
      run_nnlab("--precision bf16 train --arch cnn --data idx:" + dir +
                "/data --epochs 1 --adv fgsm-rs --epsilon 8 -o " + dir + "/adv.ckpt --json -q");
  ASSERT_EQ(adversarial.exit_code, 0) << adversarial.err;
  EXPECT_EQ(nlohmann::json::parse(adversarial.out)["provenance"]["precision"], "bf16");
  expect_bf16_checkpoint(dir + "/adv.ckpt");

  const auto student = run_nnlab("--precision bf16 train --arch lenet300 --data idx:" + dir +
                                 "/data --epochs 1 --teacher " + dir + "/adv.ckpt -o " + dir +
                                 "/student.ckpt --json -q");
  ASSERT_EQ(student.exit_code, 0) << student.err;
  EXPECT_EQ(nlohmann::json::parse(student.out)["provenance"]["precision"], "bf16");
  expect_bf16_checkpoint(dir + "/student.ckpt");

  const auto prune =
      run_nnlab("--precision bf16 prune --model " + dir +
                "/adv.ckpt --sparsity 0.5 --steps 1 --finetune-epochs 1 --data idx:" + dir +
                "/data -o " + dir + "/sparse.ckpt --json -q");
  ASSERT_EQ(prune.exit_code, 0) << prune.err;
  EXPECT_EQ(nlohmann::json::parse(prune.out)["provenance"]["precision"], "bf16");
  expect_bf16_checkpoint(dir + "/sparse.ckpt");
}

TEST(TrainPrecision, RefusesAnUnknownPrecision) {
  expect_clean_error(run_nnlab("--precision fp16 train --arch lenet5 --epochs 1 -q"),
                     "--precision");
}

}  // namespace nnlab::testing
