// DeepFool (Moosavi-Dezfooli et al., "DeepFool: a simple and accurate method to fool deep neural
// networks", CVPR 2016), untargeted, L2. Per image, with reference class y (the true label) and
// candidates k among the top `candidates` classes of the clean logits:
//   f_k = Z_k(x_i) - Z_y(x_i), w_k = grad_x f_k,  l = argmin_k |f_k| / ||w_k||_2,
//   r_i = (|f_l| + 1e-4) / ||w_l||_2^2 * w_l,  x_{i+1} = clip(x + (1 + overshoot) * sum r, 0, 1),
// until the label flips (on q(x_{i+1}) with options.round_to_8bit) or deepfool_steps run out.
// Batched: per iteration one forward over the still-active images and one backward per candidate
// column. An image the model already gets wrong has flipped before the first step and is
// returned unchanged.
#pragma once

#include <string>

#include "nnlab/attack/batched_attack.h"

namespace nnlab::attack {

struct DeepFoolOptions {
  double overshoot = 0.02;  // step past the linearized boundary by this fraction
  int candidates = 10;      // classes considered (the top ones of the clean logits)
  int steps = 50;           // most linearize-and-step iterations per image
};

class DeepFool : public BatchedAttack {
 public:
  // Throws core::OptionError for targeted (DeepFool is untargeted), candidates < 2,
  // overshoot < 0 or steps < 1.
  explicit DeepFool(AttackOptions options, DeepFoolOptions deepfool = {});
  std::string name() const override { return "deepfool"; }

 protected:
  AttackResult attack_batch(models::Classifier& model, const torch::Tensor& images,
                            const torch::Tensor& labels) override;

 private:
  DeepFoolOptions deepfool_;
};

}  // namespace nnlab::attack
