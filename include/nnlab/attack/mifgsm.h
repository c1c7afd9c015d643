// Momentum Iterative FGSM (Dong et al., "Boosting Adversarial Attacks with Momentum", CVPR 2018):
//   g_{k+1} = decay * g_k + grad_x J(x_k) / mean|grad_x J(x_k)|   (per image; the paper divides
//             by the L1 norm, torchattacks by the mean: the same direction, better scaled),
//   x_{k+1} = Proj_{||x'-x||_inf <= eps, [0,1]}(x_k + alpha * sign(g_{k+1})), from x_0 = x.
// Default step (options.step_size = 0): alpha = eps / steps, the paper's choice.
// The loop and rounding-aware early stopping: iterative_attack.h; the momentum is its direction.
#pragma once

#include <string>

#include "nnlab/attack/iterative_attack.h"

namespace nnlab::attack {

struct MiFgsmOptions {
  double decay = 1.0;  // momentum decay; 0: I-FGSM with MI-FGSM's step
};

class MiFgsm : public IterativeAttack {
 public:
  // Throws core::OptionError for steps < 1 or decay < 0.
  explicit MiFgsm(AttackOptions options, MiFgsmOptions momentum = {});
  std::string name() const override { return "mifgsm"; }

 protected:
  double default_step_size() const override;
  void begin(models::Classifier& model, const torch::Tensor& images, const torch::Tensor& labels,
             int restart) override;
  torch::Tensor direction(const torch::Tensor& gradient, const torch::Tensor& active) override;

 private:
  MiFgsmOptions momentum_options_;
  torch::Tensor momentum_;  // g_k of every image of the batch
};

}  // namespace nnlab::attack
