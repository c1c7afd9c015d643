// LeNet-300-100 and LeNet-5 for 28x28 inputs (LeCun et al., "Gradient-based learning applied
// to document recognition", 1998), the small baselines of the pruning literature (Han et al.,
// "Learning both Weights and Connections", 2015: 266,610 and 61,706 parameters).
#pragma once

#include <torch/nn/pimpl.h>

#include <cstdint>

#include "nnlab/models/layers.h"

namespace nnlab::models {

// Layers: flatten, fc1 (300), relu1, fc2 (100), relu2, fc3.
struct LeNet300Impl : LayersImpl {
  explicit LeNet300Impl(std::int64_t num_classes = 10, std::int64_t in_channels = 1);
};
TORCH_MODULE(LeNet300);

// Layers: conv1 (6@5x5, pad 2), relu1, pool1 (max 2), conv2 (16@5x5), relu2, pool2, flatten,
// fc1 (120), relu3, fc2 (84), relu4, fc3.
struct LeNet5Impl : LayersImpl {
  explicit LeNet5Impl(std::int64_t num_classes = 10, std::int64_t in_channels = 1);
};
TORCH_MODULE(LeNet5);

// The LeNet-5 of Caffe's MNIST example, the one Deep Compression (Han, Mao & Dally 2016) and
// "Learning both Weights and Connections" compress (431,080 parameters): conv1 (20@5x5), pool1
// (max 2), conv2 (50@5x5), pool2, flatten, fc1 (500), relu1, fc2. As in Caffe, no ReLU after
// the convolutions.
struct LeNet5CaffeImpl : LayersImpl {
  explicit LeNet5CaffeImpl(std::int64_t num_classes = 10, std::int64_t in_channels = 1);
};
TORCH_MODULE(LeNet5Caffe);

}  // namespace nnlab::models
