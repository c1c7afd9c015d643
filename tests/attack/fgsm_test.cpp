#include "nnlab/attack/fgsm.h"

#include <gtest/gtest.h>

#include "attack_testing.h"

namespace nnlab::attack {

using namespace testing;

namespace {

torch::Tensor input_gradient_of_ce(const torch::Tensor& images, const torch::Tensor& labels) {
  auto x = images.clone().requires_grad_(true);
  const auto loss = torch::nn::functional::cross_entropy(
      trained_model().forward(x), labels,
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  return torch::autograd::grad({loss}, {x})[0];
}

}  // namespace

TEST(Fgsm, EqualsTheFormulaWithoutRounding) {
  const auto batch = make_batch(32, 1);
  AttackOptions options;
  options.epsilon = 0.05;
  options.round_to_8bit = false;
  const auto adversarial = Fgsm(options).run(trained_model(), batch.images, batch.labels);
  const auto grad = input_gradient_of_ce(batch.images, batch.labels);
  EXPECT_TRUE(torch::equal(adversarial, (batch.images + 0.05 * grad.sign()).clamp(0, 1)));
}

TEST(Fgsm, TargetedDescendsTheTargetLoss) {
  const auto batch = make_batch(32, 2);
  const auto targets = (batch.labels + 1).remainder(kClasses);
  AttackOptions options;
  options.epsilon = 0.05;
  options.targeted = true;
  options.round_to_8bit = false;
  const auto adversarial = Fgsm(options).run(trained_model(), batch.images, targets);
  const auto grad = input_gradient_of_ce(batch.images, targets);
  EXPECT_TRUE(torch::equal(adversarial, (batch.images - 0.05 * grad.sign()).clamp(0, 1)));
}

TEST(Fgsm, RoundedStaysOnTheGridInsideTheBall) {
  const auto batch = make_batch(32, 3);
  AttackOptions options;
  options.epsilon = 0.1;  // 25.5 levels: nearest rounding alone would reach 26
  const auto result = Fgsm(options).run_with_report(trained_model(), batch.images, batch.labels);
  EXPECT_TRUE(is_on_8bit_grid(result.images));
  const auto linf = (result.images - batch.images).abs().max().item<double>();
  EXPECT_LE(linf, 25.0 / 255 + 1e-6);
  EXPECT_GE(linf, 25.0 / 255 - 1e-6);
  EXPECT_TRUE(torch::equal(result.success, is_adversarial(logits_of(trained_model(), result.images),
                                                          batch.labels, false)));
}

TEST(Fgsm, BatchSizeDoesNotChangeTheResult) {
  const auto batch = make_batch(40, 4);
  AttackOptions options;
  options.epsilon = 0.05;
  const auto whole = Fgsm(options).run(trained_model(), batch.images, batch.labels);
  options.batch_size = 7;
  const auto pieces = Fgsm(options).run(trained_model(), batch.images, batch.labels);
  EXPECT_TRUE(torch::allclose(whole, pieces));
}

}  // namespace nnlab::attack
