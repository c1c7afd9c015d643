// LeNet-300-100 and LeNet-5 for 28x28 inputs (LeCun et al., "Gradient-based learning applied
// to document recognition", 1998), the small baselines of the pruning literature (Han et al.,
// "Learning both Weights and Connections", 2015: 266,610 and 61,706 parameters).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace nnlab::models {

// Flatten -> fc1 (300) -> ReLU -> fc2 (100) -> ReLU -> fc3.
struct LeNet300Impl : torch::nn::Module {
  explicit LeNet300Impl(std::int64_t num_classes = 10, std::int64_t in_channels = 1);
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};
TORCH_MODULE(LeNet300);

// conv1 (6@5x5, pad 2) -> ReLU -> max-pool 2 -> conv2 (16@5x5) -> ReLU -> max-pool 2 ->
// fc1 (120) -> ReLU -> fc2 (84) -> ReLU -> fc3.
struct LeNet5Impl : torch::nn::Module {
  explicit LeNet5Impl(std::int64_t num_classes = 10, std::int64_t in_channels = 1);
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
};
TORCH_MODULE(LeNet5);

}  // namespace nnlab::models
