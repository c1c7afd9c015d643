#include "nnlab/models/densenet.h"

#include <torch/torch.h>

#include <regex>
#include <string>
#include <utility>

#include "nnlab/models/batch_norm.h"
#include "nnlab/models/layers.h"

namespace nnlab::models {

namespace {

DenseNet make_densenet(std::int64_t growth_rate, std::array<std::int64_t, 4> block_config,
                       std::int64_t num_init_features, std::int64_t num_classes,
                       std::int64_t in_channels) {
  DenseNetOptions options;
  options.growth_rate = growth_rate;
  options.block_config = block_config;
  options.num_init_features = num_init_features;
  options.num_classes = num_classes;
  options.in_channels = in_channels;
  return DenseNet(options);
}

}  // namespace

DenseLayerImpl::DenseLayerImpl(std::int64_t num_input_features, std::int64_t growth_rate,
                               std::int64_t bn_size, double drop_rate)
    : norm1(register_module("norm1", BatchNorm2d(num_input_features))),
      relu1(register_module("relu1", inplace_relu())),
      conv1(register_module(
          "conv1",
          torch::nn::Conv2d(
              torch::nn::Conv2dOptions(num_input_features, bn_size * growth_rate, 1).bias(false)))),
      norm2(register_module("norm2", BatchNorm2d(bn_size * growth_rate))),
      relu2(register_module("relu2", inplace_relu())),
      conv2(register_module(
          "conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(bn_size * growth_rate, growth_rate, 3)
                                         .padding(1)
                                         .bias(false)))),
      drop_rate(drop_rate) {}

torch::Tensor DenseLayerImpl::forward(torch::Tensor x) {
  x = conv1->forward(relu1->forward(norm1->forward(x)));
  x = conv2->forward(relu2->forward(norm2->forward(x)));
  if (drop_rate > 0) {
    x = torch::dropout(x, /*p=*/drop_rate, /*train=*/is_training());
  }
  return x;
}

DenseBlockImpl::DenseBlockImpl(std::int64_t num_layers, std::int64_t num_input_features,
                               std::int64_t growth_rate, std::int64_t bn_size, double drop_rate) {
  for (std::int64_t i = 0; i < num_layers; ++i) {
    layers.push_back(register_module(
        "denselayer" + std::to_string(i + 1),
        DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size, drop_rate)));
  }
}

torch::Tensor DenseBlockImpl::forward(torch::Tensor x) {
  std::vector<torch::Tensor> features{std::move(x)};
  for (auto& layer : layers) {
    features.push_back(layer->forward(torch::cat(features, /*dim=*/1)));
  }
  return torch::cat(features, /*dim=*/1);
}

TransitionImpl::TransitionImpl(std::int64_t num_input_features, std::int64_t num_output_features)
    : norm(register_module("norm", BatchNorm2d(num_input_features))),
      relu(register_module("relu", inplace_relu())),
      conv(register_module(
          "conv",
          torch::nn::Conv2d(
              torch::nn::Conv2dOptions(num_input_features, num_output_features, 1).bias(false)))),
      pool(register_module("pool",
                           torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(2).stride(2)))) {}

torch::Tensor TransitionImpl::forward(torch::Tensor x) {
  return pool->forward(conv->forward(relu->forward(norm->forward(x))));
}

DenseNetImpl::DenseNetImpl(const DenseNetOptions& options) {
  torch::nn::Sequential f;
  f->push_back("conv0", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in_channels,
                                                                   options.num_init_features, 7)
                                              .stride(2)
                                              .padding(3)
                                              .bias(false)));
  f->push_back("norm0", BatchNorm2d(options.num_init_features));
  f->push_back("relu0", inplace_relu());
  f->push_back("pool0", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));

  auto num_features = options.num_init_features;
  for (std::size_t i = 0; i < options.block_config.size(); ++i) {
    const auto num_layers = options.block_config[i];
    const auto index = std::to_string(i + 1);
    f->push_back("denseblock" + index, DenseBlock(num_layers, num_features, options.growth_rate,
                                                  options.bn_size, options.drop_rate));
    num_features += num_layers * options.growth_rate;
    if (i + 1 != options.block_config.size()) {
      f->push_back("transition" + index, Transition(num_features, num_features / 2));
      num_features /= 2;
    }
  }
  f->push_back("norm5", BatchNorm2d(num_features));
  features = register_module("features", f);
  classifier = register_module("classifier", torch::nn::Linear(num_features, options.num_classes));

  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight);
    } else if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
      torch::nn::init::ones_(bn->weight);
      torch::nn::init::zeros_(bn->bias);
    } else if (auto* linear = module->as<torch::nn::Linear>()) {
      torch::nn::init::zeros_(linear->bias);
    }
  }
}

torch::Tensor DenseNetImpl::forward(torch::Tensor x) {
  x = torch::relu(features->forward(x));
  x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(/*start_dim=*/1);
  return classifier->forward(x);
}

DenseNet densenet121(std::int64_t num_classes, std::int64_t in_channels) {
  return make_densenet(32, {6, 12, 24, 16}, 64, num_classes, in_channels);
}
DenseNet densenet161(std::int64_t num_classes, std::int64_t in_channels) {
  return make_densenet(48, {6, 12, 36, 24}, 96, num_classes, in_channels);
}
DenseNet densenet169(std::int64_t num_classes, std::int64_t in_channels) {
  return make_densenet(32, {6, 12, 32, 32}, 64, num_classes, in_channels);
}
DenseNet densenet201(std::int64_t num_classes, std::int64_t in_channels) {
  return make_densenet(32, {6, 12, 48, 32}, 64, num_classes, in_channels);
}

TensorList remap_legacy_densenet_keys(TensorList tensors) {
  // The pattern of torchvision.models.densenet._load_state_dict.
  static const std::regex pattern(
      R"(^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$)");
  for (auto& [key, tensor] : tensors) {
    std::smatch match;
    if (std::regex_match(key, match, pattern)) {
      key = match[1].str() + match[2].str();
    }
  }
  return tensors;
}

}  // namespace nnlab::models
