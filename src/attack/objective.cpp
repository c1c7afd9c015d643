#include "nnlab/attack/objective.h"

#include <torch/torch.h>

namespace nnlab::attack {

torch::Tensor attack_loss(const torch::Tensor& logits, const torch::Tensor& labels, bool targeted) {
  return AttackLoss("ce", targeted, nullptr)(logits, labels);
}

torch::Tensor is_adversarial(const torch::Tensor& logits, const torch::Tensor& labels,
                             bool targeted) {
  const auto predicted = logits.argmax(/*dim=*/1);
  return targeted ? predicted.eq(labels) : predicted.ne(labels);
}

torch::Tensor logits_of(models::Classifier& model, const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  return model.forward(images);
}

torch::Tensor loss_gradient(models::Classifier& model, const torch::Tensor& images,
                            const torch::Tensor& labels, bool targeted,
                            const InputTransform& transform, torch::Tensor* logits) {
  return loss_gradient(model, images, labels, AttackLoss("ce", targeted, nullptr), transform,
                       logits);
}

torch::Tensor loss_gradient(models::Classifier& model, const torch::Tensor& images,
                            const torch::Tensor& goals, const AttackLoss& loss,
                            const InputTransform& transform, torch::Tensor* logits) {
  auto input = images.detach().requires_grad_(true);
  // An ensemble contributes the mean of its members' losses.
  const auto all_logits = model.member_logits(transform ? transform(input) : input);
  auto total = loss(all_logits.front(), goals).sum();
  for (size_t k = 1; k < all_logits.size(); ++k) {
    total = total + loss(all_logits[k], goals).sum();
  }
  if (all_logits.size() > 1) total = total / static_cast<double>(all_logits.size());
  if (logits) *logits = models::Classifier::combine_member_logits(all_logits).detach();
  return torch::autograd::grad({total}, {input})[0];
}

}  // namespace nnlab::attack
