// nnlab train end to end on a tiny synthetic set: the train -> eval -> predict round trip,
// adversarial training and distillation from a teacher.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/cli_test_util.h"
#include "nnlab/data/csv.h"
#include "nnlab/data/idx.h"
#include "nnlab/data/image_io.h"
#include "nnlab/models/checkpoint.h"
#include "nnlab/models/model_loader.h"
#include "nnlab/train/evaluate.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

TEST(TrainCommand, TrainEvalPredictRoundTrip) {
  const auto dir = scratch_dir("commands");
  write_synthetic_idx(dir + "/data", 1000, 200);
  const auto train = run_nnlab("train --arch lenet5 --data idx:" + dir +
                               "/data --epochs 2 --batch-size 32 -o " + dir + "/m.ckpt --json -q");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const auto j = nlohmann::json::parse(train.out);
  EXPECT_EQ(j["epochs"], 2);
  EXPECT_EQ(j["history"].size(), 2u);
  EXPECT_GT(j["test_accuracy"].get<double>(), 0.5);
  // per-epoch JSON lines
  std::ifstream metrics(dir + "/m.ckpt.metrics.jsonl");
  std::string line;
  int lines = 0;
  while (std::getline(metrics, line)) {
    EXPECT_EQ(nlohmann::json::parse(line)["epoch"], ++lines);
    EXPECT_EQ(nlohmann::json::parse(line)["format_version"], 1);
  }
  EXPECT_EQ(lines, 2);

  const auto eval =
      run_nnlab("eval --model " + dir + "/m.ckpt --data idx:" + dir + "/data --json -q");
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  const auto e = nlohmann::json::parse(eval.out);
  EXPECT_DOUBLE_EQ(e["accuracy"].get<double>(), j["test_accuracy"].get<double>());
  EXPECT_EQ(e["count"], 200);
  EXPECT_EQ(e["confusion"].size(), 10u);
  std::int64_t total = 0;
  for (const auto& row : e["confusion"]) {
    for (const auto& v : row) total += v.get<std::int64_t>();
  }
  EXPECT_EQ(total, 200);

  // predict on a few test images saved as PNG: logits equal the library's on the same pixels
  const auto images =
      data::read_idx(dir + "/data/t10k-images-idx3-ubyte").slice(0, 0, 3).to(torch::kFloat) / 255;
  fs::create_directories(dir + "/png");
  for (int i = 0; i < 3; ++i)
    data::save_image(dir + "/png/" + std::to_string(i) + ".png", images[i].unsqueeze(0));
  const auto predict = run_nnlab("predict --model " + dir + "/m.ckpt " + dir + "/png -k 3 -o " +
                                 dir + "/preds.csv --logits " + dir + "/logits.csv -q");
  ASSERT_EQ(predict.exit_code, 0) << predict.err;
  const auto preds = data::CsvTable::read(dir + "/preds.csv");
  EXPECT_EQ(preds.rows().size(), 3u);
  EXPECT_TRUE(preds.column("top3_prob").has_value());
  const auto logits = data::CsvTable::read(dir + "/logits.csv");
  ASSERT_EQ(logits.rows().size(), 3u);
  ASSERT_EQ(logits.header().size(), 11u);
  models::ModelSource source;
  source.path = dir + "/m.ckpt";
  auto model = models::load_model(source);
  const auto expected = train::predict_logits(model, images.unsqueeze(1));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(logits.rows()[static_cast<size_t>(i)][0], std::to_string(i) + ".png");
    for (int c = 0; c < 10; ++c) {
      EXPECT_FLOAT_EQ(std::stof(logits.rows()[static_cast<size_t>(i)][static_cast<size_t>(c + 1)]),
                      expected[i][c].item<float>());
    }
  }
}

TEST(TrainCommand, AdversarialTrainingReportsHeldOutRobustAccuracy) {
  const auto dir = scratch_dir("adv_train");
  write_synthetic_idx(dir + "/data", 600, 100);
  const auto train = run_nnlab("train --arch lenet300 --data idx:" + dir +
                               "/data --epochs 2 --adv fgsm-rs --epsilon 8 --holdout 100 -o " +
                               dir + "/adv.ckpt --json -q");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const auto j = nlohmann::json::parse(train.out);
  ASSERT_EQ(j["history"].size(), 2u);
  for (const auto& epoch : j["history"]) {
    const auto clean = epoch["holdout_clean_accuracy"].get<double>();
    const auto robust = epoch["holdout_robust_accuracy"].get<double>();
    EXPECT_GT(clean, 0.5);
    EXPECT_LE(robust, clean);
  }
  // The adversarial settings live in the checkpoint, so --resume goes on with them.
  const auto more = run_nnlab("train --resume " + dir + "/adv.ckpt --epochs 3 --json -q");
  ASSERT_EQ(more.exit_code, 0) << more.err;
  EXPECT_TRUE(nlohmann::json::parse(more.out)["history"][2].contains("holdout_robust_accuracy"));

  const auto bad = run_nnlab("train --arch lenet300 --data idx:" + dir +
                             "/data --adv free --epsilon 8 -o " + dir + "/x.ckpt -q");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("--adv"), std::string::npos) << bad.err;
  const auto no_adv = run_nnlab("train --arch lenet300 --data idx:" + dir +
                                "/data --epsilon 8 -o " + dir + "/x.ckpt -q");
  EXPECT_EQ(no_adv.exit_code, 1);
  EXPECT_NE(no_adv.err.find("--epsilon"), std::string::npos) << no_adv.err;
  EXPECT_FALSE(fs::exists(dir + "/x.ckpt"));
}

TEST(TrainCommand, TrainWithATeacherRecordsTheDistillation) {
  const auto dir = scratch_dir("distill");
  write_synthetic_idx(dir + "/data", 600, 100);
  ASSERT_EQ(run_nnlab("train --arch lenet5 --data idx:" + dir + "/data --epochs 2 -o " + dir +
                      "/teacher.ckpt -q")
                .exit_code,
            0);
  const auto student = run_nnlab("train --arch lenet300 --data idx:" + dir + "/data --epochs 2 " +
                                 "--teacher " + dir + "/teacher.ckpt --temperature 3 --alpha " +
                                 "0.7 -o " + dir + "/student.ckpt --json -q");
  ASSERT_EQ(student.exit_code, 0) << student.err;
  EXPECT_GT(nlohmann::json::parse(student.out)["test_accuracy"].get<double>(), 0.5);
  const auto meta = models::read_checkpoint(dir + "/student.ckpt").meta;
  EXPECT_EQ(meta["distillation"]["teacher"], dir + "/teacher.ckpt");
  EXPECT_DOUBLE_EQ(meta["distillation"]["temperature"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(meta["distillation"]["alpha"].get<double>(), 0.7);

  const auto bad = run_nnlab("train --arch lenet300 --data idx:" + dir + "/data --teacher " + dir +
                             "/teacher.ckpt --alpha 2 -o " + dir + "/bad.ckpt -q");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("--alpha"), std::string::npos) << bad.err;
  const auto missing = run_nnlab("train --arch lenet300 --data idx:" + dir + "/data --teacher " +
                                 dir + "/nowhere.ckpt -o " + dir + "/bad.ckpt -q");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nowhere.ckpt"), std::string::npos) << missing.err;
}

TEST(TrainCommand, TradesRecordsBetaAndResumesWithIt) {
  const auto dir = scratch_dir("trades_train");
  write_synthetic_idx(dir + "/data", 300, 50);
  const auto train = run_nnlab("train --arch lenet300 --data idx:" + dir +
                               "/data --epochs 1 --adv trades --beta 3 --adv-steps 2 --epsilon 8 "
                               "--holdout 50 --adv-eval-steps 2 -o " +
                               dir + "/trades.ckpt --json -q");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  auto meta = models::read_checkpoint(dir + "/trades.ckpt").meta;
  EXPECT_EQ(meta["adversarial"]["method"], "trades");
  EXPECT_DOUBLE_EQ(meta["adversarial"]["beta"].get<double>(), 3.0);
  EXPECT_EQ(meta["adversarial"]["steps"].get<int>(), 2);
  const auto more = run_nnlab("train --resume " + dir + "/trades.ckpt --epochs 2 --json -q");
  ASSERT_EQ(more.exit_code, 0) << more.err;
  meta = models::read_checkpoint(dir + "/trades.ckpt").meta;
  EXPECT_EQ(meta["epoch"].get<int>(), 2);
  EXPECT_EQ(meta["adversarial"]["method"], "trades");
  EXPECT_DOUBLE_EQ(meta["adversarial"]["beta"].get<double>(), 3.0);
  EXPECT_TRUE(nlohmann::json::parse(more.out)["history"][1].contains("holdout_robust_accuracy"));
}

TEST(TrainCommand, TradesRefusesANegativeBeta) {
  const auto dir = scratch_dir("trades_bad");
  write_synthetic_idx(dir + "/data", 60, 10);
  const auto bad = run_nnlab("train --arch lenet300 --data idx:" + dir +
                             "/data --adv trades --beta -1 -o " + dir + "/x.ckpt -q");
  expect_clean_error(bad, "--beta");
  const auto no_trades = run_nnlab("train --arch lenet300 --data idx:" + dir +
                                   "/data --adv pgd --beta 2 -o " + dir + "/x.ckpt -q");
  expect_clean_error(no_trades, "--beta", "trades");
  EXPECT_FALSE(fs::exists(dir + "/x.ckpt"));
}

TEST(TrainCommand, NoiseSigmaIsRecordedAndKeptOnResume) {
  const auto dir = scratch_dir("noise_train");
  write_synthetic_idx(dir + "/data", 200, 50);
  const auto train = run_nnlab("train --arch lenet300 --data idx:" + dir +
                               "/data --epochs 1 --noise-sigma 0.25 -o " + dir + "/n.ckpt -q");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  EXPECT_DOUBLE_EQ(models::read_checkpoint(dir + "/n.ckpt").meta["noise_sigma"].get<double>(),
                   0.25);
  const auto more = run_nnlab("train --resume " + dir + "/n.ckpt --epochs 2 -q");
  ASSERT_EQ(more.exit_code, 0) << more.err;
  const auto meta = models::read_checkpoint(dir + "/n.ckpt").meta;
  EXPECT_EQ(meta["epoch"].get<int>(), 2);
  EXPECT_DOUBLE_EQ(meta["noise_sigma"].get<double>(), 0.25);
  // Without the flag no noise is recorded.
  ASSERT_EQ(run_nnlab("train --arch lenet300 --data idx:" + dir + "/data --epochs 1 -o " + dir +
                      "/plain.ckpt -q")
                .exit_code,
            0);
  EXPECT_FALSE(models::read_checkpoint(dir + "/plain.ckpt").meta.contains("noise_sigma"));

  expect_clean_error(run_nnlab("train --arch lenet300 --data idx:" + dir +
                               "/data --noise-sigma -0.5 -o " + dir + "/x.ckpt -q"),
                     "--noise-sigma");
  expect_clean_error(run_nnlab("train --arch lenet300 --data idx:" + dir +
                               "/data --noise-sigma 0.25 --adv pgd -o " + dir + "/x.ckpt -q"),
                     "--noise-sigma");
  EXPECT_FALSE(fs::exists(dir + "/x.ckpt"));
}

}  // namespace nnlab::testing
