#include "nnlab/attack/fgsm.h"

#include <torch/torch.h>

#include "nnlab/attack/objective.h"
#include "nnlab/attack/pixel_grid.h"

namespace nnlab::attack {

AttackResult Fgsm::attack_batch(models::Classifier& model, const torch::Tensor& images,
                                const torch::Tensor& labels) {
  const auto eps = options_.epsilon;
  const auto grad = loss_gradient(model, images, labels, options_.targeted);
  // J is -CE for targeted attacks, so ascending J is the paper's x - eps * sign(grad CE).
  auto adversarial = (images + eps * grad.sign()).clamp(0, 1);
  if (options_.round_to_8bit) {
    adversarial = quantize_in_ball(adversarial, images, eps, Norm::kLinf);
  }
  return {adversarial, is_adversarial(logits_of(model, adversarial), labels, options_.targeted)};
}

}  // namespace nnlab::attack
