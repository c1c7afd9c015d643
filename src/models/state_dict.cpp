#include "nnlab/models/state_dict.h"

#include <torch/torch.h>

#include <map>
#include <sstream>

#include "nnlab/core/error.h"

namespace nnlab::models {

namespace {

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

std::string join_first(const std::vector<std::string>& items, size_t limit) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < limit; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > limit) out += ", ... (" + std::to_string(items.size()) + " in all)";
  return out;
}

// nn.DataParallel and DistributedDataParallel save every key under "module.".
TensorList strip_module_prefix(const TensorList& tensors) {
  for (const auto& [name, tensor] : tensors) {
    if (name.rfind("module.", 0) != 0) return tensors;
  }
  TensorList out;
  for (const auto& [name, tensor] : tensors) out.emplace_back(name.substr(7), tensor);
  return out;
}

}  // namespace

TensorList state_dict(const Classifier& model) {
  TensorList out;
  for (const auto& [name, t] : model.named_parameters()) out.emplace_back(name, t.detach());
  for (const auto& [name, t] : model.named_buffers()) out.emplace_back(name, t.detach());
  return out;
}

TensorList module_state(const torch::nn::Module& module) {
  TensorList out;
  for (const auto& item : module.named_parameters())
    out.emplace_back(item.key(), item.value().detach());
  for (const auto& item : module.named_buffers())
    out.emplace_back(item.key(), item.value().detach());
  return out;
}

std::int64_t parameter_count(const torch::nn::Module& module) {
  std::int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

void load_state_dict(Classifier& model, const TensorList& given, const std::string& source) {
  copy_state(state_dict(model), strip_module_prefix(given),
             "architecture '" + model.info().arch + "'", source);
}

void copy_state(const TensorList& targets, const TensorList& tensors, const std::string& what,
                const std::string& source) {
  std::map<std::string, torch::Tensor> by_name(tensors.begin(), tensors.end());
  std::vector<std::string> missing, misshaped, unexpected;
  std::map<std::string, bool> known;
  for (const auto& [name, target] : targets) {
    known[name] = true;
    const auto it = by_name.find(name);
    if (it == by_name.end()) {
      // Files saved before PyTorch 0.4.1 (torchvision's 2017 releases) have no BatchNorm
      // num_batches_tracked; PyTorch loads them and keeps the counter at 0, and so do we.
      const std::string counter = "num_batches_tracked";
      const bool old_counter =
          name.size() >= counter.size() &&
          name.compare(name.size() - counter.size(), counter.size(), counter) == 0;
      if (!old_counter) missing.push_back(name);
    } else if (it->second.sizes() != target.sizes()) {
      misshaped.push_back(name + " (file " + shape_of(it->second) + ", model " + shape_of(target) +
                          ")");
    }
  }
  for (const auto& [name, tensor] : tensors) {
    if (!known.count(name)) unexpected.push_back(name);
  }
  if (!missing.empty() || !misshaped.empty() || !unexpected.empty()) {
    std::string message = "does not fit " + what + ":";
    if (!missing.empty()) message += " missing keys: " + join_first(missing, 8) + ";";
    if (!unexpected.empty()) message += " unexpected keys: " + join_first(unexpected, 8) + ";";
    if (!misshaped.empty()) message += " mis-shaped keys: " + join_first(misshaped, 8) + ";";
    message.pop_back();
    throw core::FileError(source, message);
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, target] : targets) {
    const auto it = by_name.find(name);
    if (it != by_name.end()) target.copy_(it->second.to(target.device(), target.scalar_type()));
  }
}

}  // namespace nnlab::models
