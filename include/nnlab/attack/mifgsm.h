// Momentum Iterative FGSM (Dong et al., "Boosting Adversarial Attacks with Momentum", CVPR 2018):
//   g_{k+1} = decay * g_k + grad_x J(x_k) / mean|grad_x J(x_k)|   (per image; the paper divides
//             by the L1 norm, torchattacks by the mean: the same direction, better scaled),
//   x_{k+1} = Proj_{||x'-x||_inf <= eps, [0,1]}(x_k + alpha * sign(g_{k+1})), from x_0 = x.
// Default step (options.step_size = 0): alpha = eps / steps, the paper's choice.
// Rounding-aware early stopping: see early_stop.h.
#pragma once

#include <string>

#include "nnlab/attack/batched_attack.h"
#include "nnlab/attack/objective.h"

namespace nnlab::attack {

class MiFgsm : public BatchedAttack {
 public:
  // Throws core::OptionError for steps < 1 or decay < 0.
  explicit MiFgsm(AttackOptions options);
  std::string name() const override { return "mifgsm"; }
  double step_size() const;

 protected:
  AttackResult attack_batch(models::Classifier& model, const torch::Tensor& images,
                            const torch::Tensor& labels) override;
  // The input transform the gradient is taken through; none for MI-FGSM (DI-FGSM overrides).
  virtual InputTransform transform() const { return nullptr; }
};

}  // namespace nnlab::attack
