// Shared by the C&W and DeepFool tests: both look for the smallest perturbation, so over the
// images that they and FGSM both flip, their mean L2 must be below FGSM's.
#pragma once

#include <gtest/gtest.h>

#include "attack_testing.h"

namespace nnlab::attack::testing {

struct Comparison {
  std::int64_t common = 0;  // images both flip
  double mean_l2 = 0;       // of the attack under test, over the common images
  double fgsm_mean_l2 = 0;
};

inline Comparison compare_with_fgsm(const AttackResult& result, const Batch& batch,
                                    double fgsm_eps) {
  AttackOptions options;
  options.epsilon = fgsm_eps;
  const auto fgsm =
      make_attack("fgsm", options)->run_with_report(trained_model(), batch.images, batch.labels);
  const auto both = result.success.logical_and(fgsm.success).nonzero().flatten();
  Comparison c;
  c.common = both.numel();
  if (c.common == 0) return c;
  const auto l2 = [&](const torch::Tensor& images) {
    return per_image_norm((images - batch.images).index_select(0, both), Norm::kL2)
        .mean()
        .item<double>();
  };
  c.mean_l2 = l2(result.images);
  c.fgsm_mean_l2 = l2(fgsm.images);
  return c;
}

}  // namespace nnlab::attack::testing
