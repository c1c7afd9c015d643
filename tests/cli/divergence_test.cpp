// Divergence is not success: every trainer behind the command line stops at the first NaN or
// infinite loss or gradient norm with one line on stderr naming the step, exits non-zero and
// writes nothing of the diverged state; the checkpoint of the last completed epoch stays byte for
// byte as it was. The learning rates are finite and inside the flags' domain (at most 2^53), so it
// is the runtime check that fires. Recurrent models saturate (tanh, sigmoid): at such rates the
// g2p and caption losses stay finite, so their trainers' stop at the first NaN is tested in
// tests/seq2seq (rates of 1e30 and more, set in the options); the language model's dev
// perplexity overflows, which stops it here.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include "cli/cli_test_util.h"
#include "nnlab/models/checkpoint.h"

namespace nnlab::testing {
namespace fs = std::filesystem;

namespace {

void expect_divergence(const CommandResult& r, const std::string& step) {
  EXPECT_EQ(r.exit_code, 1) << "signal " << r.signal << "\n" << r.err;
  EXPECT_EQ(line_count(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("training diverged: the "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(step), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is probably too high"), std::string::npos) << r.err;
}

std::size_t files_in(const std::string& dir) {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

// Synthetic IDX data and one good lenet300 checkpoint (a teacher and a model to compress) whose
// step schedule multiplies the rate by 9e15 after the first epoch.
struct ClassifierFixture {
  std::string dir = scratch_dir("divergence_cli");
  std::string data = " --data idx:" + dir + "/data";
  std::string good = dir + "/run/good.ckpt";
  ClassifierFixture() {
    write_synthetic_idx(dir + "/data", 300, 50);
    fs::create_directories(dir + "/run");
    const auto r =
        run_nnlab("train --arch lenet300" + data +
                  " --epochs 1 --schedule step --step-size 1 --gamma 9e15 -q -o " + good);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
};

const ClassifierFixture& classifier() {
  static ClassifierFixture f;
  return f;
}

}  // namespace

TEST(Divergence, TrainStopsAtTheFirstNonFiniteLossAndWritesNothing) {
  const auto& f = classifier();
  const auto out = scratch_dir("divergence_plain");
  const auto r =
      run_nnlab("train --arch lenet5" + f.data + " --epochs 2 --lr 9e15 -q -o " + out + "/m.ckpt");
  expect_divergence(r, "at epoch 1, batch ");
  EXPECT_NE(r.err.find("the learning rate 9e+15"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no checkpoint written"), std::string::npos) << r.err;
  EXPECT_EQ(files_in(out), 0u);
}

TEST(Divergence, ResumedTrainingKeepsThePreviousEpochsCheckpointByteForByte) {
  const auto& f = classifier();
  const auto dir = scratch_dir("divergence_resume");
  const auto model = dir + "/m.ckpt";
  fs::copy_file(f.good, model);
  fs::copy_file(f.good + ".metrics.jsonl", model + ".metrics.jsonl");
  const auto before = read_text(model);
  const auto metrics_before = read_text(model + ".metrics.jsonl");
  ASSERT_FALSE(before.empty());
  // Epoch 2 trains at 1e-3 * 9e15 (the saved step schedule).
  const auto r = run_nnlab("train --resume " + model + " --epochs 2 -q");
  expect_divergence(r, "at epoch 2, batch ");
  EXPECT_NE(r.err.find("last good checkpoint kept: " + model), std::string::npos) << r.err;
  EXPECT_EQ(read_text(model), before);
  EXPECT_EQ(read_text(model + ".metrics.jsonl"), metrics_before);
  EXPECT_EQ(files_in(dir), 2u);  // no temporary file left beside them
}

TEST(Divergence, AdversarialTrainingStops) {
  const auto& f = classifier();
  const auto out = scratch_dir("divergence_adv");
  expect_divergence(
      run_nnlab("train --arch lenet300" + f.data +
                " --epochs 1 --adv fgsm-rs --epsilon 8 --holdout 50 --lr 9e15 -q -o " + out +
                "/m.ckpt"),
      "at epoch 1, batch ");
  EXPECT_EQ(files_in(out), 0u);
}

TEST(Divergence, DistillationStops) {
  const auto& f = classifier();
  const auto out = scratch_dir("divergence_teacher");
  expect_divergence(run_nnlab("train --arch lenet300" + f.data + " --teacher " + f.good +
                              " --epochs 1 --lr 9e15 -q -o " + out + "/m.ckpt"),
                    "at epoch 1, batch ");
  EXPECT_EQ(files_in(out), 0u);
}

TEST(Divergence, PruningFineTuningStops) {
  const auto& f = classifier();
  const auto out = scratch_dir("divergence_prune");
  expect_divergence(
      run_nnlab("prune --model " + f.good +
                " --sparsity 0.5 --steps 1 --finetune-epochs 1 --lr 9e15 -q -o " + out + "/p.ckpt"),
      "at epoch 1, batch ");
  EXPECT_EQ(files_in(out), 0u);
}

TEST(Divergence, LanguageModelTrainingStops) {
  const auto dir = scratch_dir("divergence_lm");
  std::string text;
  // Documents go to train, dev and held-out by a hash of their text: each one differs.
  for (int p = 0; p < 60; ++p) {
    text +=
        "第" + std::to_string(p) + "首\n床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n%\n";
  }
  std::ofstream(dir + "/poems") << text;
  // A rate past the flag's domain is refused before training starts.
  const auto r = run_nnlab("lm train --text " + dir +
                           "/poems --epochs 2 --embedding 8 --hidden 8 --layers 1 --batch-size 4 "
                           "--lr 1e37 -q -o " +
                           dir + "/poems.lm");
  expect_clean_error(r, "--lr", "2^53");
  EXPECT_FALSE(fs::exists(dir + "/poems.lm"));
  // At 9e15 every training loss stays finite but the dev perplexity overflows: that stops it.
  const auto saturated = run_nnlab("lm train --text " + dir +
                                   "/poems --epochs 2 --embedding 8 --hidden 8 --layers 1 "
                                   "--batch-size 4 --lr 9e15 -q -o " +
                                   dir + "/poems.lm");
  expect_divergence(saturated, "the dev perplexity is infinite after epoch 1;");
  EXPECT_FALSE(fs::exists(dir + "/poems.lm"));
}

TEST(Divergence, AModelWithANanWeightIsRefusedByEval) {
  const auto& f = classifier();
  const auto dir = scratch_dir("divergence_nan_model");
  auto checkpoint = models::read_checkpoint(f.good);
  checkpoint.state.front().second.view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
  models::save_checkpoint(dir + "/nan.ckpt", checkpoint);
  const auto r = run_nnlab("eval --model " + dir + "/nan.ckpt" + f.data + " -q");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(line_count(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(dir + "/nan.ckpt: tensor 'model." + checkpoint.state.front().first +
                       "' holds 1 NaN value(s)"),
            std::string::npos)
      << r.err;
}

}  // namespace nnlab::testing
