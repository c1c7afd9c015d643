// ResNet-18/34/50/101/152 (He et al., "Deep Residual Learning for Image Recognition", 2015) in
// torchvision 0.14's layout ("v1.5": a Bottleneck strides on its 3x3 convolution), so that its
// checkpoints load without renaming: conv1, bn1, relu, maxpool, layer1..layer4 (Sequentials of
// blocks "0", "1", ...; each block conv1, bn1, conv2, bn2 [, conv3, bn3] and an optional
// downsample Sequential {0: conv 1x1, 1: BatchNorm2d}), avgpool, fc.
// Initialized like torchvision: conv kaiming-normal (fan_out, relu), BatchNorm weight 1 / bias
// 0, fc with PyTorch's default Linear init.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/pooling.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cstdint>

#include "nnlab/models/batch_norm.h"

namespace nnlab::models {

// Two 3x3 convolutions; ResNet-18/34.
struct BasicBlockImpl : torch::nn::Module {
  static constexpr std::int64_t kExpansion = 1;

  // shortcut: becomes `downsample`; empty (nullptr) when the shortcut is the identity.
  BasicBlockImpl(std::int64_t inplanes, std::int64_t planes, std::int64_t stride,
                 torch::nn::Sequential shortcut);
  torch::Tensor forward(torch::Tensor x);

  // Declared (and so registered) in torchvision's order, which is the state_dict's order.
  torch::nn::Conv2d conv1{nullptr};
  BatchNorm2d bn1{nullptr};
  torch::nn::ReLU relu{nullptr};
  torch::nn::Conv2d conv2{nullptr};
  BatchNorm2d bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

// 1x1 -> 3x3 (strided) -> 1x1 with 4x expansion; ResNet-50/101/152.
struct BottleneckImpl : torch::nn::Module {
  static constexpr std::int64_t kExpansion = 4;

  BottleneckImpl(std::int64_t inplanes, std::int64_t planes, std::int64_t stride,
                 torch::nn::Sequential shortcut);
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Conv2d conv1{nullptr};
  BatchNorm2d bn1{nullptr};
  torch::nn::Conv2d conv2{nullptr};
  BatchNorm2d bn2{nullptr};
  torch::nn::Conv2d conv3{nullptr};
  BatchNorm2d bn3{nullptr};
  torch::nn::ReLU relu{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

struct ResNetImpl : torch::nn::Module {
  enum class Block { kBasic, kBottleneck };

  // layers: number of blocks in layer1..layer4.
  ResNetImpl(Block block, const std::array<std::int64_t, 4>& layers,
             std::int64_t num_classes = 1000, std::int64_t in_channels = 3);
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Conv2d conv1{nullptr};
  BatchNorm2d bn1{nullptr};
  torch::nn::ReLU relu{nullptr};
  torch::nn::MaxPool2d maxpool{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  torch::nn::AdaptiveAvgPool2d avgpool{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet);

ResNet resnet18(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);
ResNet resnet34(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);
ResNet resnet50(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);
ResNet resnet101(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);
ResNet resnet152(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);

}  // namespace nnlab::models
