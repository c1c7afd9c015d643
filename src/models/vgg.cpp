#include "nnlab/models/vgg.h"

#include <torch/torch.h>

#include "nnlab/models/batch_norm.h"
#include "nnlab/models/layers.h"

namespace nnlab::models {

namespace {

constexpr std::int64_t M = VGGImpl::kMaxPool;

// torchvision's cfgs "A", "B", "D", "E".
const std::vector<std::int64_t> kVgg11 = {64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
const std::vector<std::int64_t> kVgg13 = {64, 64,  M,   128, 128, M,   256, 256,
                                          M,  512, 512, M,   512, 512, M};
const std::vector<std::int64_t> kVgg16 = {64, 64,  M,   128, 128, M,   256, 256, 256,
                                          M,  512, 512, 512, M,   512, 512, 512, M};
const std::vector<std::int64_t> kVgg19 = {64,  64,  M,   128, 128, M,   256, 256, 256, 256, M,
                                          512, 512, 512, 512, M,   512, 512, 512, 512, M};

torch::nn::Sequential make_features(const std::vector<std::int64_t>& cfg, bool batch_norm,
                                    std::int64_t in_channels) {
  torch::nn::Sequential features;
  for (const auto v : cfg) {
    if (v == M) {
      features->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2).stride(2)));
      continue;
    }
    features->push_back(
        torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, v, /*kernel_size=*/3).padding(1)));
    if (batch_norm) {
      features->push_back(BatchNorm2d(v));
    }
    features->push_back(inplace_relu());
    in_channels = v;
  }
  return features;
}

}  // namespace

VGGImpl::VGGImpl(const std::vector<std::int64_t>& cfg, bool batch_norm, std::int64_t num_classes,
                 std::int64_t in_channels, double dropout) {
  features = register_module("features", make_features(cfg, batch_norm, in_channels));
  avgpool = register_module("avgpool",
                            torch::nn::AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(7)));
  classifier = register_module(
      "classifier", torch::nn::Sequential(
                        torch::nn::Linear(512 * 7 * 7, 4096), inplace_relu(),
                        torch::nn::Dropout(dropout), torch::nn::Linear(4096, 4096), inplace_relu(),
                        torch::nn::Dropout(dropout), torch::nn::Linear(4096, num_classes)));

  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight, /*a=*/0, torch::kFanOut, torch::kReLU);
      torch::nn::init::zeros_(conv->bias);
    } else if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
      torch::nn::init::ones_(bn->weight);
      torch::nn::init::zeros_(bn->bias);
    } else if (auto* linear = module->as<torch::nn::Linear>()) {
      torch::nn::init::normal_(linear->weight, /*mean=*/0, /*std=*/0.01);
      torch::nn::init::zeros_(linear->bias);
    }
  }
}

torch::Tensor VGGImpl::forward(torch::Tensor x) {
  x = avgpool->forward(features->forward(x));
  return classifier->forward(x.flatten(/*start_dim=*/1));
}

VGG vgg11(std::int64_t num_classes, std::int64_t in_channels) {
  return VGG(kVgg11, /*batch_norm=*/false, num_classes, in_channels);
}
VGG vgg11_bn(std::int64_t num_classes, std::int64_t in_channels) {
  return VGG(kVgg11, /*batch_norm=*/true, num_classes, in_channels);
}
VGG vgg13(std::int64_t num_classes, std::int64_t in_channels) {
  return VGG(kVgg13, /*batch_norm=*/false, num_classes, in_channels);
}
VGG vgg13_bn(std::int64_t num_classes, std::int64_t in_channels) {
  return VGG(kVgg13, /*batch_norm=*/true, num_classes, in_channels);
}
VGG vgg16(std::int64_t num_classes, std::int64_t in_channels) {
  return VGG(kVgg16, /*batch_norm=*/false, num_classes, in_channels);
}
VGG vgg16_bn(std::int64_t num_classes, std::int64_t in_channels) {
  return VGG(kVgg16, /*batch_norm=*/true, num_classes, in_channels);
}
VGG vgg19(std::int64_t num_classes, std::int64_t in_channels) {
  return VGG(kVgg19, /*batch_norm=*/false, num_classes, in_channels);
}
VGG vgg19_bn(std::int64_t num_classes, std::int64_t in_channels) {
  return VGG(kVgg19, /*batch_norm=*/true, num_classes, in_channels);
}

}  // namespace nnlab::models
