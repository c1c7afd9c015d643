// A per-layer summary of any classifier: output shapes, parameters and multiply-accumulates
// (MACs), the table Keras' model.summary() and torchinfo print. models/depthwise_savings.h holds
// what the model's convolutions would cost in depthwise-separable form.
//
// How it works, for native and TorchScript models alike and without hooks or changes to the
// model: one forward pass on zeros(1, C, H, W) with autograd recording, then a walk of the
// recorded graph from the output. Every differentiable op left a node: its name gives the layer
// type (ConvolutionBackward0 -> Conv2d), its input metadata the shape of its forward output,
// and the AccumulateGrad leaves it reaches (directly, or through a transpose for Linear) its
// parameters and so its module path. Rows come in forward order (the nodes' sequence numbers).
//
// Row names:
//   - an op that uses parameters is named after their module: "features.0", "layer1.0.conv1";
//   - a parameter-free op (ReLU, pooling, Add, Cat) cannot name its module, so it gets
//     "<scope>.(<type in lower case>)", where scope is the deepest module path shared by the
//     nearest parameterized layers before and after it in forward order: "features.(relu)" in
//     VGG, "layer1.0.(relu)" between two convolutions of a ResNet block, "(maxpool2d)" at the top
//     level. The scope is a module that surely contains the op, sometimes its parent.
//
// What is counted:
//   - MACs are multiply-accumulates of convolutions and matrix products (Linear): for Conv2d
//     out_elements * (C_in / groups) * kh * kw, for Linear out_elements * in_features. Batch norm,
//     activations, pooling and additions count 0 MACs (they are still listed).
//   - Ops that run before any parameter touches the data (the classifier's input normalization)
//     are not recorded by autograd and so are not listed; they have no parameters and no MACs.
//   - Every parameter counts once in the totals, shared or not, reached in the graph or not; a
//     parameter is attributed to the first row (in forward order) that uses it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnlab/models/classifier.h"

namespace nnlab::models {

struct SummaryOptions {
  // The input is zeros(1, in_channels, height, width); 0 takes the value from model.info().
  std::int64_t in_channels = 0;
  std::int64_t height = 0;
  std::int64_t width = 0;
  // Also list the ops that only move data around (view, reshape, flatten, transpose, ...).
  bool show_shape_ops = false;
};

struct LayerSummary {
  std::string name;                        // see "Row names" above
  std::string type;                        // Conv2d, Linear, BatchNorm2d, ReLU, MaxPool2d, Add, ...
  std::vector<std::int64_t> output_shape;  // batch size 1
  std::int64_t parameters = 0;             // elements of the parameters attributed to this row
  std::int64_t macs = 0;
  std::vector<std::string> parameter_names;  // their PyTorch names, in the model's order
};

struct ModelSummary {
  std::string arch;
  std::vector<std::int64_t> input_shape;  // (1, C, H, W)
  std::vector<LayerSummary> layers;
  std::int64_t total_params = 0;
  std::int64_t trainable_params = 0;  // those with requires_grad when summarize() was called
  std::int64_t total_macs = 0;
  // Parameters and buffers as float32, whatever their dtype: the size to compare models by.
  std::int64_t param_bytes = 0;
  // Parameters the forward pass never used: counted in the totals, in no row.
  std::vector<std::string> unreached_parameters;
};

// Runs one forward pass in eval mode on the model's device. The model is left as it was found
// (training mode, requires_grad flags, no gradients written). Throws core::OptionError for a
// negative input size and std::invalid_argument, naming the model and the input shape, when the
// forward pass fails (an input size the model does not accept).
ModelSummary summarize(Classifier& model, const SummaryOptions& options = {});

}  // namespace nnlab::models
