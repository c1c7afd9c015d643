// Diverse Inputs (M-)I-FGSM (Xie et al., "Improving Transferability of Adversarial Examples with
// Input Diversity", CVPR 2019): MI-FGSM whose gradient is taken through a random transform T,
// applied with probability p (DiFgsmOptions::diversity_prob) to the whole batch at each step:
//   T(x): resize (nearest) to rnd x rnd', rnd uniform in [floor(resize_rate * H), H), then zero-pad
//         at a random offset back to H x W.
// This is torchattacks' variant for resize_rate < 1 (shrink and pad back to the input size), not
// the paper's enlarge-to-330 one, because our models need their input size. The default step is
// MI-FGSM's (eps / steps); MiFgsmOptions::decay = 0 gives DI-FGSM without momentum.
#pragma once

#include <string>

#include "nnlab/attack/mifgsm.h"

namespace nnlab::attack {

struct DiFgsmOptions {
  double diversity_prob = 0.5;  // probability of the random resize-and-pad transform per step
  double resize_rate = 0.9;     // smallest resize factor
};

class DiFgsm : public MiFgsm {
 public:
  // Throws core::OptionError for diversity_prob outside [0,1] or resize_rate outside (0,1].
  explicit DiFgsm(AttackOptions options, MiFgsmOptions momentum = {}, DiFgsmOptions diversity = {});
  std::string name() const override { return "difgsm"; }

 protected:
  InputTransform transform() const override;

 private:
  DiFgsmOptions diversity_;
};

// T above, alone (for tests). Uses torch's default generator.
torch::Tensor diverse_input(const torch::Tensor& images, double resize_rate, double probability);

}  // namespace nnlab::attack
