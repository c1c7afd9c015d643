#include "nnlab/attack/difgsm.h"

#include <gtest/gtest.h>

#include "attack_testing.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

using namespace testing;

TEST(DiFgsm, TransformKeepsTheSizeAndShrinksTheContent) {
  torch::manual_seed(0);
  const auto x = torch::ones({2, 1, 20, 20});
  for (int trial = 0; trial < 10; ++trial) {
    const auto y = diverse_input(x, 0.8, 1.0);
    ASSERT_EQ(y.sizes(), x.sizes());
    const auto kept = y.sum().item<double>() / 2;  // ones that survived: rnd * rnd
    EXPECT_GE(kept, 16.0 * 16.0);
    EXPECT_LT(kept, 20.0 * 20.0);
  }
  EXPECT_TRUE(torch::equal(diverse_input(x, 0.8, 0.0), x));
}

TEST(DiFgsm, GradientFlowsThroughTheTransformAndSucceeds) {
  const auto batch = correct_batch(64, 40);
  AttackOptions options;
  options.epsilon = 0.1;
  DiFgsmOptions diversity;
  diversity.diversity_prob = 1.0;
  options.steps = 10;
  torch::manual_seed(1);
  const auto result =
      DiFgsm(options, {}, diversity).run_with_report(trained_model(), batch.images, batch.labels);
  EXPECT_LE((result.images - batch.images).abs().max().item<double>(), 0.1 + 1e-6);
  EXPECT_TRUE(is_on_8bit_grid(result.images));
  EXPECT_GT(result.success.to(torch::kFloat64).mean().item<double>(), 0.5);
}

TEST(DiFgsm, RejectsBadTransformOptions) {
  DiFgsmOptions options;
  options.diversity_prob = 1.5;
  EXPECT_THROW((DiFgsm{{}, {}, options}), core::OptionError);
  options.diversity_prob = 0.5;
  options.resize_rate = 0;
  EXPECT_THROW((DiFgsm{{}, {}, options}), core::OptionError);
}

}  // namespace nnlab::attack
