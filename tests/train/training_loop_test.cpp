#include "nnlab/train/training_loop.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "nnlab/core/error.h"
#include "nnlab/train/divergence.h"
#include "nnlab/train/optimizer_state.h"

namespace nnlab::train {

namespace {

// A toy trainer: one weight w pulled towards noisy targets, two batches an epoch. Each epoch's
// metric comes from a fixed list, so the schedule and the stopping are checkable by hand.
struct Toy {
  torch::Tensor w = torch::zeros({1}, torch::requires_grad());
  torch::optim::SGD optimizer{{w}, torch::optim::SGDOptions(0.1).momentum(0.9)};
  std::vector<double> metrics;  // epoch e's metric: metrics[e - 1]
  std::vector<double> lrs;      // every epoch's rate at its start
  std::vector<double> losses;   // every batch's loss
  double bad_loss_at = -1;      // the batch index (in all batches) whose loss is NaN; -1: none

  LoopHooks hooks() {
    LoopHooks h;
    h.begin_epoch = [this](const Epoch& epoch) {
      lrs.push_back(epoch.lr);
      return EpochPlan{2, 0};
    };
    h.train_batch = [this](Batch& batch) {
      // Noise from torch's generator, seeded by the loop for this epoch.
      const auto target = 3.0 + torch::rand({1});
      auto loss = (w - target).pow(2).sum();
      if (static_cast<double>(losses.size()) == bad_loss_at)
        loss = loss * std::numeric_limits<double>::quiet_NaN();
      double value = 0;
      batch.optimize(loss, [&] {
        value = loss.item<double>();
        check_finite(value, "loss", batch.step);
      });
      losses.push_back(value);
      return BatchCounts{value, 1};
    };
    h.evaluate = [this](const Epoch& epoch) {
      return EpochEnd{metrics.at(static_cast<std::size_t>(epoch.number - 1)), 0};
    };
    return h;
  }
};

LoopOptions plateau_options(int epochs) {
  LoopOptions options;
  options.epochs = epochs;
  options.seed = 5;
  options.progress = false;
  options.schedule.kind = "plateau";
  options.schedule.lr = 0.1;
  options.schedule.decay = 0.5;
  options.schedule.patience = 1;
  return options;
}

}  // namespace

TEST(TrainingLoop, PlateauDecayHalvesTheRate) {
  Toy toy;
  toy.metrics = {1, 2, 0.5, 3};
  TrainingLoop loop(toy.optimizer, {toy.w}, plateau_options(4));
  EXPECT_FALSE(loop.run(toy.hooks()));
  // Epoch 2 is worse than epoch 1: halved; epoch 3 is the best: kept; epoch 4 is worse: halved.
  EXPECT_EQ(toy.lrs, (std::vector<double>{0.1, 0.1, 0.05, 0.05}));
  EXPECT_DOUBLE_EQ(loop.state().lr, 0.025);
  EXPECT_DOUBLE_EQ(toy.optimizer.param_groups()[0].options().get_lr(), 0.025);
  EXPECT_EQ(loop.state().best_epoch, 3);
  EXPECT_DOUBLE_EQ(loop.state().best_metric, 0.5);
  EXPECT_EQ(loop.state().bad_epochs, 1);
  EXPECT_EQ(loop.state().completed, 4);
  EXPECT_EQ(toy.losses.size(), 8u);
}

TEST(TrainingLoop, EarlyStopAfterPatienceEpochsWithoutProgress) {
  Toy toy;
  toy.metrics = {1, 0.5, 0.7, 0.6, 0.5, 0.1, 0.1, 0.1};
  auto options = plateau_options(8);
  options.schedule.kind = "constant";
  options.patience = 3;
  TrainingLoop loop(toy.optimizer, {toy.w}, options);
  // Epochs 3, 4 and 5 do not beat epoch 2's 0.5 (5 only equals it): stop after epoch 5.
  EXPECT_TRUE(loop.run(toy.hooks()));
  EXPECT_EQ(loop.state().completed, 5);
  EXPECT_EQ(loop.state().best_epoch, 2);
  EXPECT_EQ(toy.lrs, (std::vector<double>(5, 0.1)));
}

TEST(TrainingLoop, NoEarlyStopWhenThePatienceIsReachedAtTheLastEpoch) {
  Toy toy;
  toy.metrics = {1, 2};
  auto options = plateau_options(2);
  options.patience = 1;
  TrainingLoop loop(toy.optimizer, {toy.w}, options);
  EXPECT_FALSE(loop.run(toy.hooks()));
  EXPECT_EQ(loop.state().completed, 2);
}

TEST(TrainingLoop, ResumedRunEqualsTheUninterruptedOne) {
  Toy whole;
  whole.metrics = {3, 2, 2.5, 2.5, 1};
  TrainingLoop whole_loop(whole.optimizer, {whole.w}, plateau_options(5));
  whole_loop.run(whole.hooks());

  // The first run stops after 2 epochs; its saved state (loop, weight, optimizer) goes to a fresh
  // model, optimizer and loop, which continue to epoch 5.
  Toy first;
  first.metrics = whole.metrics;
  LoopState saved_state;
  torch::Tensor saved_w;
  std::string saved_optimizer;
  {
    TrainingLoop loop(first.optimizer, {first.w}, plateau_options(2));
    auto hooks = first.hooks();
    hooks.save = [&](const LoopState& state) {
      saved_state = state;
      saved_w = first.w.detach().clone();
      saved_optimizer = save_optimizer_state(first.optimizer);
      return std::string("toy.ckpt");
    };
    loop.run(hooks);
    EXPECT_EQ(loop.state().last_checkpoint, "toy.ckpt");
  }
  Toy second;
  second.metrics = whole.metrics;
  {
    torch::NoGradGuard no_grad;
    second.w.copy_(saved_w);
  }
  load_optimizer_state(second.optimizer, saved_optimizer, "toy.ckpt");
  TrainingLoop loop(second.optimizer, {second.w}, plateau_options(5));
  loop.state() = saved_state;
  loop.run(second.hooks());

  EXPECT_TRUE(torch::equal(second.w, whole.w));
  EXPECT_EQ(loop.state().completed, 5);
  EXPECT_EQ(loop.state().lr, whole_loop.state().lr);
  EXPECT_EQ(loop.state().best_epoch, whole_loop.state().best_epoch);
  EXPECT_EQ(loop.state().bad_epochs, whole_loop.state().bad_epochs);
  // Epochs 3 to 5 saw the same noise and the same rates.
  first.losses.insert(first.losses.end(), second.losses.begin(), second.losses.end());
  EXPECT_EQ(first.losses, whole.losses);
  first.lrs.insert(first.lrs.end(), second.lrs.begin(), second.lrs.end());
  EXPECT_EQ(first.lrs, whole.lrs);
}

TEST(TrainingLoop, NanLossRaisesTheDivergenceErrorBeforeTheStep) {
  Toy toy;
  toy.metrics = {1, 1};
  toy.bad_loss_at = 3;  // epoch 2, batch 2
  auto options = plateau_options(2);
  options.clip = 1.0;
  TrainingLoop loop(toy.optimizer, {toy.w}, options);
  loop.state().last_checkpoint = "good.ckpt";
  torch::Tensor before;
  auto hooks = toy.hooks();
  hooks.after_step = [&] { before = toy.w.detach().clone(); };
  try {
    loop.run(hooks);
    FAIL() << "no DivergenceError";
  } catch (const DivergenceError& e) {
    EXPECT_EQ(e.quantity(), "loss");
    EXPECT_EQ(e.epoch(), 2);
    EXPECT_EQ(e.batch(), 2);
    EXPECT_NE(std::string(e.what()).find("good.ckpt"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(torch::equal(toy.w, before));  // the NaN never reached the weight
  EXPECT_EQ(loop.state().completed, 1);
}

TEST(TrainingLoop, NanMetricRaisesTheDivergenceErrorWhenChecked) {
  Toy toy;
  toy.metrics = {1, std::numeric_limits<double>::quiet_NaN()};
  auto options = plateau_options(2);
  options.metric_name = "dev perplexity";
  TrainingLoop loop(toy.optimizer, {toy.w}, options);
  try {
    loop.run(toy.hooks());
    FAIL() << "no DivergenceError";
  } catch (const DivergenceError& e) {
    EXPECT_EQ(e.quantity(), "dev perplexity");
    EXPECT_EQ(e.epoch(), 2);
    EXPECT_EQ(e.batch(), 0);
  }
}

TEST(TrainingLoop, StepAndCosineSchedules) {
  Toy toy;
  toy.metrics = {1, 1, 1, 1};
  auto options = plateau_options(4);
  options.schedule.kind = "step";
  options.schedule.step_size = 2;
  options.schedule.gamma = 0.1;
  TrainingLoop step(toy.optimizer, {toy.w}, options);
  step.run(toy.hooks());
  ASSERT_EQ(toy.lrs.size(), 4u);
  EXPECT_DOUBLE_EQ(toy.lrs[0], 0.1);
  EXPECT_DOUBLE_EQ(toy.lrs[1], 0.1);
  EXPECT_DOUBLE_EQ(toy.lrs[2], 0.01);
  EXPECT_DOUBLE_EQ(toy.lrs[3], 0.01);

  Toy cosine;
  cosine.metrics = toy.metrics;
  options.schedule.kind = "cosine";
  options.schedule.cosine_per_batch = true;
  TrainingLoop loop(cosine.optimizer, {cosine.w}, options);
  std::vector<double> batch_lrs;
  auto hooks = cosine.hooks();
  hooks.after_step = [&] {
    batch_lrs.push_back(cosine.optimizer.param_groups()[0].options().get_lr());
  };
  loop.run(hooks);
  // Two batches an epoch over 4 epochs: the rate at 0, 1/8, 2/8 ... of the run.
  ASSERT_EQ(batch_lrs.size(), 8u);
  for (int i = 0; i < 8; ++i)
    EXPECT_DOUBLE_EQ(batch_lrs[static_cast<std::size_t>(i)], 0.05 * (1 + std::cos(M_PI * i / 8)));
  EXPECT_DOUBLE_EQ(cosine.lrs[1], 0.05 * (1 + std::cos(M_PI / 4)));
}

TEST(TrainingLoop, EpochSeedsAreMixedPerEpochAndSeedTorch) {
  const auto a = mixed_epoch_seeds(5, 1), b = mixed_epoch_seeds(5, 2);
  EXPECT_NE(a.data, a.torch);
  EXPECT_NE(a.data, b.data);
  EXPECT_NE(a.torch, b.torch);
  Toy toy;
  toy.metrics = {1};
  TrainingLoop loop(toy.optimizer, {toy.w}, plateau_options(1));
  torch::Tensor drawn;
  auto hooks = toy.hooks();
  hooks.begin_epoch = [&](const Epoch& epoch) {
    EXPECT_EQ(epoch.seeds.data, a.data);
    drawn = torch::rand({3});
    return EpochPlan{0, 0};
  };
  loop.run(hooks);
  torch::manual_seed(a.torch);
  EXPECT_TRUE(torch::equal(drawn, torch::rand({3})));
}

TEST(TrainingLoop, RejectsAnUnknownSchedule) {
  Toy toy;
  auto options = plateau_options(1);
  options.schedule.kind = "linear";
  EXPECT_THROW(TrainingLoop(toy.optimizer, {toy.w}, options), std::invalid_argument);
}

// The one learning-rate check every trainer's validate() calls, under the caller's own name.
TEST(TrainingLoop, CheckLearningRateRefusesAllButFinitePositiveRates) {
  EXPECT_NO_THROW(check_learning_rate(0.1, "SomeOptions.lr"));
  EXPECT_NO_THROW(check_learning_rate(1e-30, "SomeOptions.lr"));
  for (const auto& [lr, text] :
       {std::pair{std::numeric_limits<double>::infinity(), std::string("inf")},
        std::pair{std::numeric_limits<double>::quiet_NaN(), std::string("nan")},
        std::pair{0.0, std::string("0")}, std::pair{-0.5, std::string("-0.5")}}) {
    try {
      check_learning_rate(lr, "SomeOptions.lr");
      ADD_FAILURE() << "accepted " << text;
    } catch (const core::OptionError& e) {
      EXPECT_EQ(std::string(e.what()), "SomeOptions.lr: must be a finite number > 0, got " + text);
    }
  }
}

}  // namespace nnlab::train
