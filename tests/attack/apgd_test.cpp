// Auto-PGD and APGD-T: the checkpoint schedule, the step-size rule at the checkpoints, frozen
// first successes, the strength on a linear model whose robust images are known exactly, and
// APGD-T's targets.
#include "nnlab/attack/apgd.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "attack/attack_testing.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {
namespace {

using testing::correct_batch;
using testing::exact;
using testing::LinearNet;
using testing::small_classifier;
using testing::trained_model;

// Logits that do not depend on the input: the loss never moves.
struct ConstantNetImpl : torch::nn::Module {
  ConstantNetImpl() { bias = register_parameter("bias", torch::tensor({1.0f, 0.0f, -1.0f})); }
  torch::Tensor forward(const torch::Tensor& x) {
    return bias.unsqueeze(0).expand({x.size(0), 3}) + 0 * x.flatten(1).sum(1, true);
  }
  torch::Tensor bias;
};
TORCH_MODULE(ConstantNet);

// Logits that move away from the label with every call: the loss rises on every step.
struct RisingNetImpl : torch::nn::Module {
  torch::Tensor forward(const torch::Tensor& x) {
    calls += 1;
    const auto base =
        torch::tensor({10.0f, 0.0f, 0.0f}) - torch::tensor({0.01f, 0.0f, 0.0f}) * calls;
    return base.unsqueeze(0).expand({x.size(0), 3}) + 0 * x.flatten(1).sum(1, true);
  }
  int calls = 0;
};
TORCH_MODULE(RisingNet);

TEST(Apgd, CheckpointsFollowTheReferenceSchedule) {
  // 100 steps: first window 22, each next 3 shorter, at least 6 (fra31/auto-attack).
  EXPECT_EQ(Apgd::checkpoints(100), (std::vector<int>{22, 41, 57, 70, 80, 87, 93, 99}));
  EXPECT_EQ(Apgd::checkpoints(10), (std::vector<int>{2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_TRUE(Apgd::checkpoints(1).empty());
}

TEST(Apgd, StepHalvesAtEveryCheckpointWhenTheLossNeverRises) {
  auto model = small_classifier(torch::nn::AnyModule(ConstantNet()), 3);
  AttackOptions options = exact({});
  options.epsilon = 0.1;
  options.steps = 30;
  Apgd apgd(options);
  const auto images = torch::full({2, 1, 4, 4}, 0.5);
  apgd.run(model, images, torch::tensor({0, 0}, torch::kLong));
  // One halving of 2 eps per checkpoint inside the 30 steps (6, 11, 15, 18, 20, 21, ..., 29).
  const auto halvings = static_cast<double>(Apgd::checkpoints(30).size());
  ASSERT_EQ(halvings, 14);
  const auto expected = torch::full({2}, 2 * 0.1 / std::pow(2.0, halvings));
  EXPECT_TRUE(torch::allclose(apgd.step_sizes(), expected)) << apgd.step_sizes();
}

TEST(Apgd, StepKeptWhileTheLossRisesOnEveryStep) {
  auto model = small_classifier(torch::nn::AnyModule(RisingNet()), 3);
  AttackOptions options = exact({});
  options.epsilon = 0.1;
  options.steps = 30;
  Apgd apgd(options);
  apgd.run(model, torch::full({2, 1, 4, 4}, 0.5), torch::tensor({0, 0}, torch::kLong));
  EXPECT_TRUE(torch::allclose(apgd.step_sizes(), torch::full({2}, 0.2))) << apgd.step_sizes();
}

TEST(Apgd, BreaksExactlyTheBreakableImagesOfALinearModel) {
  torch::manual_seed(3);
  LinearNet net(4);
  auto model = small_classifier(torch::nn::AnyModule(net), 4);
  // Images in [0.4, 0.6]: with eps <= 0.2 the box never binds, so the Linf distance to class j's
  // boundary is exactly (z_y - z_j) / ||w_y - w_j||_1.
  const auto images = 0.4 + 0.2 * torch::rand({200, 1, 4, 4});
  const auto logits = model.forward(images).detach();
  const auto labels = logits.argmax(1);
  const auto w = net->linear->weight.detach();
  auto distance = torch::full({200}, INFINITY);
  for (std::int64_t j = 0; j < 4; ++j) {
    const auto margin = logits.gather(1, labels.view({-1, 1})).squeeze(1) - logits.select(1, j);
    const auto dual = (w.index_select(0, labels) - w[j]).abs().sum(1);
    distance = torch::where(labels.eq(j), distance, torch::minimum(distance, margin / dual));
  }
  // The budget that makes about half of the images breakable (at most 0.2: the box must not bind).
  const double eps = std::min(0.2, distance.median().item<double>());
  // Leave out images within 1% of the budget, where float rounding decides.
  const auto clear = ((distance - eps).abs() > 0.01 * eps).nonzero().flatten();
  const auto breakable = distance.index_select(0, clear) < eps;
  ASSERT_GT(breakable.sum().item<int>(), 10);
  ASSERT_GT(breakable.logical_not().sum().item<int>(), 10);

  AttackOptions options = exact({});
  options.epsilon = eps;
  options.steps = 50;
  const auto x = images.index_select(0, clear);
  const auto y = labels.index_select(0, clear);
  const auto pgd_found = make_attack("pgd", AttackSettings(options))->run_with_report(model, x, y);
  // Cross-entropy is a poor guide on this model (PGD finds few of the breakable images); the DLR
  // loss nearly all; APGD-T, aiming at every wrong class in turn, every one.
  for (const std::string stage : {"ce", "dlr", "apgd-t"}) {
    AttackOptions stage_options = options;
    ApgdOptions apgd_options;
    if (stage == "apgd-t") {
      apgd_options.target_classes = 3;
    } else {
      stage_options.loss = stage;
    }
    Apgd apgd(stage_options, apgd_options);
    const auto result = apgd.run_with_report(model, x, y);
    // Never a success where none exists, and always inside the ball.
    EXPECT_FALSE(result.success.logical_and(breakable.logical_not()).any().item<bool>()) << stage;
    const auto d = (result.images - x).abs().flatten(1).amax(1);
    EXPECT_LE(d.max().item<double>(), eps + 1e-6) << stage;
    const auto found = result.success.sum().item<double>() / breakable.sum().item<double>();
    if (stage == "ce") {
      EXPECT_GE(result.success.sum().item<int>(), pgd_found.success.sum().item<int>());
    }
    if (stage == "dlr") {
      EXPECT_GE(found, 0.95);
    }
    if (stage == "apgd-t") {
      EXPECT_TRUE(torch::equal(result.success, breakable));
    }
  }
}

TEST(Apgd, FirstSuccessIsKeptWithoutRounding) {
  auto batch = correct_batch(40, 11);
  AttackOptions options = exact({});
  options.epsilon = 0.15;
  options.steps = 20;
  Apgd apgd(options);
  const auto result = apgd.run_with_report(trained_model(), batch.images, batch.labels);
  // The verdict is the model's on the returned images, and the returned images are in the ball.
  EXPECT_TRUE(torch::equal(result.success, is_adversarial(logits_of(trained_model(), result.images),
                                                          batch.labels, false)));
  EXPECT_GT(result.success.sum().item<int>(), 0);
  const auto d = (result.images - batch.images).abs().flatten(1).amax(1);
  EXPECT_LE(d.max().item<double>(), 0.15 + 1e-6);
}

TEST(Apgd, AtLeastAsStrongAsPgdOnTheTrainedModel) {
  auto batch = correct_batch(64, 12);
  AttackOptions options;
  options.epsilon = 0.08;
  options.steps = 20;
  Apgd apgd(options);
  auto pgd = make_attack("pgd", AttackSettings(options));
  const auto a = apgd.run_with_report(trained_model(), batch.images, batch.labels);
  const auto p = pgd->run_with_report(trained_model(), batch.images, batch.labels);
  EXPECT_GE(a.success.sum().item<int>(), p.success.sum().item<int>());
  // Rounding-aware: the returned images are on the 8-bit grid.
  EXPECT_TRUE(torch::equal(a.images, quantize_8bit(a.images)));
}

TEST(Apgd, TargetsAreTheMostLikelyWrongClassesInTurn) {
  torch::manual_seed(5);
  LinearNet net(6);
  auto model = small_classifier(torch::nn::AnyModule(net), 6);
  const auto images = 0.4 + 0.2 * torch::rand({8, 1, 4, 4});
  const auto labels = model.forward(images).argmax(1);
  AttackOptions options = exact({});
  options.epsilon = 0.0;  // nothing can succeed: every target gets its run
  options.steps = 2;
  ApgdOptions apgd_options;
  apgd_options.target_classes = 5;
  // The targets of each run, seen through a loss-free probe of begin().
  struct Probe : Apgd {
    using Apgd::Apgd;
    std::vector<torch::Tensor> seen;
    void begin(models::Classifier& m, const torch::Tensor& x, const torch::Tensor& y,
               int restart) override {
      Apgd::begin(m, x, y, restart);
      seen.push_back(targets().clone());
    }
  } probe(options, apgd_options);
  probe.run(model, images, labels);
  ASSERT_EQ(probe.seen.size(), 5u);
  const auto ranked = model.forward(images).detach().argsort(1, /*descending=*/true);
  for (int run = 0; run < 5; ++run) {
    EXPECT_TRUE(torch::equal(probe.seen[run], ranked.select(1, run + 1))) << run;
  }
}

TEST(Apgd, RefusesOptionsOutOfDomain) {
  ApgdOptions bad_rho;
  bad_rho.rho = 0;
  EXPECT_THROW(Apgd({}, bad_rho), core::OptionError);
  ApgdOptions bad_eot;
  bad_eot.eot_iter = 0;
  EXPECT_THROW(Apgd({}, bad_eot), core::OptionError);
  AttackOptions targeted;
  targeted.targeted = true;
  ApgdOptions targets;
  targets.target_classes = 9;
  EXPECT_THROW(Apgd(targeted, targets), core::OptionError);
  // Too few classes for 9 targets: a clear error, not an index out of range.
  AttackOptions options = exact({});
  options.steps = 1;
  Apgd apgd(options, targets);
  auto batch = correct_batch(4, 13);
  EXPECT_THROW(apgd.run(trained_model(), batch.images, batch.labels), core::OptionError);
}

TEST(Apgd, RegisteredWithItsTargetedStage) {
  AttackSettings settings;
  settings.steps = 5;
  EXPECT_EQ(make_attack("apgd", settings)->name(), "apgd");
  EXPECT_EQ(make_attack("apgd-t", settings)->name(), "apgd-t");
}

}  // namespace
}  // namespace nnlab::attack
