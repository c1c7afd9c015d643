// VGG-11/13/16/19 with and without batch normalization (Simonyan & Zisserman, "Very Deep
// Convolutional Networks for Large-Scale Image Recognition", 2014), laid out exactly as
// torchvision 0.14 does it, so that its checkpoints load without renaming:
//   features    Sequential "0", "1", ...: conv 3x3 pad 1 [, BatchNorm2d], ReLU; max-pool 2 for "M"
//   avgpool     AdaptiveAvgPool2d(7)
//   classifier  Sequential: 0 Linear(25088, 4096) 1 ReLU 2 Dropout 3 Linear(4096, 4096) 4 ReLU
//               5 Dropout 6 Linear(4096, num_classes)
// Initialized like torchvision: conv kaiming-normal (fan_out, relu), linear N(0, 0.01), zero
// biases, BatchNorm weight 1 / bias 0.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/pooling.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <vector>

namespace nnlab::models {

struct VGGImpl : torch::nn::Module {
  // cfg: output channels of each 3x3 convolution, kMaxPool for a 2x2 max-pool.
  VGGImpl(const std::vector<std::int64_t>& cfg, bool batch_norm, std::int64_t num_classes = 1000,
          std::int64_t in_channels = 3, double dropout = 0.5);
  torch::Tensor forward(torch::Tensor x);

  static constexpr std::int64_t kMaxPool = 0;

  torch::nn::Sequential features{nullptr};
  torch::nn::AdaptiveAvgPool2d avgpool{nullptr};
  torch::nn::Sequential classifier{nullptr};
};
TORCH_MODULE(VGG);

VGG vgg11(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);
VGG vgg11_bn(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);
VGG vgg13(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);
VGG vgg13_bn(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);
VGG vgg16(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);
VGG vgg16_bn(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);
VGG vgg19(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);
VGG vgg19_bn(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);

}  // namespace nnlab::models
