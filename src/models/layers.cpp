#include "nnlab/models/layers.h"

#include <torch/torch.h>

#include <stdexcept>

#include "nnlab/models/batch_norm.h"

namespace nnlab::models {

void LayersImpl::push_back(const std::string& name, torch::nn::AnyModule layer) {
  register_module(name, layer.ptr());
  layers_.emplace_back(name, std::move(layer));
}

torch::Tensor LayersImpl::forward(torch::Tensor x) {
  for (auto& [name, layer] : layers_) x = layer.forward(std::move(x));
  return x;
}

void LayersImpl::replace(const std::string& name, torch::nn::AnyModule layer) {
  for (auto& [held_name, held] : layers_) {
    if (held_name != name) continue;
    layer.ptr()->train(held.ptr()->is_training());  // the new layer joins in the model's mode
    replace_module(name, layer.ptr());
    held = std::move(layer);
    return;
  }
  throw std::invalid_argument("no layer named '" + name + "' in this layer list");
}

LayersImpl* parent_layers(torch::nn::Module& root, const std::string& path) {
  const auto dot = path.rfind('.');
  const std::string name = dot == std::string::npos ? path : path.substr(dot + 1);
  torch::nn::Module* parent = &root;
  if (dot != std::string::npos) {
    const auto modules = root.named_modules();
    const auto* found = modules.find(path.substr(0, dot));
    if (found == nullptr) throw std::invalid_argument("the model has no layer '" + path + "'");
    parent = found->get();
  }
  if (!parent->named_children().contains(name))
    throw std::invalid_argument("the model has no layer '" + path + "'");
  return dynamic_cast<LayersImpl*>(parent);
}

void replace_layer(torch::nn::Module& root, const std::string& path, torch::nn::AnyModule layer) {
  auto* layers = parent_layers(root, path);
  if (layers == nullptr) {
    throw std::invalid_argument("layer '" + path +
                                "' cannot be replaced: the model's code calls it by name");
  }
  const auto dot = path.rfind('.');
  layers->replace(dot == std::string::npos ? path : path.substr(dot + 1), std::move(layer));
}

torch::nn::ReLU inplace_relu() {
  return torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true));
}

void push_conv_bn_relu(LayersImpl& layers, torch::nn::Conv2dOptions conv) {
  const auto index = [&layers] { return std::to_string(layers.size()); };
  const auto out = conv.out_channels();
  layers.push_back(index(), torch::nn::Conv2d(conv.bias(false)));
  layers.push_back(index(), BatchNorm2d(out));
  layers.push_back(index(), inplace_relu());
}

int set_dropout(torch::nn::Module& root, double p) {
  if (!(p >= 0 && p < 1)) {
    throw std::invalid_argument("dropout probability must be in [0, 1), got " + std::to_string(p));
  }
  int reached = 0;
  for (const auto& module : root.modules(/*include_self=*/true)) {
    if (auto* dropout = module->as<torch::nn::DropoutImpl>()) {
      dropout->options.p(p);
      ++reached;
    }
  }
  return reached;
}

}  // namespace nnlab::models
