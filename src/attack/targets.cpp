#include "nnlab/attack/targets.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <limits>

#include "nnlab/core/error.h"
#include "nnlab/models/eval_mode_guard.h"

namespace nnlab::attack {

TargetMode parse_target_mode(const std::string& name) {
  if (name == "least-likely") return TargetMode::kLeastLikely;
  if (name == "random") return TargetMode::kRandom;
  if (name == "given") return TargetMode::kGiven;
  throw core::OptionError("parse_target_mode.name",
                          "unknown target mode '" + name + "'; known: least-likely, random, given");
}

torch::Tensor least_likely_targets(models::Classifier& model, const torch::Tensor& images,
                                   const torch::Tensor& labels, std::int64_t batch_size) {
  TORCH_CHECK(batch_size >= 1, "least_likely_targets: batch size must be positive");
  TORCH_CHECK(images.dim() >= 1 && labels.dim() == 1 && labels.size(0) == images.size(0),
              "least_likely_targets: expected one label per image, got ", labels.sizes(), " for ",
              images.sizes());
  models::EvalModeGuard eval_mode(model);
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> targets;
  for (std::int64_t start = 0; start < images.size(0); start += batch_size) {
    const auto end = std::min(images.size(0), start + batch_size);
    const auto logits = model.forward(images.slice(0, start, end).to(model.device()));
    const auto own = torch::one_hot(labels.slice(0, start, end).to(logits.device()), logits.size(1))
                         .to(torch::kBool);
    targets.push_back(
        logits.masked_fill(own, std::numeric_limits<double>::infinity()).argmin(/*dim=*/1));
  }
  if (targets.empty()) return torch::empty({0}, labels.options());
  return torch::cat(targets).to(labels.device());
}

torch::Tensor random_targets(const torch::Tensor& labels, std::int64_t num_classes,
                             std::uint64_t seed) {
  TORCH_CHECK(num_classes >= 2, "random_targets: need at least 2 classes, got ", num_classes);
  TORCH_CHECK(labels.dim() == 1, "random_targets: expected (N) labels, got ", labels.sizes());
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  // label + U{1, ..., C-1} mod C is uniform over the other classes.
  const auto shift = torch::randint(1, num_classes, {labels.size(0)}, generator, torch::kLong);
  return (labels.to(torch::kCPU) + shift).remainder(num_classes).to(labels.device());
}

torch::Tensor choose_targets(models::Classifier& model, const torch::Tensor& images,
                             const torch::Tensor& labels, TargetMode mode, std::uint64_t seed,
                             const torch::Tensor& given) {
  const auto num_classes = model.info().num_classes;
  switch (mode) {
    case TargetMode::kLeastLikely:
      return least_likely_targets(model, images, labels);
    case TargetMode::kRandom:
      return random_targets(labels, num_classes, seed);
    case TargetMode::kGiven:
      break;
  }
  TORCH_CHECK(given.defined() && given.dim() == 1 && given.size(0) == labels.size(0) &&
                  given.scalar_type() == torch::kLong,
              "choose_targets: expected ", labels.size(0), " int64 given targets");
  TORCH_CHECK(given.numel() == 0 || (given.min().item<std::int64_t>() >= 0 &&
                                     given.max().item<std::int64_t>() < num_classes),
              "choose_targets: given targets must be in [0, ", num_classes, ")");
  return given.to(labels.device());
}

}  // namespace nnlab::attack
