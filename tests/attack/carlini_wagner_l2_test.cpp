#include "nnlab/attack/carlini_wagner_l2.h"

#include <gtest/gtest.h>

#include "attack_testing.h"
#include "minimal_perturbation_testing.h"
#include "nnlab/attack/targets.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

using namespace testing;

namespace {

CarliniWagnerL2Options quick_cw() {
  CarliniWagnerL2Options options;
  options.steps = 60;
  options.binary_steps = 4;
  options.lr = 0.05;
  return options;
}

}  // namespace

TEST(CarliniWagnerL2, FindsSmallerPerturbationsThanFgsm) {
  const auto batch = correct_batch(48, 50);
  const auto result =
      CarliniWagnerL2({}, quick_cw()).run_with_report(trained_model(), batch.images, batch.labels);
  EXPECT_GT(result.success.to(torch::kFloat64).mean().item<double>(), 0.9);
  const auto c = compare_with_fgsm(result, batch, /*fgsm_eps=*/0.1);
  ASSERT_GT(c.common, batch.labels.size(0) / 2);
  EXPECT_LT(c.mean_l2, c.fgsm_mean_l2);
}

TEST(CarliniWagnerL2, TargetedReachesTheTarget) {
  const auto batch = correct_batch(48, 51);
  const auto targets = least_likely_targets(trained_model(), batch.images, batch.labels);
  AttackOptions options;
  options.targeted = true;
  const auto result =
      CarliniWagnerL2(options, quick_cw()).run_with_report(trained_model(), batch.images, targets);
  EXPECT_GT(result.success.to(torch::kFloat64).mean().item<double>(), 0.8);
  EXPECT_TRUE(torch::equal(predicted(result.images).eq(targets), result.success));
}

TEST(CarliniWagnerL2, FailuresComeBackUnchanged) {
  // One Adam step with a tiny c cannot flip a well-classified image.
  const auto batch = correct_batch(16, 52);
  CarliniWagnerL2Options options;
  options.c = 1e-6;
  options.steps = 1;
  options.binary_steps = 1;
  const auto result =
      CarliniWagnerL2({}, options).run_with_report(trained_model(), batch.images, batch.labels);
  EXPECT_FALSE(result.success.any().item<bool>());
  EXPECT_TRUE(torch::equal(result.images, batch.images));
}

TEST(CarliniWagnerL2, RejectsBadOptions) {
  CarliniWagnerL2Options options;
  options.c = 0;
  EXPECT_THROW((CarliniWagnerL2{{}, options}), core::OptionError);
  options.c = 1;
  options.steps = 0;
  EXPECT_THROW((CarliniWagnerL2{{}, options}), core::OptionError);
}

}  // namespace nnlab::attack
