#include "nnlab/models/lenet.h"

#include <torch/torch.h>

namespace nnlab::models {

namespace {
constexpr std::int64_t kSide = 28;  // both nets are sized for 28x28 inputs
}

LeNet300Impl::LeNet300Impl(std::int64_t num_classes, std::int64_t in_channels)
    : fc1(register_module("fc1", torch::nn::Linear(in_channels * kSide * kSide, 300))),
      fc2(register_module("fc2", torch::nn::Linear(300, 100))),
      fc3(register_module("fc3", torch::nn::Linear(100, num_classes))) {}

torch::Tensor LeNet300Impl::forward(torch::Tensor x) {
  x = torch::relu(fc1->forward(x.flatten(/*start_dim=*/1)));
  x = torch::relu(fc2->forward(x));
  return fc3->forward(x);
}

LeNet5Impl::LeNet5Impl(std::int64_t num_classes, std::int64_t in_channels)
    : conv1(register_module(
          "conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, 6, 5).padding(2)))),
      conv2(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(6, 16, 5)))),
      fc1(register_module("fc1", torch::nn::Linear(16 * 5 * 5, 120))),
      fc2(register_module("fc2", torch::nn::Linear(120, 84))),
      fc3(register_module("fc3", torch::nn::Linear(84, num_classes))) {}

torch::Tensor LeNet5Impl::forward(torch::Tensor x) {
  x = torch::max_pool2d(torch::relu(conv1->forward(x)), /*kernel_size=*/2);
  x = torch::max_pool2d(torch::relu(conv2->forward(x)), /*kernel_size=*/2);
  x = torch::relu(fc1->forward(x.flatten(/*start_dim=*/1)));
  x = torch::relu(fc2->forward(x));
  return fc3->forward(x);
}

}  // namespace nnlab::models
