// The registry's "cnn": a small VGG-style network for 28x28 grayscale images that reaches about
// 92-93% on Fashion-MNIST in 10-15 epochs of Adam, at about 19 M multiply-adds per image.
// Deliberately built from standard layers only (Conv2d, BatchNorm2d, ReLU, MaxPool2d, Linear,
// Dropout) in two Layers lists, so that pruning and surgery can rewrite it layer by layer:
//   features:   0 conv 32@3x3  1 bn  2 relu  3 conv 32@3x3  4 bn  5 relu  6 max-pool 2
//               7 conv 64@3x3  8 bn  9 relu 10 conv 64@3x3 11 bn 12 relu 13 max-pool 2
//   classifier: 0 flatten 1 dropout 0.25 2 linear 3136->256 3 relu 4 dropout 0.5 5 linear 256->C
// The convolutions have no bias (the BatchNorm after each one has it).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

#include "nnlab/models/layers.h"

namespace nnlab::models {

struct FmnistCnnImpl : torch::nn::Module {
  explicit FmnistCnnImpl(std::int64_t num_classes = 10, std::int64_t in_channels = 1);
  torch::Tensor forward(torch::Tensor x);

  Layers features{nullptr}, classifier{nullptr};
};
TORCH_MODULE(FmnistCnn);

}  // namespace nnlab::models
