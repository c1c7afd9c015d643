#include "nnlab/models/resnet.h"

#include <torch/torch.h>

#include <utility>

#include "nnlab/models/batch_norm.h"
#include "nnlab/models/layers.h"

namespace nnlab::models {

namespace {

torch::nn::Conv2d conv3x3(std::int64_t in, std::int64_t out, std::int64_t stride = 1) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

torch::nn::Conv2d conv1x1(std::int64_t in, std::int64_t out, std::int64_t stride = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false));
}

// torchvision's ResNet._make_layer: the first block strides and, when the shape changes,
// projects the shortcut with a strided 1x1 convolution.
template <typename Block>
torch::nn::Sequential make_layer(std::int64_t& inplanes, std::int64_t planes, std::int64_t blocks,
                                 std::int64_t stride) {
  const auto expansion = Block::Impl::kExpansion;
  torch::nn::Sequential downsample{nullptr};
  if (stride != 1 || inplanes != planes * expansion) {
    downsample = torch::nn::Sequential(conv1x1(inplanes, planes * expansion, stride),
                                       BatchNorm2d(planes * expansion));
  }
  torch::nn::Sequential layer;
  layer->push_back(Block(inplanes, planes, stride, downsample));
  inplanes = planes * expansion;
  for (std::int64_t i = 1; i < blocks; ++i) {
    layer->push_back(Block(inplanes, planes, /*stride=*/1, torch::nn::Sequential{nullptr}));
  }
  return layer;
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(std::int64_t inplanes, std::int64_t planes, std::int64_t stride,
                               torch::nn::Sequential shortcut)
    : conv1(register_module("conv1", conv3x3(inplanes, planes, stride))),
      bn1(register_module("bn1", BatchNorm2d(planes))),
      relu(register_module("relu", inplace_relu())),
      conv2(register_module("conv2", conv3x3(planes, planes))),
      bn2(register_module("bn2", BatchNorm2d(planes))) {
  if (!shortcut.is_empty()) {
    downsample = register_module("downsample", std::move(shortcut));
  }
}

// The shortcut runs after the main path, as in torchvision, so that hooks and layer-by-layer
// summaries see the layers in the same order.
torch::Tensor BasicBlockImpl::forward(torch::Tensor x) {
  auto out = relu->forward(bn1->forward(conv1->forward(x)));
  out = bn2->forward(conv2->forward(out));
  out += downsample.is_empty() ? x : downsample->forward(x);
  return relu->forward(out);
}

BottleneckImpl::BottleneckImpl(std::int64_t inplanes, std::int64_t planes, std::int64_t stride,
                               torch::nn::Sequential shortcut)
    : conv1(register_module("conv1", conv1x1(inplanes, planes))),
      bn1(register_module("bn1", BatchNorm2d(planes))),
      conv2(register_module("conv2", conv3x3(planes, planes, stride))),
      bn2(register_module("bn2", BatchNorm2d(planes))),
      conv3(register_module("conv3", conv1x1(planes, planes * kExpansion))),
      bn3(register_module("bn3", BatchNorm2d(planes * kExpansion))),
      relu(register_module("relu", inplace_relu())) {
  if (!shortcut.is_empty()) {
    downsample = register_module("downsample", std::move(shortcut));
  }
}

torch::Tensor BottleneckImpl::forward(torch::Tensor x) {
  auto out = relu->forward(bn1->forward(conv1->forward(x)));
  out = relu->forward(bn2->forward(conv2->forward(out)));
  out = bn3->forward(conv3->forward(out));
  out += downsample.is_empty() ? x : downsample->forward(x);
  return relu->forward(out);
}

ResNetImpl::ResNetImpl(Block block, const std::array<std::int64_t, 4>& layers,
                       std::int64_t num_classes, std::int64_t in_channels)
    : conv1(register_module(
          "conv1",
          torch::nn::Conv2d(
              torch::nn::Conv2dOptions(in_channels, 64, 7).stride(2).padding(3).bias(false)))),
      bn1(register_module("bn1", BatchNorm2d(64))),
      relu(register_module("relu", inplace_relu())),
      maxpool(register_module(
          "maxpool", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)))) {
  std::int64_t inplanes = 64;
  const auto make = block == Block::kBasic ? &make_layer<BasicBlock> : &make_layer<Bottleneck>;
  layer1 = register_module("layer1", make(inplanes, 64, layers[0], /*stride=*/1));
  layer2 = register_module("layer2", make(inplanes, 128, layers[1], /*stride=*/2));
  layer3 = register_module("layer3", make(inplanes, 256, layers[2], /*stride=*/2));
  layer4 = register_module("layer4", make(inplanes, 512, layers[3], /*stride=*/2));
  avgpool = register_module("avgpool",
                            torch::nn::AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(1)));
  fc = register_module("fc", torch::nn::Linear(inplanes, num_classes));

  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* conv = module->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(conv->weight, /*a=*/0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
      torch::nn::init::ones_(bn->weight);
      torch::nn::init::zeros_(bn->bias);
    }
  }
}

torch::Tensor ResNetImpl::forward(torch::Tensor x) {
  x = maxpool->forward(relu->forward(bn1->forward(conv1->forward(x))));
  x = layer4->forward(layer3->forward(layer2->forward(layer1->forward(x))));
  x = avgpool->forward(x).flatten(/*start_dim=*/1);
  return fc->forward(x);
}

ResNet resnet18(std::int64_t num_classes, std::int64_t in_channels) {
  return ResNet(ResNetImpl::Block::kBasic, std::array<std::int64_t, 4>{2, 2, 2, 2}, num_classes,
                in_channels);
}
ResNet resnet34(std::int64_t num_classes, std::int64_t in_channels) {
  return ResNet(ResNetImpl::Block::kBasic, std::array<std::int64_t, 4>{3, 4, 6, 3}, num_classes,
                in_channels);
}
ResNet resnet50(std::int64_t num_classes, std::int64_t in_channels) {
  return ResNet(ResNetImpl::Block::kBottleneck, std::array<std::int64_t, 4>{3, 4, 6, 3},
                num_classes, in_channels);
}
ResNet resnet101(std::int64_t num_classes, std::int64_t in_channels) {
  return ResNet(ResNetImpl::Block::kBottleneck, std::array<std::int64_t, 4>{3, 4, 23, 3},
                num_classes, in_channels);
}
ResNet resnet152(std::int64_t num_classes, std::int64_t in_channels) {
  return ResNet(ResNetImpl::Block::kBottleneck, std::array<std::int64_t, 4>{3, 8, 36, 3},
                num_classes, in_channels);
}

}  // namespace nnlab::models
