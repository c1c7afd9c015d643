#include "nnlab/models/fmnist_cnn.h"

#include <torch/torch.h>

namespace nnlab::models {

namespace {

torch::nn::ReLU relu() {
  return torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true));
}

void push_conv_bn_relu(Layers& seq, std::int64_t in, std::int64_t out) {
  const auto index = [&seq] { return std::to_string(seq->size()); };
  seq->push_back(index(),
                 torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
  seq->push_back(index(), torch::nn::BatchNorm2d(out));
  seq->push_back(index(), relu());
}

}  // namespace

FmnistCnnImpl::FmnistCnnImpl(std::int64_t num_classes, std::int64_t in_channels) {
  Layers f;
  push_conv_bn_relu(f, in_channels, 32);
  push_conv_bn_relu(f, 32, 32);
  f->push_back("6", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
  push_conv_bn_relu(f, 32, 64);
  push_conv_bn_relu(f, 64, 64);
  f->push_back("13", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
  features = register_module("features", f);

  Layers c;
  c->push_back("0", torch::nn::Flatten());
  c->push_back("1", torch::nn::Dropout(/*p=*/0.25));
  c->push_back("2", torch::nn::Linear(64 * 7 * 7, 256));
  c->push_back("3", relu());
  c->push_back("4", torch::nn::Dropout(/*p=*/0.5));
  c->push_back("5", torch::nn::Linear(256, num_classes));
  classifier = register_module("classifier", c);
}

torch::Tensor FmnistCnnImpl::forward(torch::Tensor x) {
  return classifier->forward(features->forward(x));
}

}  // namespace nnlab::models
