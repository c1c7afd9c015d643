#include "nnlab/models/fmnist_cnn.h"

#include <torch/torch.h>

namespace nnlab::models {

namespace {

void push_conv_bn_relu(torch::nn::Sequential& seq, std::int64_t in, std::int64_t out) {
  seq->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
  seq->push_back(torch::nn::BatchNorm2d(out));
  seq->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
}

}  // namespace

FmnistCnnImpl::FmnistCnnImpl(std::int64_t num_classes, std::int64_t in_channels) {
  torch::nn::Sequential f;
  push_conv_bn_relu(f, in_channels, 32);
  push_conv_bn_relu(f, 32, 32);
  f->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
  push_conv_bn_relu(f, 32, 64);
  push_conv_bn_relu(f, 64, 64);
  f->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
  features = register_module("features", f);

  classifier = register_module(
      "classifier",
      torch::nn::Sequential(torch::nn::Flatten(), torch::nn::Dropout(/*p=*/0.25),
                            torch::nn::Linear(64 * 7 * 7, 256),
                            torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)),
                            torch::nn::Dropout(/*p=*/0.5), torch::nn::Linear(256, num_classes)));
}

torch::Tensor FmnistCnnImpl::forward(torch::Tensor x) {
  return classifier->forward(features->forward(x));
}

}  // namespace nnlab::models
