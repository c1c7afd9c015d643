// The model zoo: architecture name -> constructor, with each architecture's default input spec.
//   Fashion-MNIST models (lenet300, lenet5, cnn): 10 classes, 1x28x28, no normalization: we
//     train them ourselves on pixels in [0,1], so a fixed mean/std would only be a constant
//     the weights absorb (and cnn has BatchNorm anyway).
//   ImageNet models (vgg*, resnet*, densenet*): 1000 classes, 3x224x224, torchvision's
//     ImageNet mean/std, so that torchvision's weights work on pixels in [0,1].
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "nnlab/models/classifier.h"

namespace nnlab::models {

struct ModelOptions {
  std::int64_t num_classes =
      0;  // 0: the architecture's default (10 for Fashion-MNIST models, 1000 ImageNet)
  std::int64_t in_channels = 0;  // 0: the default
};

struct ModelEntry {
  std::string name;
  std::string description;
  ModelInfo defaults;  // arch, num_classes, in_channels, size, mean/std
  std::function<torch::nn::AnyModule(const ModelInfo&)> make;
};

// All registered architectures, in a stable order.
const std::vector<ModelEntry>& model_zoo();

// Throws core::OptionError("find_model.arch", "unknown architecture 'x'; known: ...").
const ModelEntry& find_model(const std::string& arch);

// Builds a freshly initialized classifier (weights as PyTorch initializes them). With another
// in_channels than the default, a per-channel mean/std becomes its average on every channel.
// Throws core::OptionError for an unknown arch or a negative option.
Classifier create_model(const std::string& arch, const ModelOptions& options = {});

// The ImageNet normalization of torchvision's models.
std::vector<double> imagenet_mean();
std::vector<double> imagenet_std();

}  // namespace nnlab::models
