#include "nnlab/attack/mifgsm.h"

#include <gtest/gtest.h>

#include "attack_testing.h"
#include "nnlab/attack/targets.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

using namespace testing;

TEST(MiFgsm, ZeroDecayIsIfgsm) {
  // Without momentum, sign(grad / mean|grad|) = sign(grad): the same iterates as I-FGSM.
  const auto batch = make_batch(24, 30);
  AttackSettings options;
  options.epsilon = 0.05;
  options.step_size = 0.01;
  options.mifgsm.decay = 0;
  options.round_to_8bit = false;
  const auto mi = MiFgsm(options, options.mifgsm).run(trained_model(), batch.images, batch.labels);
  const auto bim = make_attack("bim", options)->run(trained_model(), batch.images, batch.labels);
  EXPECT_TRUE(torch::allclose(mi, bim, 0, 1e-6));
}

TEST(MiFgsm, TargetedRaisesTheTargetProbability) {
  const auto batch = correct_batch(64, 31);
  const auto targets = random_targets(batch.labels, kClasses, /*seed=*/3);
  AttackOptions options;
  options.targeted = true;
  options.epsilon = 0.15;
  options.steps = 20;
  const auto result = MiFgsm(options).run_with_report(trained_model(), batch.images, targets);
  EXPECT_GT(result.success.to(torch::kFloat64).mean().item<double>(), 0.8);
  const auto before =
      torch::softmax(logits_of(trained_model(), batch.images), 1).gather(1, targets.unsqueeze(1));
  const auto after =
      torch::softmax(logits_of(trained_model(), result.images), 1).gather(1, targets.unsqueeze(1));
  EXPECT_GT(after.mean().item<double>(), before.mean().item<double>() + 0.3);
  EXPECT_LE((result.images - batch.images).abs().max().item<double>(), 0.15 + 1e-6);
}

TEST(MiFgsm, DefaultStepIsEpsOverSteps) {
  AttackOptions options;
  options.epsilon = 0.1;
  options.steps = 4;
  EXPECT_DOUBLE_EQ(MiFgsm(options).step_size(), 0.025);
  MiFgsmOptions momentum;
  momentum.decay = -1;
  EXPECT_THROW((MiFgsm{options, momentum}), core::OptionError);
}

}  // namespace nnlab::attack
