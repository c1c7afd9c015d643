#include "nnlab/attack/fgsm.h"

#include <torch/torch.h>

#include "nnlab/attack/objective.h"
#include "nnlab/attack/pixel_grid.h"

namespace nnlab::attack {

AttackResult Fgsm::attack_batch(models::Classifier& model, const torch::Tensor& images,
                                const torch::Tensor& labels) {
  const auto eps = options_.epsilon;
  AttackResult result;
  const auto grad = loss_gradient(model, images, labels, loss_, nullptr, &result.clean_logits);
  // J is -CE for targeted attacks, so ascending J is the paper's x - eps * sign(grad CE).
  result.images = (images + eps * grad.sign()).clamp(0, 1);
  if (options_.round_to_8bit) {
    result.images = quantize_in_ball(result.images, images, eps, Norm::kLinf);
  }
  if (verdict_) {
    result.success = is_adversarial(logits_of(model, result.images), labels, options_.targeted);
  }
  return result;
}

}  // namespace nnlab::attack
