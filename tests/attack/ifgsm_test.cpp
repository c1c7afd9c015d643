#include "nnlab/attack/ifgsm.h"

#include <gtest/gtest.h>

#include "attack_testing.h"

namespace nnlab::attack {

using namespace testing;

TEST(Ifgsm, OneStepWithStepEpsIsFgsm) {
  const auto batch = make_batch(16, 20);
  AttackOptions options;
  options.epsilon = 0.04;
  options.steps = 1;
  options.step_size = 0.04;
  options.round_to_8bit = false;
  const auto adversarial = Ifgsm(options).run(trained_model(), batch.images, batch.labels);
  const auto fgsm = make_attack("fgsm", options)->run(trained_model(), batch.images, batch.labels);
  EXPECT_TRUE(torch::allclose(adversarial, fgsm, 0, 1e-6));
}

TEST(Ifgsm, DefaultStepIsKurakinsSchedule) {
  AttackOptions options;
  options.epsilon = 8.0 / 255;
  options.steps = 10;
  EXPECT_NEAR(Ifgsm(options).step_size(), 1.0 / 255, 1e-12);
}

TEST(Ifgsm, StaysInTheBallAndBeatsFgsm) {
  const auto batch = correct_batch(96, 21);
  AttackOptions options;
  options.epsilon = 0.05;
  const auto result = Ifgsm(options).run_with_report(trained_model(), batch.images, batch.labels);
  EXPECT_LE((result.images - batch.images).abs().max().item<double>(), 0.05 + 1e-6);
  EXPECT_TRUE(is_on_8bit_grid(result.images));
  const auto fgsm = make_attack("fgsm", options)->run(trained_model(), batch.images, batch.labels);
  EXPECT_GE(result.success.to(torch::kFloat64).mean().item<double>(),
            success_rate(fgsm, batch.labels, false));
}

}  // namespace nnlab::attack
