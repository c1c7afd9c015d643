#include "nnlab/compress/magnitude_pruning.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "nnlab/core/error.h"

namespace nnlab::compress {

namespace {

torch::Tensor importance(const torch::Tensor& weight, const std::string& score) {
  const auto w = weight.detach().to(torch::kCPU).to(torch::kFloat);
  return score == "l2" ? w * w : w.abs();
}

// Zeroes the k smallest entries of a mask over `scores` (flat), exactly as
// torch.nn.utils.prune does: topk(k, largest=False).
torch::Tensor keep_all_but_smallest(const torch::Tensor& scores, std::int64_t k) {
  auto mask = torch::ones_like(scores);
  if (k > 0) {
    const auto smallest = std::get<1>(scores.topk(k, /*dim=*/0, /*largest=*/false));
    mask.index_fill_(0, smallest, 0.0);
  }
  return mask;
}

std::int64_t count_to_prune(double sparsity, std::int64_t n) {
  return static_cast<std::int64_t>(std::llround(sparsity * static_cast<double>(n)));
}

}  // namespace

std::vector<std::string> prunable_weights(const models::Classifier& model) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : model.named_parameters()) {
    const bool is_weight = name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0;
    if (is_weight && tensor.dim() >= 2) names.push_back(name);
  }
  return names;
}

PruningMasks magnitude_prune(const models::Classifier& model,
                             const MagnitudePruningOptions& options) {
  if (!(options.sparsity > 0 && options.sparsity < 1)) {
    throw core::OptionError("MagnitudePruningOptions.sparsity",
                            "must be in (0, 1), got " + std::to_string(options.sparsity));
  }
  if (options.scope != "global" && options.scope != "layer") {
    throw core::OptionError("MagnitudePruningOptions.scope",
                            "expected global or layer, got '" + options.scope + "'");
  }
  if (options.score != "l1" && options.score != "l2") {
    throw core::OptionError("MagnitudePruningOptions.score",
                            "expected l1 or l2, got '" + options.score + "'");
  }
  const auto prunable = prunable_weights(model);
  std::vector<std::string> names = options.layers.empty() ? prunable : options.layers;
  const std::set<std::string> allowed(prunable.begin(), prunable.end());
  for (const auto& name : names) {
    // A layer name ("fc1") stands for its weight.
    if (!allowed.count(name) && !allowed.count(name + ".weight")) {
      std::string known;
      for (const auto& p : prunable) known += (known.empty() ? "" : ", ") + p;
      throw core::OptionError(
          "MagnitudePruningOptions.layers",
          "the model has no prunable weight '" + name + "' (it has: " + known + ")");
    }
  }
  for (auto& name : names) {
    if (!allowed.count(name)) name += ".weight";
  }
  std::vector<torch::Tensor> weights;
  for (const auto& [name, tensor] : model.named_parameters()) {
    if (std::find(names.begin(), names.end(), name) != names.end()) weights.push_back(tensor);
  }

  models::TensorList masks;
  if (options.scope == "global") {
    std::vector<torch::Tensor> flat;
    for (const auto& w : weights) flat.push_back(importance(w, options.score).flatten());
    const auto scores = torch::cat(flat);
    const auto mask =
        keep_all_but_smallest(scores, count_to_prune(options.sparsity, scores.numel()));
    std::int64_t offset = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      const auto n = weights[i].numel();
      masks.emplace_back(names[i],
                         mask.slice(0, offset, offset + n).view(weights[i].sizes()).clone());
      offset += n;
    }
  } else {
    for (size_t i = 0; i < weights.size(); ++i) {
      const auto scores = importance(weights[i], options.score).flatten();
      masks.emplace_back(
          names[i], keep_all_but_smallest(scores, count_to_prune(options.sparsity, scores.numel()))
                        .view(weights[i].sizes()));
    }
  }
  return PruningMasks(std::move(masks));
}

PruningMasks magnitude_prune_per_layer(const models::Classifier& model,
                                       const std::vector<std::pair<std::string, double>>& sparsity,
                                       const std::string& score) {
  models::TensorList masks;
  std::set<std::string> seen;
  for (const auto& [layer, ratio] : sparsity) {
    if (!(ratio >= 0 && ratio < 1)) {
      throw core::OptionError(
          "magnitude_prune_per_layer.ratios",
          layer + ": the pruned fraction must be in [0, 1), got " + std::to_string(ratio));
    }
    MagnitudePruningOptions options;
    options.sparsity = ratio > 0 ? ratio : 0.5;  // a dense layer is still checked by name
    options.scope = "layer";
    options.score = score;
    options.layers = {layer};
    auto mask = magnitude_prune(model, options).masks().front();
    if (!seen.insert(mask.first).second) {
      throw core::OptionError("magnitude_prune_per_layer.ratios",
                              "layer '" + layer + "' is named twice");
    }
    if (ratio > 0) masks.push_back(std::move(mask));
  }
  return PruningMasks(std::move(masks));
}

std::vector<double> sparsity_schedule(double final_sparsity, int steps, const std::string& kind,
                                      double initial_sparsity) {
  if (steps < 1)
    throw core::OptionError("sparsity_schedule.steps",
                            "must be >= 1, got " + std::to_string(steps));
  if (kind != "equal" && kind != "agp") {
    throw core::OptionError("sparsity_schedule.kind", "expected equal or agp, got '" + kind + "'");
  }
  std::vector<double> out;
  for (int t = 1; t <= steps; ++t) {
    const double progress = static_cast<double>(t) / steps;
    out.push_back(kind == "equal"
                      ? initial_sparsity + (final_sparsity - initial_sparsity) * progress
                      : final_sparsity +
                            (initial_sparsity - final_sparsity) * std::pow(1.0 - progress, 3));
  }
  return out;
}

}  // namespace nnlab::compress
