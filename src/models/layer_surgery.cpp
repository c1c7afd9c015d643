#include "nnlab/models/layer_surgery.h"

#include <torch/torch.h>

#include <map>
#include <stdexcept>

#include "nnlab/models/batch_norm.h"
#include "nnlab/models/layers.h"

namespace nnlab::models {

namespace {

std::shared_ptr<torch::nn::Module> find_module(torch::nn::Module& root, const std::string& path) {
  const auto modules = root.named_modules();
  if (!modules.contains(path)) throw std::invalid_argument("the model has no layer '" + path + "'");
  return modules[path];
}

void factorize(torch::nn::Module& root, const LayerEdit& edit) {
  const auto module = find_module(root, edit.layer);
  const auto* linear = module->as<torch::nn::Linear>();
  if (linear == nullptr)
    throw std::invalid_argument("layer '" + edit.layer + "' is not a Linear layer");
  const auto out = linear->options.out_features();
  const auto in = linear->options.in_features();
  if (edit.rank <= 0 || edit.rank > std::min(out, in)) {
    throw std::invalid_argument("rank " + std::to_string(edit.rank) + " for layer '" + edit.layer +
                                "' (" + std::to_string(out) + " x " + std::to_string(in) +
                                ") must be in 1.." + std::to_string(std::min(out, in)));
  }
  Layers pair;
  pair->push_back("0", torch::nn::Linear(torch::nn::LinearOptions(in, edit.rank).bias(false)));
  pair->push_back("1", torch::nn::Linear(
                           torch::nn::LinearOptions(edit.rank, out).bias(linear->bias.defined())));
  replace_layer(root, edit.layer, torch::nn::AnyModule(pair));
}

void separate(torch::nn::Module& root, const LayerEdit& edit) {
  const auto module = find_module(root, edit.layer);
  const auto* conv = module->as<torch::nn::Conv2d>();
  if (conv == nullptr)
    throw std::invalid_argument("layer '" + edit.layer + "' is not a Conv2d layer");
  const auto& o = conv->options;
  if (!is_standard_conv(*conv)) {
    throw std::invalid_argument("layer '" + edit.layer +
                                "' is not a standard k x k convolution (grouped or 1x1)");
  }
  const auto in = o.in_channels();
  Layers layers;
  layers->push_back("depthwise", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, in, o.kernel_size())
                                                       .stride(o.stride())
                                                       .padding(o.padding())
                                                       .dilation(o.dilation())
                                                       .groups(in)
                                                       .bias(false)));
  if (edit.batch_norm) {
    layers->push_back("bn", BatchNorm2d(in));
    layers->push_back("relu", inplace_relu());
  }
  layers->push_back(
      "pointwise",
      torch::nn::Conv2d(
          torch::nn::Conv2dOptions(in, o.out_channels(), 1).bias(conv->bias.defined())));
  replace_layer(root, edit.layer, torch::nn::AnyModule(layers));
}

}  // namespace

bool is_standard_conv(const torch::nn::Conv2dImpl& conv) {
  const auto kernel = conv.options.kernel_size();
  return conv.options.groups() == 1 && (kernel->at(0) > 1 || kernel->at(1) > 1);
}

bool is_depthwise(const torch::nn::Conv2dImpl& conv) {
  const auto& o = conv.options;
  return o.groups() > 1 && o.groups() == o.in_channels() && o.groups() == o.out_channels();
}

void apply_edit(torch::nn::Module& root, const LayerEdit& edit) {
  if (edit.op == "factorize") {
    factorize(root, edit);
  } else if (edit.op == "separate") {
    separate(root, edit);
  } else {
    throw std::invalid_argument("unknown layer edit '" + edit.op + "' for layer '" + edit.layer +
                                "'");
  }
}

void apply_edits(torch::nn::Module& root, const std::vector<LayerEdit>& edits) {
  for (const auto& edit : edits) apply_edit(root, edit);
}

void sync_layer_options(torch::nn::Module& root) {
  for (const auto& module : root.modules()) {
    if (auto* conv = module->as<torch::nn::Conv2d>()) {
      // The options still hold the widths before the change, so is_depthwise reads them.
      auto& o = conv->options;
      const auto out = conv->weight.size(0);
      if (is_depthwise(*conv)) {
        o.groups(out).in_channels(out);
      } else {
        o.in_channels(conv->weight.size(1) * o.groups());
      }
      o.out_channels(out);
    } else if (auto* linear = module->as<torch::nn::Linear>()) {
      linear->options.out_features(linear->weight.size(0)).in_features(linear->weight.size(1));
    } else if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
      const auto& t = bn->weight.defined() ? bn->weight : bn->running_mean;
      if (t.defined()) bn->options.num_features(t.size(0));
    } else if (auto* bn1 = module->as<torch::nn::BatchNorm1d>()) {
      const auto& t = bn1->weight.defined() ? bn1->weight : bn1->running_mean;
      if (t.defined()) bn1->options.num_features(t.size(0));
    }
  }
}

void resize_to_shapes(torch::nn::Module& root, const TensorList& tensors) {
  std::map<std::string, torch::Tensor> own;
  for (const auto& item : root.named_parameters()) own[item.key()] = item.value();
  for (const auto& item : root.named_buffers()) own[item.key()] = item.value();
  torch::NoGradGuard no_grad;
  for (const auto& [name, saved] : tensors) {
    const auto it = own.find(name);
    if (it == own.end()) continue;  // the state_dict load reports unexpected keys
    auto& t = it->second;
    if (t.sizes() == saved.sizes()) continue;
    if (t.dim() != saved.dim()) {
      throw std::invalid_argument("tensor '" + name + "' has " + std::to_string(saved.dim()) +
                                  " dimensions in the file and " + std::to_string(t.dim()) +
                                  " in the model");
    }
    t.set_data(torch::empty(saved.sizes(), t.options()));
  }
  sync_layer_options(root);
}

}  // namespace nnlab::models
