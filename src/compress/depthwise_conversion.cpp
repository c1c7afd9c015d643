#include "nnlab/compress/depthwise_conversion.h"

#include <torch/torch.h>

#include <stdexcept>
#include <utility>

#include "nnlab/core/error.h"
#include "nnlab/models/layer_surgery.h"
#include "nnlab/models/layers.h"

namespace nnlab::compress {

namespace {

std::int64_t parameter_count(const torch::nn::Module& module) {
  std::int64_t count = 0;
  for (const auto& p : module.parameters()) count += p.numel();
  return count;
}

}  // namespace

std::vector<std::string> separable_candidates(const models::Classifier& model) {
  const auto module = model.module();
  if (!module) return {};
  const auto modules = module->named_modules();
  std::vector<std::string> out;
  bool first = true;
  for (const auto& item : modules) {
    const auto* conv = item.value()->as<torch::nn::Conv2d>();
    if (conv == nullptr || !models::is_standard_conv(*conv)) continue;
    if (conv->options.in_channels() == 1 && conv->options.out_channels() == 1) continue;
    // The first convolution reads the image: with 1 or 3 input channels its separable form is
    // a rank-1 (or rank-3) filter bank. MobileNet keeps it standard, and so do we.
    if (std::exchange(first, false) && conv->options.in_channels() == model.info().in_channels) {
      continue;
    }
    if (models::parent_layers(*module, item.key()) != nullptr) out.push_back(item.key());
  }
  return out;
}

std::vector<ConvertedLayer> convert_to_depthwise(models::Classifier& model,
                                                 const DepthwiseConversionOptions& options) {
  const auto module = model.module();
  if (!module)
    throw core::OptionError("convert_to_depthwise.model",
                            "depthwise conversion needs a native model");
  const auto layers = options.layers.empty() ? separable_candidates(model) : options.layers;
  if (layers.empty()) {
    throw core::OptionError("convert_to_depthwise.model",
                            model.info().arch +
                                " has no standard k x k convolution that nnlab can "
                                "replace (its layers are called by name)");
  }
  const auto device = model.device();
  std::vector<ConvertedLayer> report;
  for (const auto& path : layers) {
    const auto before = module->named_modules();
    if (!before.contains(path))
      throw core::OptionError("DepthwiseConversionOptions.layers", "no layer '" + path + "'");
    const auto params_before = parameter_count(*before[path]);
    const models::LayerEdit edit{"separate", path, 0, options.batch_norm};
    try {
      models::apply_edit(*module, edit);
    } catch (const std::invalid_argument& e) {
      throw core::OptionError("DepthwiseConversionOptions.layers", e.what());
    }
    model.info().edits.push_back(edit);
    report.push_back({path, params_before, parameter_count(*module->named_modules()[path])});
  }
  module->to(device);
  return report;
}

}  // namespace nnlab::compress
