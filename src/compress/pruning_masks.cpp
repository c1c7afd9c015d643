#include "nnlab/compress/pruning_masks.h"

#include <torch/torch.h>

#include <map>
#include <stdexcept>

namespace nnlab::compress {

namespace {

std::map<std::string, torch::Tensor> parameters_by_name(const models::Classifier& model) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, tensor] : model.named_parameters()) out[name] = tensor;
  return out;
}

torch::Tensor parameter_for(const std::map<std::string, torch::Tensor>& parameters,
                            const std::string& name, const torch::Tensor& mask) {
  const auto it = parameters.find(name);
  if (it == parameters.end()) {
    throw std::invalid_argument("pruning mask for '" + name + "', which the model does not have");
  }
  if (it->second.sizes() != mask.sizes()) {
    throw std::invalid_argument("pruning mask for '" + name + "' has shape " +
                                c10::str(mask.sizes()) + " but the parameter has " +
                                c10::str(it->second.sizes()));
  }
  return it->second;
}

}  // namespace

double SparsityStats::sparsity() const {
  return masked_weights > 0 ? static_cast<double>(pruned) / static_cast<double>(masked_weights)
                            : 0.0;
}

torch::Tensor PruningMasks::mask_of(const std::string& name) const {
  for (const auto& [key, mask] : masks_) {
    if (key == name) return mask;
  }
  return {};
}

void PruningMasks::apply(models::Classifier& model) const {
  const auto parameters = parameters_by_name(model);
  torch::NoGradGuard no_grad;
  for (const auto& [name, mask] : masks_) {
    auto parameter = parameter_for(parameters, name, mask);
    parameter.mul_(mask.to(parameter.device(), parameter.scalar_type()));
  }
}

void PruningMasks::mask_gradients(models::Classifier& model) const {
  const auto parameters = parameters_by_name(model);
  for (const auto& [name, mask] : masks_) {
    auto parameter = parameter_for(parameters, name, mask);
    if (parameter.grad().defined()) {
      parameter.mutable_grad().mul_(mask.to(parameter.device(), parameter.scalar_type()));
    }
  }
}

SparsityStats PruningMasks::stats(const models::Classifier& model) const {
  const auto parameters = parameters_by_name(model);
  SparsityStats stats;
  for (const auto& [name, tensor] : parameters) stats.parameters += tensor.numel();
  for (const auto& [name, mask] : masks_) {
    parameter_for(parameters, name, mask);
    stats.masked_weights += mask.numel();
    stats.pruned += mask.numel() - mask.count_nonzero().item<std::int64_t>();
  }
  return stats;
}

train::TrainHooks PruningMasks::hooks() const {
  train::TrainHooks hooks;
  auto self = *this;  // the hooks own a copy: they may outlive this object
  hooks.after_backward = [self](models::Classifier& model) { self.mask_gradients(model); };
  hooks.after_step = [self](models::Classifier& model) { self.apply(model); };
  return hooks;
}

}  // namespace nnlab::compress
