// DenseNet-121/161/169/201 (Huang et al., "Densely Connected Convolutional Networks", 2017;
// the BC variant) in torchvision 0.14's layout, so that its checkpoints load without renaming:
//   features  Sequential: conv0, norm0, relu0, pool0, denseblock1, transition1, ...,
//             denseblock4, norm5; a dense block holds denselayer1..N (norm1, relu1, conv1,
//             norm2, relu2, conv2), a transition norm, relu, conv, pool
//   classifier Linear
// forward: features -> ReLU -> global average pool -> classifier. Initialized like
// torchvision: conv kaiming-normal (fan_in), BatchNorm weight 1 / bias 0, Linear bias 0.
// torchvision's memory-efficient (checkpointing) mode is not offered: it only saves memory in
// training and does not change the result.
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
#include <vector>

#include "nnlab/models/batch_norm.h"
#include "nnlab/models/pth_reader.h"

namespace nnlab::models {

// BN-ReLU-conv 1x1 (bn_size * growth_rate) -> BN-ReLU-conv 3x3 (growth_rate). Takes the
// concatenation of all earlier feature maps of its block, returns only the new ones.
struct DenseLayerImpl : torch::nn::Module {
  DenseLayerImpl(std::int64_t num_input_features, std::int64_t growth_rate, std::int64_t bn_size,
                 double drop_rate);
  torch::Tensor forward(torch::Tensor x);

  BatchNorm2d norm1{nullptr};
  torch::nn::ReLU relu1{nullptr};
  torch::nn::Conv2d conv1{nullptr};
  BatchNorm2d norm2{nullptr};
  torch::nn::ReLU relu2{nullptr};
  torch::nn::Conv2d conv2{nullptr};
  double drop_rate;
};
TORCH_MODULE(DenseLayer);

// denselayer1..N; returns its input concatenated with every layer's output.
struct DenseBlockImpl : torch::nn::Module {
  DenseBlockImpl(std::int64_t num_layers, std::int64_t num_input_features, std::int64_t growth_rate,
                 std::int64_t bn_size, double drop_rate);
  torch::Tensor forward(torch::Tensor x);

  std::vector<DenseLayer> layers;
};
TORCH_MODULE(DenseBlock);

// BN-ReLU-conv 1x1 -> average-pool 2: halves the channels and the resolution between blocks.
struct TransitionImpl : torch::nn::Module {
  TransitionImpl(std::int64_t num_input_features, std::int64_t num_output_features);
  torch::Tensor forward(torch::Tensor x);

  BatchNorm2d norm{nullptr};
  torch::nn::ReLU relu{nullptr};
  torch::nn::Conv2d conv{nullptr};
  torch::nn::AvgPool2d pool{nullptr};
};
TORCH_MODULE(Transition);

struct DenseNetOptions {
  std::int64_t growth_rate = 32;
  std::array<std::int64_t, 4> block_config = {6, 12, 24, 16};
  std::int64_t num_init_features = 64;
  std::int64_t bn_size = 4;
  double drop_rate = 0;
  std::int64_t num_classes = 1000;
  std::int64_t in_channels = 3;
};

struct DenseNetImpl : torch::nn::Module {
  explicit DenseNetImpl(const DenseNetOptions& options = {});
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Sequential features{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(DenseNet);

DenseNet densenet121(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);
DenseNet densenet161(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);
DenseNet densenet169(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);
DenseNet densenet201(std::int64_t num_classes = 1000, std::int64_t in_channels = 3);

// torchvision's 2017 DenseNet files (densenet121-a639ec97.pth, ...) name the layers of a dense
// layer "norm.1", "conv.2", ...; this renames them "norm1", "conv2", ... as torchvision's
// _load_state_dict does, and leaves every other key alone (so it is safe on current files).
TensorList remap_legacy_densenet_keys(TensorList tensors);

}  // namespace nnlab::models
