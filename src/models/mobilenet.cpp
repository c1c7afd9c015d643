#include "nnlab/models/mobilenet.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace nnlab::models {

std::int64_t scaled_channels(std::int64_t channels, double width_multiplier) {
  return std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::lround(static_cast<double>(channels) * width_multiplier)));
}

MobileNetImpl::MobileNetImpl(double width_multiplier, std::int64_t num_classes,
                             std::int64_t in_channels) {
  if (!(width_multiplier > 0)) throw std::invalid_argument("width multiplier must be positive");
  const auto w = [width_multiplier](std::int64_t c) {
    return scaled_channels(c, width_multiplier);
  };
  Layers f;
  std::int64_t channels = w(32);
  push_conv_bn_relu(*f, torch::nn::Conv2dOptions(in_channels, channels, 3).padding(1));
  const std::pair<std::int64_t, std::int64_t> blocks[] = {
      {64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}};
  for (const auto& [out, stride] : blocks) {
    push_conv_bn_relu(
        *f,
        torch::nn::Conv2dOptions(channels, channels, 3).stride(stride).padding(1).groups(channels));
    push_conv_bn_relu(*f, torch::nn::Conv2dOptions(channels, w(out), 1));
    channels = w(out);
  }
  push_back("features", f);
  push_back("pool", torch::nn::AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(1)));
  Layers c;
  c->push_back("0", torch::nn::Flatten());
  c->push_back("1", torch::nn::Dropout(/*p=*/0.2));
  c->push_back("2", torch::nn::Linear(channels, num_classes));
  push_back("classifier", c);
}

}  // namespace nnlab::models
