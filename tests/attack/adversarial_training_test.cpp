#include "nnlab/attack/adversarial_training.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "attack_testing.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

using testing::correct_batch;
using testing::make_batch;
using testing::trained_model;

namespace {

data::Dataset as_dataset(const testing::Batch& batch) {
  data::Dataset set;
  set.images = batch.images;
  set.labels = batch.labels;
  return set;
}

AdversarialTrainingOptions small_budget(const std::string& method) {
  AdversarialTrainingOptions o;
  o.method = method;
  o.epsilon = 0.1;
  o.steps = 3;
  o.eval_steps = 5;
  return o;
}

}  // namespace

TEST(AdversarialTraining, BatchesAreInsideTheBallAndAttackTheModel) {
  for (const auto* method : {"fgsm-rs", "pgd"}) {
    SCOPED_TRACE(method);
    AdversarialTraining training(small_budget(method), {});
    auto hooks = training.hooks();
    const auto batch = correct_batch(64, 11);
    auto& model = trained_model();
    model.train();  // as inside the trainer; the attack must give the mode back
    const auto adversarial = hooks.transform_batch(model, batch.images, batch.labels);
    EXPECT_TRUE(model.is_training());
    model.eval();
    EXPECT_FALSE(adversarial.requires_grad());
    EXPECT_LE((adversarial - batch.images).abs().max().item<double>(), 0.1 + 1e-6);
    EXPECT_GE(adversarial.min().item<double>(), 0.0);
    EXPECT_LE(adversarial.max().item<double>(), 1.0);
    // The examples raise the loss above that of the clean images.
    const auto clean_loss = attack_loss(logits_of(model, batch.images), batch.labels, false);
    const auto adv_loss = attack_loss(logits_of(model, adversarial), batch.labels, false);
    EXPECT_GT(adv_loss.mean().item<double>(), clean_loss.mean().item<double>());
    for (const auto& p : model.parameters()) EXPECT_FALSE(p.grad().defined());
  }
}

TEST(AdversarialTraining, FgsmRsIsOneStepOfOneAndAQuarterEpsilon) {
  // With a budget so large that the projection never binds inside [0,1], every pixel that the
  // step moves moves by 1.25 eps from its random start; the start is within eps.
  auto options = small_budget("fgsm-rs");
  options.epsilon = 0.02;
  AdversarialTraining training(options, {});
  const auto batch = correct_batch(16, 12);
  const auto adversarial =
      training.hooks().transform_batch(trained_model(), batch.images, batch.labels);
  const auto d = (adversarial - batch.images).abs();
  EXPECT_LE(d.max().item<double>(), 0.02 + 1e-6);
  // Most pixels end on the ball's boundary: the 1.25 eps step overshoots and is clipped.
  const auto interior = batch.images.gt(0.03).logical_and(batch.images.lt(0.97));
  const auto on_boundary =
      d.ge(0.02 - 1e-6).logical_and(interior).sum().item<double>() / interior.sum().item<double>();
  EXPECT_GT(on_boundary, 0.5);
}

TEST(AdversarialTraining, PgdAccuracyIsAtMostCleanAccuracy) {
  const auto batch = make_batch(200, 13);
  auto& model = trained_model();
  const auto none = pgd_accuracy(model, batch.images, batch.labels, 1e-9, 5, 64);
  const auto some = pgd_accuracy(model, batch.images, batch.labels, 0.1, 5, 64);
  EXPECT_GT(none.clean, 0.9);
  EXPECT_DOUBLE_EQ(none.robust, none.clean);  // a budget of nothing changes nothing
  EXPECT_DOUBLE_EQ(some.clean, none.clean);
  EXPECT_LT(some.robust, some.clean);
}

TEST(AdversarialTraining, RollsBackAndStopsWhenRobustAccuracyCollapses) {
  torch::manual_seed(3);
  auto model = models::create_model("lenet300", {testing::kClasses, 0});
  const auto source = trained_model().parameters();  // trained outside the no-grad scope
  {
    torch::NoGradGuard no_grad;
    const auto target = model.parameters();
    for (size_t i = 0; i < target.size(); ++i) target[i].copy_(source[i]);
  }
  auto options = small_budget("fgsm-rs");
  options.epsilon = 0.01;
  AdversarialTraining training(options, as_dataset(make_batch(200, 14)));
  auto hooks = training.hooks();

  train::EpochMetrics first;
  first.epoch = 1;
  first.test_accuracy = 0.9;
  EXPECT_TRUE(hooks.after_epoch(model, first));
  const double best = first.extra.at("holdout_robust_accuracy").get<double>();
  EXPECT_GT(best, 0.5);
  const auto kept = model.parameters()[0].clone();

  // Epoch 2 "collapses": the weights are wiped, so every image gets the same class.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model.parameters()) p.zero_();
  }
  train::EpochMetrics second;
  second.epoch = 2;
  second.test_accuracy = 0.3;
  EXPECT_FALSE(hooks.after_epoch(model, second));
  EXPECT_LT(second.extra.at("holdout_robust_accuracy").get<double>(), best - 0.2);
  EXPECT_EQ(second.extra.at("rolled_back_to_epoch").get<int>(), 1);
  EXPECT_DOUBLE_EQ(second.extra.at("collapsed_test_accuracy").get<double>(), 0.3);
  EXPECT_DOUBLE_EQ(second.test_accuracy, 0.9);  // the figures of the model now held
  EXPECT_TRUE(torch::equal(model.parameters()[0], kept));
  EXPECT_EQ(training.best_epoch(), 1);
}

TEST(AdversarialTraining, RejectsBadOptions) {
  auto bad = small_budget("trades");
  EXPECT_THROW(AdversarialTraining(bad, {}), core::OptionError);
  bad = small_budget("pgd");
  bad.epsilon = 0;
  EXPECT_THROW(AdversarialTraining(bad, {}), core::OptionError);
  bad = small_budget("pgd");
  bad.steps = 0;
  EXPECT_THROW(AdversarialTraining(bad, {}), core::OptionError);
}

TEST(AdversarialTraining, OptionsSurviveJson) {
  auto o = small_budget("pgd");
  o.collapse_drop = 0.3;
  const auto back = AdversarialTrainingOptions::from_json(o.to_json());
  EXPECT_EQ(back.method, "pgd");
  EXPECT_DOUBLE_EQ(back.epsilon, 0.1);
  EXPECT_EQ(back.steps, 3);
  EXPECT_EQ(back.eval_steps, 5);
  EXPECT_DOUBLE_EQ(back.collapse_drop, 0.3);
}

}  // namespace nnlab::attack
