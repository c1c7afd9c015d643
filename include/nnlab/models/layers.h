// An ordered list of named layers run one after the other, like torch::nn::Sequential, with one
// thing Sequential cannot do: a layer can be replaced in place (replace_layer below). That is
// what model surgery needs -- low-rank factorization turns a Linear into two, depthwise
// conversion turns a Conv2d into a depthwise and a pointwise one -- without rebuilding the
// model. The Fashion-MNIST zoo (lenet300, lenet5, cnn, mobilenet) is built from Layers;
// parameter names are "<layer name>.<parameter>", as in PyTorch.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/options/conv.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <utility>
#include <vector>

namespace nnlab::models {

class LayersImpl : public torch::nn::Module {
 public:
  LayersImpl() = default;

  void push_back(const std::string& name, torch::nn::AnyModule layer);
  template <typename ModuleHolder>
  void push_back(const std::string& name, ModuleHolder layer) {
    push_back(name, torch::nn::AnyModule(std::move(layer)));
  }
  torch::Tensor forward(torch::Tensor x);

  // Replaces the layer called `name` (registered under the same name); the old one is dropped.
  // Throws std::invalid_argument for a name the list does not hold.
  void replace(const std::string& name, torch::nn::AnyModule layer);

  const std::vector<std::pair<std::string, torch::nn::AnyModule>>& layers() const {
    return layers_;
  }
  std::size_t size() const { return layers_.size(); }

 private:
  std::vector<std::pair<std::string, torch::nn::AnyModule>> layers_;
};
TORCH_MODULE(Layers);

// The Layers list that holds the module at a dotted path of `root` (root itself for a one-part
// path), or nullptr when its parent is another kind of module. Throws std::invalid_argument
// naming the path when the model has no such module.
LayersImpl* parent_layers(torch::nn::Module& root, const std::string& path);

// Replaces the module at a dotted path ("features.3", "fc1") of `root`. Its parent must be a
// Layers (the root itself for a one-part path). Throws std::invalid_argument naming the path
// when there is no such module or its parent is not a Layers (a layer the model's code calls
// by its member name, as in the ResNet blocks, cannot be swapped).
void replace_layer(torch::nn::Module& root, const std::string& path, torch::nn::AnyModule layer);

// The zoo's building blocks.
// ReLU in place (the activation of every zoo model).
torch::nn::ReLU inplace_relu();
// Conv2d (without bias: the BatchNorm has it), BatchNorm2d, in-place ReLU, named by their
// index in the list ("0", "1", ...), as torchvision's Sequentials name them.
void push_conv_bn_relu(LayersImpl& layers, torch::nn::Conv2dOptions conv);

// Sets the probability of every Dropout layer under root (0 switches dropout off); returns how
// many layers it reached. Throws std::invalid_argument unless p is in [0, 1).
int set_dropout(torch::nn::Module& root, double p);

}  // namespace nnlab::models
