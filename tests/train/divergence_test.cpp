// Divergence is not success: the shared check names the quantity, the step and the last good
// checkpoint; the classifier trainer stops at the first non-finite loss and leaves the checkpoint
// of the last completed epoch as it was.
#include "nnlab/train/divergence.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <limits>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/models/registry.h"
#include "nnlab/train/trainer.h"

namespace nnlab::train {
namespace fs = std::filesystem;
using data::testing_util::read_bytes;
using data::testing_util::TempDir;

namespace {

data::TrainTestSplit random_split(std::int64_t n) {
  torch::manual_seed(3);
  data::Dataset train;
  train.images = torch::rand({n, 1, 28, 28});
  train.labels = torch::randint(0, 2, {n}, torch::kLong);
  train.source = "synthetic";
  return {train, train.head(n / 4)};
}

std::size_t files_in(const std::string& dir) {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST(Divergence, FiniteValuesPass) {
  const TrainingStep step{1, 1, 1e-3, ""};
  EXPECT_NO_THROW(check_finite(0.0, "loss", step));
  EXPECT_NO_THROW(check_finite(-3.5e38, "loss", step));
  EXPECT_NO_THROW(check_finite(std::numeric_limits<double>::max(), "loss", step));
}

TEST(Divergence, NanAndInfinitiesThrowNamingQuantityStepRateAndCheckpoint) {
  const TrainingStep step{2, 3, 1e30, "runs/last.ckpt"};
  try {
    check_finite(std::numeric_limits<double>::quiet_NaN(), "loss", step);
    FAIL() << "NaN passed";
  } catch (const DivergenceError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("the loss is NaN at epoch 2, batch 3"), std::string::npos) << message;
    EXPECT_NE(message.find("learning rate 1e+30 is probably too high"), std::string::npos)
        << message;
    EXPECT_NE(message.find("last good checkpoint kept: runs/last.ckpt"), std::string::npos)
        << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
    EXPECT_EQ(e.quantity(), "loss");
    EXPECT_EQ(e.epoch(), 2);
    EXPECT_EQ(e.batch(), 3);
  }
  for (const double inf :
       {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
    try {
      check_finite(inf, "gradient norm", {1, 7, 0.5, ""});
      FAIL() << inf << " passed";
    } catch (const DivergenceError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("the gradient norm is infinite at epoch 1, batch 7"),
                std::string::npos)
          << message;
      EXPECT_NE(message.find("no checkpoint written"), std::string::npos) << message;
    }
  }
}

TEST(Divergence, ADevMetricIsNamedAfterTheEpoch) {
  try {
    check_finite(std::numeric_limits<double>::infinity(), "dev perplexity", {3, 0, 0.1, ""});
    FAIL() << "infinity passed";
  } catch (const DivergenceError& e) {
    EXPECT_NE(std::string(e.what()).find("the dev perplexity is infinite after epoch 3;"),
              std::string::npos)
        << e.what();
  }
}

TEST(Divergence, ClippingChecksTheGradientNormItComputes) {
  auto w = torch::ones({3}, torch::requires_grad());
  w.mutable_grad() = torch::tensor({3.0f, 4.0f, 0.0f});
  clip_gradients({w}, /*max_norm=*/1.0, {1, 1, 1e-3, ""});
  EXPECT_TRUE(torch::allclose(w.grad(), torch::tensor({0.6f, 0.8f, 0.0f}), 1e-4));

  w.mutable_grad() = torch::tensor({std::numeric_limits<float>::quiet_NaN(), 1.0f, 1.0f});
  try {
    clip_gradients({w}, 1.0, {4, 2, 1e-3, "m.pt"});
    FAIL() << "a NaN gradient passed";
  } catch (const DivergenceError& e) {
    EXPECT_EQ(e.quantity(), "gradient norm");
    EXPECT_NE(std::string(e.what()).find("the gradient norm is NaN at epoch 4, batch 2"),
              std::string::npos)
        << e.what();
  }
  // No clipping, no norm: nothing is read (the loss check catches it at the next batch).
  EXPECT_NO_THROW(clip_gradients({w}, /*max_norm=*/0.0, {4, 2, 1e-3, ""}));
}

// A loss that turns NaN at epoch 2, batch 1: the run stops there, and the checkpoint and metrics
// of epoch 1 stay byte for byte what epoch 1 wrote, with no temporary file beside them.
TEST(Divergence, TrainerStopsAndKeepsTheLastGoodCheckpoint) {
  TempDir tmp;
  const auto dir = tmp.str();
  auto model = models::create_model("lenet300", {/*num_classes=*/2, 0});
  TrainOptions options;
  options.epochs = 3;
  options.batch_size = 32;
  options.progress = false;
  options.checkpoint_path = dir + "/model.ckpt";
  options.metrics_path = dir + "/metrics.jsonl";
  bool poisoned = false;
  std::string checkpoint_after_epoch_1, metrics_after_epoch_1;
  TrainHooks hooks;
  hooks.after_epoch = [&](models::Classifier&, EpochMetrics&) {
    poisoned = true;  // from epoch 2 on
    return true;
  };
  hooks.before_batch = [&](const torch::Tensor&) {
    if (poisoned && checkpoint_after_epoch_1.empty()) {
      checkpoint_after_epoch_1 = read_bytes(options.checkpoint_path);
      metrics_after_epoch_1 = read_bytes(options.metrics_path);
    }
  };
  hooks.loss = [&](const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor&) {
    const auto loss = torch::nn::functional::cross_entropy(logits, labels);
    return poisoned ? loss * std::numeric_limits<double>::quiet_NaN() : loss;
  };
  Trainer trainer(model, options, hooks);
  try {
    trainer.fit(random_split(128));
    FAIL() << "a NaN loss did not stop training";
  } catch (const DivergenceError& e) {
    EXPECT_EQ(e.epoch(), 2);
    EXPECT_EQ(e.batch(), 1);
    EXPECT_EQ(e.quantity(), "loss");
    EXPECT_NE(std::string(e.what()).find("last good checkpoint kept: " + options.checkpoint_path),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(trainer.completed_epochs(), 1);
  ASSERT_FALSE(checkpoint_after_epoch_1.empty());
  EXPECT_EQ(read_bytes(options.checkpoint_path), checkpoint_after_epoch_1);
  EXPECT_EQ(read_bytes(options.metrics_path), metrics_after_epoch_1);
  EXPECT_EQ(files_in(dir), 2u);
}

// A real divergence (no injected NaN): an absurd learning rate blows the weights up within the
// first epoch, and nothing is written.
TEST(Divergence, AbsurdLearningRateStopsTheFirstEpochWithoutACheckpoint) {
  TempDir tmp;
  const auto dir = tmp.str();
  auto model = models::create_model("lenet5", {/*num_classes=*/2, 0});
  TrainOptions options;
  options.epochs = 2;
  options.batch_size = 16;
  options.lr = 1e30;
  options.progress = false;
  options.checkpoint_path = dir + "/model.ckpt";
  options.metrics_path = dir + "/metrics.jsonl";
  Trainer trainer(model, options);
  try {
    trainer.fit(random_split(128));
    FAIL() << "training with lr 1e30 did not diverge";
  } catch (const DivergenceError& e) {
    EXPECT_EQ(e.epoch(), 1);
    EXPECT_GT(e.batch(), 1);  // the first step was taken with finite values
    EXPECT_NE(std::string(e.what()).find("no checkpoint written"), std::string::npos) << e.what();
  }
  EXPECT_EQ(files_in(dir), 0u);
}

TEST(Divergence, NonFiniteLearningRateIsRefusedUpFront) {
  auto model = models::create_model("lenet300", {2, 0});
  for (const double lr : {std::numeric_limits<double>::infinity(),
                          std::numeric_limits<double>::quiet_NaN(), 0.0, -1.0}) {
    TrainOptions options;
    options.lr = lr;
    EXPECT_THROW(Trainer(model, options), core::OptionError) << lr;
  }
}

}  // namespace nnlab::train
