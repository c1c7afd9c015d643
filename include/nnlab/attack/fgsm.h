// Fast Gradient Sign Method (Goodfellow et al., "Explaining and Harnessing Adversarial Examples",
// ICLR 2015): one step to the corner of the Linf ball,
//   untargeted x' = clip(x + eps * sign(grad_x CE(f(x), y)), 0, 1)
//   targeted   x' = clip(x - eps * sign(grad_x CE(f(x), t)), 0, 1).
// With options.round_to_8bit the result is quantize_in_ball(x'), the 8-bit image inside the ball.
#pragma once

#include <string>
#include <utility>

#include "nnlab/attack/batched_attack.h"

namespace nnlab::attack {

class Fgsm : public BatchedAttack {
 public:
  explicit Fgsm(AttackOptions options) : BatchedAttack(std::move(options)) {}
  std::string name() const override { return "fgsm"; }
  bool reports_clean_logits() const override { return true; }  // from its gradient pass

 protected:
  AttackResult attack_batch(models::Classifier& model, const torch::Tensor& images,
                            const torch::Tensor& labels) override;
};

}  // namespace nnlab::attack
