// A classifier as every algorithm sees it: pixels in [0,1] in, logits out. The model's own
// input normalization (ImageNet mean/std, ...) lives inside, so attacks work in pixel space.
// Backed by a native LibTorch module (the zoo) or by a TorchScript module (bring your own).
#pragma once

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "nnlab/core/execution_context.h"

namespace torch::nn {
class Module;
class AnyModule;
}  // namespace torch::nn
namespace torch::jit {
struct Module;
}

namespace nnlab::models {

// A structural change a compression pass made to a zoo model (models/layer_surgery.h), kept in
// the model's info so that a checkpoint rebuilds the same structure before its weights load.
struct LayerEdit {
  std::string op;           // "factorize" (a Linear into two) or "separate" (a conv into dw + pw)
  std::string layer;        // the module path, e.g. "fc1", "features.3"
  std::int64_t rank = 0;    // factorize: inner dimension
  bool batch_norm = false;  // separate: BatchNorm and ReLU between depthwise and pointwise
};

struct ModelInfo {
  std::string arch;  // registry name, or "torchscript"
  std::int64_t num_classes = 10;
  std::int64_t in_channels = 1;
  std::int64_t height = 28;  // the input size the model expects
  std::int64_t width = 28;
  std::vector<double> mean;  // per-channel normalization; empty: identity
  std::vector<double> std;
  std::vector<std::string> class_names;  // index -> name, when known (checkpoints carry them)
  std::vector<LayerEdit> edits;          // applied in order after the registry builds the model
  // Structured pruning: layer widths differ from the registry's; they are taken from the
  // weights when a checkpoint loads.
  bool widths_from_weights = false;
};

class Classifier {
 public:
  Classifier(torch::nn::AnyModule net, ModelInfo info);
  Classifier(torch::jit::Module script, ModelInfo info);
  // An ensemble of classifiers with the same classes and input size, each normalizing its own
  // input. Its logits are the log of the members' mean softmax (so its argmax is the
  // mean-probability vote); attacks ascend the mean of the members' losses (member_logits).
  static Classifier ensemble(std::vector<Classifier> members);
  // An ensemble's logits from its members': log mean_k softmax(z_k); one member's as they are.
  static torch::Tensor combine_member_logits(const std::vector<torch::Tensor>& logits);

  // (N, C, H, W) pixels in [0,1] -> (N, num_classes) logits.
  torch::Tensor forward(const torch::Tensor& pixels);
  torch::Tensor operator()(const torch::Tensor& pixels) { return forward(pixels); }
  // Each member's logits for an ensemble; {forward(pixels)} for a single model.
  std::vector<torch::Tensor> member_logits(const torch::Tensor& pixels);
  // The members of an ensemble; empty for a single model.
  const std::vector<Classifier>& members() const;

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const;
  void to(const torch::Device& device);
  torch::Device device() const;
  // The context's device and precision, the way every command places the model it runs.
  void to(const core::ExecutionContext& context);

  // The arithmetic of forward(). bf16 runs the net under autocast (core/autocast.h) with its 4-D
  // weights and its input in channels-last memory, which is what oneDNN's bf16 convolutions want;
  // fp32 puts the weights back in contiguous memory, so fp32 arithmetic is bit for bit what it
  // was. Logits come out float32 either way, and the normalization of the input stays float32.
  // Shared by copies, like the net; an ensemble sets its members.
  void set_precision(core::Precision precision);
  core::Precision precision() const;

  std::vector<torch::Tensor> parameters() const;
  // Parameters and buffers by their PyTorch names ("features.0.weight").
  std::vector<std::pair<std::string, torch::Tensor>> named_parameters() const;
  std::vector<std::pair<std::string, torch::Tensor>> named_buffers() const;

  // Parameters and buffers of an ensemble are those of its members, prefixed "<index>.".
  // The native module (nullptr for TorchScript and ensembles).
  std::shared_ptr<torch::nn::Module> module() const;
  bool is_script() const;
  const ModelInfo& info() const { return info_; }
  ModelInfo& info() { return info_; }

 private:
  struct Impl;
  Classifier(std::shared_ptr<Impl> impl, ModelInfo info);
  std::shared_ptr<Impl> impl_;
  ModelInfo info_;
  torch::Tensor mean_, std_;  // (1, C, 1, 1) or undefined
};

}  // namespace nnlab::models
