// What every gradient attack ascends and how it decides that it has won.
//   loss:    J, an AttackLoss (loss.h) chosen by name; the default is cross-entropy:
//            untargeted J = CE(f(x), y)  (push away from the true class);
//            targeted   J = -CE(f(x), t) (pull toward the target), so every attack ascends J.
//   success: untargeted argmax f(x) != y; targeted argmax f(x) == t.
// Gradients are taken with respect to the input only (torch::autograd::grad), so the model's
// parameters never accumulate a .grad.
#pragma once

#include <torch/types.h>

#include <functional>

#include "nnlab/attack/loss.h"
#include "nnlab/models/classifier.h"

namespace nnlab::attack {

// (N) per-image J for the default loss (cross-entropy).
torch::Tensor attack_loss(const torch::Tensor& logits, const torch::Tensor& labels, bool targeted);

// (N) bool.
torch::Tensor is_adversarial(const torch::Tensor& logits, const torch::Tensor& labels,
                             bool targeted);

// Logits without building a graph.
torch::Tensor logits_of(models::Classifier& model, const torch::Tensor& images);

// Input transform applied before the forward pass, differentiated through (DI-FGSM).
using InputTransform = std::function<torch::Tensor(const torch::Tensor&)>;

// grad_x sum_n J(f(transform(x_n)), goals_n): one forward and one backward for the batch;
// images are independent, so row n is the gradient of image n's own loss. goals: the labels,
// or the targets for a targeted loss. For an ensemble (Classifier::ensemble), J is the mean of
// the members' losses. With logits: also the (detached) logits of that forward pass.
torch::Tensor loss_gradient(models::Classifier& model, const torch::Tensor& images,
                            const torch::Tensor& goals, const AttackLoss& loss,
                            const InputTransform& transform = nullptr,
                            torch::Tensor* logits = nullptr);
// The same for cross-entropy.
torch::Tensor loss_gradient(models::Classifier& model, const torch::Tensor& images,
                            const torch::Tensor& labels, bool targeted,
                            const InputTransform& transform = nullptr,
                            torch::Tensor* logits = nullptr);

}  // namespace nnlab::attack
