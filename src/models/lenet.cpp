#include "nnlab/models/lenet.h"

#include <torch/torch.h>

namespace nnlab::models {

namespace {
constexpr std::int64_t kSide = 28;  // both nets are sized for 28x28 inputs
}  // namespace

LeNet300Impl::LeNet300Impl(std::int64_t num_classes, std::int64_t in_channels) {
  push_back("flatten", torch::nn::Flatten());
  push_back("fc1", torch::nn::Linear(in_channels * kSide * kSide, 300));
  push_back("relu1", inplace_relu());
  push_back("fc2", torch::nn::Linear(300, 100));
  push_back("relu2", inplace_relu());
  push_back("fc3", torch::nn::Linear(100, num_classes));
}

LeNet5Impl::LeNet5Impl(std::int64_t num_classes, std::int64_t in_channels) {
  push_back("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, 6, 5).padding(2)));
  push_back("relu1", inplace_relu());
  push_back("pool1", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
  push_back("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(6, 16, 5)));
  push_back("relu2", inplace_relu());
  push_back("pool2", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
  push_back("flatten", torch::nn::Flatten());
  push_back("fc1", torch::nn::Linear(16 * 5 * 5, 120));
  push_back("relu3", inplace_relu());
  push_back("fc2", torch::nn::Linear(120, 84));
  push_back("relu4", inplace_relu());
  push_back("fc3", torch::nn::Linear(84, num_classes));
}

LeNet5CaffeImpl::LeNet5CaffeImpl(std::int64_t num_classes, std::int64_t in_channels) {
  push_back("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, 20, 5)));
  push_back("pool1", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
  push_back("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(20, 50, 5)));
  push_back("pool2", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
  push_back("flatten", torch::nn::Flatten());
  push_back("fc1", torch::nn::Linear(50 * 4 * 4, 500));
  push_back("relu1", inplace_relu());
  push_back("fc2", torch::nn::Linear(500, num_classes));
}

}  // namespace nnlab::models
