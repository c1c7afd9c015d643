#include "nnlab/models/fmnist_cnn.h"

#include <torch/torch.h>

namespace nnlab::models {

FmnistCnnImpl::FmnistCnnImpl(std::int64_t num_classes, std::int64_t in_channels) {
  Layers f;
  push_conv_bn_relu(*f, torch::nn::Conv2dOptions(in_channels, 32, 3).padding(1));
  push_conv_bn_relu(*f, torch::nn::Conv2dOptions(32, 32, 3).padding(1));
  f->push_back("6", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
  push_conv_bn_relu(*f, torch::nn::Conv2dOptions(32, 64, 3).padding(1));
  push_conv_bn_relu(*f, torch::nn::Conv2dOptions(64, 64, 3).padding(1));
  f->push_back("13", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
  features = register_module("features", f);

  Layers c;
  c->push_back("0", torch::nn::Flatten());
  c->push_back("1", torch::nn::Dropout(/*p=*/0.25));
  c->push_back("2", torch::nn::Linear(64 * 7 * 7, 256));
  c->push_back("3", inplace_relu());
  c->push_back("4", torch::nn::Dropout(/*p=*/0.5));
  c->push_back("5", torch::nn::Linear(256, num_classes));
  classifier = register_module("classifier", c);
}

torch::Tensor FmnistCnnImpl::forward(torch::Tensor x) {
  return classifier->forward(features->forward(x));
}

}  // namespace nnlab::models
