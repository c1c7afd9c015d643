#include "nnlab/models/depthwise_savings.h"

#include <torch/torch.h>

namespace nnlab::models {

std::int64_t conv_params(std::int64_t kernel, std::int64_t in, std::int64_t out, bool bias) {
  TORCH_CHECK(kernel > 0 && in > 0 && out > 0,
              "conv_params: kernel, in and out must be positive, got ", kernel, ", ", in, ", ",
              out);
  return kernel * kernel * in * out + (bias ? out : 0);
}

std::int64_t depthwise_separable_params(std::int64_t kernel, std::int64_t in, std::int64_t out,
                                        bool bias) {
  TORCH_CHECK(kernel > 0 && in > 0 && out > 0,
              "depthwise_separable_params: kernel, in and out must be positive, got ", kernel, ", ",
              in, ", ", out);
  return kernel * kernel * in + in * out + (bias ? in + out : 0);
}

double depthwise_separable_ratio(std::int64_t kernel, std::int64_t in, std::int64_t out) {
  TORCH_CHECK(kernel > 0 && in > 0 && out > 0,
              "depthwise_separable_ratio: kernel, in and out must be positive, got ", kernel, ", ",
              in, ", ", out);
  return 1.0 / static_cast<double>(out) + 1.0 / static_cast<double>(kernel * kernel);
}

std::vector<SeparableSaving> depthwise_separable_savings(const Classifier& model) {
  std::vector<SeparableSaving> out;
  const auto module = model.module();
  if (!module) return out;
  for (const auto& item : module->named_modules()) {
    const auto* conv = item.value()->as<torch::nn::Conv2d>();
    if (!conv) continue;
    const auto& o = conv->options;
    const auto kernel = (*o.kernel_size())[0];
    if (kernel != (*o.kernel_size())[1] || kernel < 2 || o.groups() != 1) continue;
    SeparableSaving saving;
    saving.name = item.key();
    saving.kernel = kernel;
    saving.in = o.in_channels();
    saving.out = o.out_channels();
    saving.params = conv_params(kernel, saving.in, saving.out);
    saving.separable_params = depthwise_separable_params(kernel, saving.in, saving.out);
    saving.ratio = depthwise_separable_ratio(kernel, saving.in, saving.out);
    out.push_back(saving);
  }
  return out;
}

}  // namespace nnlab::models
