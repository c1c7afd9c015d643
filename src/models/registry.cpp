#include "nnlab/models/registry.h"

#include <torch/torch.h>

#include <numeric>
#include <utility>

#include "nnlab/core/error.h"
#include "nnlab/models/densenet.h"
#include "nnlab/models/fmnist_cnn.h"
#include "nnlab/models/lenet.h"
#include "nnlab/models/mobilenet.h"
#include "nnlab/models/resnet.h"
#include "nnlab/models/vgg.h"

namespace nnlab::models {

namespace {

ModelInfo fashion_mnist(const std::string& arch) {
  ModelInfo info;
  info.arch = arch;
  info.num_classes = 10;
  info.in_channels = 1;
  info.height = 28;
  info.width = 28;
  return info;
}

ModelInfo imagenet(const std::string& arch) {
  ModelInfo info;
  info.arch = arch;
  info.num_classes = 1000;
  info.in_channels = 3;
  info.height = 224;
  info.width = 224;
  info.mean = imagenet_mean();
  info.std = imagenet_std();
  return info;
}

// Every zoo constructor has the signature (num_classes, in_channels).
template <typename Net>
ModelEntry entry(std::string name, std::string description, ModelInfo defaults,
                 Net (*make)(std::int64_t, std::int64_t)) {
  return {std::move(name), std::move(description), std::move(defaults),
          [make](const ModelInfo& info) {
            return torch::nn::AnyModule(make(info.num_classes, info.in_channels));
          }};
}

template <typename Net>
Net make_net(std::int64_t num_classes, std::int64_t in_channels) {
  return Net(num_classes, in_channels);
}

std::vector<ModelEntry> build_zoo() {
  std::vector<ModelEntry> zoo;
  const auto add_imagenet = [&zoo](const std::string& name, const std::string& description,
                                   auto make) {
    zoo.push_back(entry(name, description, imagenet(name), make));
  };
  zoo.push_back(entry("lenet300", "LeNet-300-100, fully connected (266,610 parameters)",
                      fashion_mnist("lenet300"), &make_net<LeNet300>));
  zoo.push_back(entry("lenet5", "LeNet-5, two convolutions and three linear layers",
                      fashion_mnist("lenet5"), &make_net<LeNet5>));
  zoo.push_back(entry("lenet5-caffe",
                      "Caffe's LeNet-5, the one Deep Compression compresses (431,080 parameters)",
                      fashion_mnist("lenet5-caffe"), &make_net<LeNet5Caffe>));
  zoo.push_back(entry("cnn", "4-conv BatchNorm CNN for Fashion-MNIST (about 92-93%)",
                      fashion_mnist("cnn"), &make_net<FmnistCnn>));
  for (const auto& [suffix, width] :
       {std::pair<std::string, double>{"", 1.0}, {"-0.75", 0.75}, {"-0.5", 0.5}, {"-0.25", 0.25}}) {
    const double alpha = width;
    zoo.push_back(
        {"mobilenet" + suffix,
         "MobileNet-style, depthwise-separable, width " + std::to_string(alpha).substr(0, 4),
         fashion_mnist("mobilenet" + suffix), [alpha](const ModelInfo& info) {
           return torch::nn::AnyModule(MobileNet(alpha, info.num_classes, info.in_channels));
         }});
  }
  add_imagenet("vgg11", "VGG-11 (torchvision layout)", &vgg11);
  add_imagenet("vgg11_bn", "VGG-11 with BatchNorm (torchvision layout)", &vgg11_bn);
  add_imagenet("vgg13", "VGG-13 (torchvision layout)", &vgg13);
  add_imagenet("vgg13_bn", "VGG-13 with BatchNorm (torchvision layout)", &vgg13_bn);
  add_imagenet("vgg16", "VGG-16 (torchvision layout)", &vgg16);
  add_imagenet("vgg16_bn", "VGG-16 with BatchNorm (torchvision layout)", &vgg16_bn);
  add_imagenet("vgg19", "VGG-19 (torchvision layout)", &vgg19);
  add_imagenet("vgg19_bn", "VGG-19 with BatchNorm (torchvision layout)", &vgg19_bn);
  add_imagenet("resnet18", "ResNet-18 (torchvision layout)", &resnet18);
  add_imagenet("resnet34", "ResNet-34 (torchvision layout)", &resnet34);
  add_imagenet("resnet50", "ResNet-50 v1.5 (torchvision layout)", &resnet50);
  add_imagenet("resnet101", "ResNet-101 v1.5 (torchvision layout)", &resnet101);
  add_imagenet("resnet152", "ResNet-152 v1.5 (torchvision layout)", &resnet152);
  add_imagenet("densenet121", "DenseNet-121 (torchvision layout)", &densenet121);
  add_imagenet("densenet161", "DenseNet-161 (torchvision layout)", &densenet161);
  add_imagenet("densenet169", "DenseNet-169 (torchvision layout)", &densenet169);
  add_imagenet("densenet201", "DenseNet-201 (torchvision layout)", &densenet201);
  return zoo;
}

// Per-channel statistics for a different channel count: their average on every channel (the
// statistics of the grayscale image when the RGB channels are averaged).
std::vector<double> resize_channels(const std::vector<double>& values, std::int64_t channels) {
  if (values.empty() || static_cast<std::int64_t>(values.size()) == channels) {
    return values;
  }
  const double average =
      std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  return std::vector<double>(static_cast<std::size_t>(channels), average);
}

}  // namespace

const std::vector<ModelEntry>& model_zoo() {
  static const std::vector<ModelEntry> zoo = build_zoo();
  return zoo;
}

const ModelEntry& find_model(const std::string& arch) {
  const auto& zoo = model_zoo();
  std::string known;
  for (const auto& entry : zoo) {
    if (entry.name == arch) {
      return entry;
    }
    known += (known.empty() ? "" : ", ") + entry.name;
  }
  throw core::OptionError("find_model.arch",
                          "unknown architecture '" + arch + "'; known: " + known);
}

Classifier create_model(const std::string& arch, const ModelOptions& options) {
  const auto& entry = find_model(arch);
  if (options.num_classes < 0) {
    throw core::OptionError("ModelOptions.num_classes", "must be positive (0: the default), got " +
                                                            std::to_string(options.num_classes));
  }
  if (options.in_channels < 0) {
    throw core::OptionError("ModelOptions.in_channels", "must be positive (0: the default), got " +
                                                            std::to_string(options.in_channels));
  }
  ModelInfo info = entry.defaults;
  if (options.num_classes > 0) {
    info.num_classes = options.num_classes;
  }
  if (options.in_channels > 0) {
    info.in_channels = options.in_channels;
    info.mean = resize_channels(info.mean, info.in_channels);
    info.std = resize_channels(info.std, info.in_channels);
  }
  auto net = entry.make(info);  // before info is moved from
  return Classifier(std::move(net), std::move(info));
}

std::vector<double> imagenet_mean() {
  return {0.485, 0.456, 0.406};
}
std::vector<double> imagenet_std() {
  return {0.229, 0.224, 0.225};
}

}  // namespace nnlab::models
