// The model zoo: architecture name -> constructor, with each architecture's default input spec.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "nnlab/models/classifier.h"

namespace nnlab::models {

struct ModelOptions {
  std::int64_t num_classes = 0;  // 0: the architecture's default (10 for Fashion-MNIST models, 1000 ImageNet)
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

// Throws core::OptionError("--arch", "unknown architecture 'x'; known: ...").
const ModelEntry& find_model(const std::string& arch);

// Builds a freshly initialized classifier (weights as PyTorch initializes them).
Classifier create_model(const std::string& arch, const ModelOptions& options = {});

// The ImageNet normalization of torchvision's models.
std::vector<double> imagenet_mean();
std::vector<double> imagenet_std();

}  // namespace nnlab::models
