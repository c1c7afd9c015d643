#include "nnlab/attack/deepfool.h"

#include <gtest/gtest.h>

#include "attack_testing.h"
#include "minimal_perturbation_testing.h"
#include "nnlab/core/error.h"

namespace nnlab::attack {

using namespace testing;

TEST(DeepFool, FindsSmallerPerturbationsThanFgsm) {
  const auto batch = correct_batch(96, 60);
  for (const bool round : {false, true}) {
    AttackOptions options;
    options.round_to_8bit = round;
    const auto result =
        DeepFool(options).run_with_report(trained_model(), batch.images, batch.labels);
    EXPECT_GT(result.success.to(torch::kFloat64).mean().item<double>(), 0.9) << round;
    const auto c = compare_with_fgsm(result, batch, /*fgsm_eps=*/0.1);
    ASSERT_GT(c.common, batch.labels.size(0) / 2) << round;
    EXPECT_LT(c.mean_l2, c.fgsm_mean_l2) << round;
  }
}

TEST(DeepFool, MisclassifiedImagesComeBackUnchanged) {
  const auto batch = make_batch(64, 61);
  const auto wrong_labels = predicted(batch.images).add(1).remainder(kClasses);
  const auto result =
      DeepFool(AttackOptions{}).run_with_report(trained_model(), batch.images, wrong_labels);
  EXPECT_TRUE(result.success.all().item<bool>());
  EXPECT_TRUE(torch::equal(result.images, batch.images));
}

TEST(DeepFool, IsUntargetedOnly) {
  AttackOptions options;
  options.targeted = true;
  EXPECT_THROW(DeepFool{options}, core::OptionError);
  options.targeted = false;
  DeepFoolOptions deepfool;
  deepfool.candidates = 1;
  EXPECT_THROW((DeepFool{options, deepfool}), core::OptionError);
}

}  // namespace nnlab::attack
