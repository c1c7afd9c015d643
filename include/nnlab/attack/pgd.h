// Projected Gradient Descent (Madry et al., "Towards Deep Learning Models Resistant to
// Adversarial Attacks", ICLR 2018), Linf and L2:
//   x_0 = random_start(x) (or x), x_{k+1} = Proj_ball(x_k + alpha * s(grad_x J(x_k))),
//   s(g) = sign(g) for Linf, g / ||g||_2 per image for L2 (torchattacks' PGD and PGDL2).
// Default step (options.step_size = 0): alpha = 2.5 * eps / steps for both norms, the rule of
// thumb of the Madry lab's robustness library (a total travel of 2.5 eps reaches any point of the
// ball from any random start; eps = 8/255 with 10 steps gives torchattacks' 2/255). Restarts: per
// image the result of the first restart that succeeds, or else of the one with the highest loss J;
// later restarts attack only the images not yet successful. The loop, restarts and
// rounding-aware early stopping: iterative_attack.h.
#pragma once

#include <string>

#include "nnlab/attack/iterative_attack.h"

namespace nnlab::attack {

struct PgdOptions {
  bool random_start = true;  // start at a random point of the ball (else at the clean image)
  int restarts = 1;          // keep per image the best of several random starts
};

class Pgd : public IterativeAttack {
 public:
  // options.norm picks the norm. Throws core::OptionError for an unknown norm, steps < 1 or
  // restarts < 1.
  explicit Pgd(AttackOptions options, PgdOptions pgd = {});
  std::string name() const override { return norm() == Norm::kL2 ? "pgdl2" : "pgd"; }

 protected:
  double default_step_size() const override;
  int restarts() const override { return pgd_.restarts; }
  torch::Tensor start(const torch::Tensor& images, const torch::Tensor& keys, int restart) override;

 private:
  PgdOptions pgd_;
};

}  // namespace nnlab::attack
