// Carlini & Wagner L2 (Carlini and Wagner, "Towards Evaluating the Robustness of Neural
// Networks", IEEE S&P 2017). In tanh space x' = (tanh(w) + 1) / 2 (always in [0,1]), Adam
// minimizes per image
//   ||x' - x||_2^2 + c * f(x'),
//   targeted   f = max(max_{i != t} Z_i - Z_t, -kappa),
//   untargeted f = max(Z_y - max_{i != y} Z_i, -kappa),
// for cw_steps steps from w = atanh(2x - 1), repeated cw_binary_steps times with a per-image
// binary search over c (start options.cw_c; success: c shrinks toward the largest failing c;
// failure: c grows tenfold until an upper bound exists). Kept per image: the successful candidate
// (margin kappa reached) with the smallest L2, measured on q(x') with options.round_to_8bit.
// Images that never succeed are returned unchanged (quantized when rounding).
#pragma once

#include <string>

#include "nnlab/attack/batched_attack.h"

namespace nnlab::attack {

struct CarliniWagnerL2Options {
  double c = 1.0;        // initial weight of the classification term
  double kappa = 0.0;    // confidence margin
  double lr = 0.01;      // Adam learning rate
  int steps = 100;       // optimization steps per binary-search step
  int binary_steps = 5;  // binary search steps over c
};

class CarliniWagnerL2 : public BatchedAttack {
 public:
  // Throws core::OptionError for c <= 0, kappa < 0, lr <= 0, steps < 1, binary_steps < 1.
  explicit CarliniWagnerL2(AttackOptions options, CarliniWagnerL2Options cw = {});
  std::string name() const override { return "cw"; }

 protected:
  AttackResult attack_batch(models::Classifier& model, const torch::Tensor& images,
                            const torch::Tensor& labels) override;

 private:
  CarliniWagnerL2Options cw_;
};

}  // namespace nnlab::attack
