// Iterative FGSM / Basic Iterative Method (Kurakin et al., "Adversarial Examples in the Physical
// World", ICLR 2017 workshop): from x itself (no random start),
//   x_{k+1} = Proj_{||x'-x||_inf <= eps, [0,1]}(x_k + alpha * sign(grad_x J(x_k))).
// Default step (options.step_size = 0): alpha = 1.25 * eps / steps. Kurakin et al. take
// alpha = 1/255 and min(eps*255 + 4, 1.25 * eps*255) steps, i.e. a total travel of 1.25 eps;
// we keep that travel for any step count (eps = 8/255, 10 steps: exactly their 1/255).
// The loop and rounding-aware early stopping: iterative_attack.h.
#pragma once

#include <string>

#include "nnlab/attack/iterative_attack.h"

namespace nnlab::attack {

class Ifgsm : public IterativeAttack {
 public:
  // Throws core::OptionError for steps < 1.
  explicit Ifgsm(AttackOptions options);
  std::string name() const override { return "ifgsm"; }

 protected:
  double default_step_size() const override;
};

}  // namespace nnlab::attack
