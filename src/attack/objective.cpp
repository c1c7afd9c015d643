#include "nnlab/attack/objective.h"

#include <torch/torch.h>

namespace nnlab::attack {

namespace F = torch::nn::functional;

torch::Tensor attack_loss(const torch::Tensor& logits, const torch::Tensor& labels, bool targeted) {
  const auto ce =
      F::cross_entropy(logits, labels, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  return targeted ? -ce : ce;
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
  auto input = images.detach().requires_grad_(true);
  // An ensemble contributes the mean of its members' losses.
  const auto all_logits = model.member_logits(transform ? transform(input) : input);
  auto loss = attack_loss(all_logits.front(), labels, targeted).sum();
  for (size_t k = 1; k < all_logits.size(); ++k) {
    loss = loss + attack_loss(all_logits[k], labels, targeted).sum();
  }
  if (all_logits.size() > 1) loss = loss / static_cast<double>(all_logits.size());
  if (logits) *logits = models::Classifier::combine_member_logits(all_logits).detach();
  return torch::autograd::grad({loss}, {input})[0];
}

}  // namespace nnlab::attack
