// Structured pruning: whole neurons and convolution filters are removed, and the model is
// rebuilt physically smaller -- an ordinary dense model that is faster on any device, unlike
// weight pruning's zeros (Li et al., "Pruning Filters for Efficient ConvNets", 2017; Liu et al.,
// "Learning Efficient Convolutional Networks through Network Slimming", 2017, for BatchNorm
// gamma as the importance).
//
// A channel group is the set of tensors that one choice of channels cuts:
//   producers  Conv2d / Linear whose output channels (weight dim 0, bias) the group is;
//   followers  BatchNorms and depthwise convolutions acting channel by channel on them;
//   consumers  Conv2d / Linear reading them (weight dim 1); a Linear after a flatten reads
//              `spatial` columns per channel (the cnn's 64 x 7 x 7 -> 256).
// Chains of layers (lenet300, lenet5, cnn, vgg, mobilenet) get one group per producer, found
// from the summary's forward order. ResNets get the groups the residual additions tie: inside
// each block (conv1 -> conv2 [-> conv3]) one group per inner convolution, and per stage one
// group holding every block's last convolution, the downsample and the stem (for a first stage
// without downsample), consumed by every block's first convolution, the next stage's
// downsample and fc. The final classifier layer's outputs are never pruned. Other structures
// (DenseNet's concatenations) are refused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnlab/models/classifier.h"

namespace nnlab::compress {

struct ChannelConsumer {
  std::string layer;
  std::int64_t spatial = 1;  // input columns per channel (a Linear after a flatten)
};

struct ChannelGroup {
  std::string name;  // its first producer
  std::int64_t channels = 0;
  std::vector<std::string> producers;
  std::vector<std::string> followers;
  std::vector<ChannelConsumer> consumers;
};

// Throws core::OptionError for a TorchScript model or an unsupported structure.
std::vector<ChannelGroup> channel_groups(models::Classifier& model);

struct ChannelPruningOptions {
  double ratio = 0.3;             // fraction of each group's channels removed, in (0, 1)
  std::string importance = "l1";  // l1 | l2 (norm of each filter / neuron) | bn (|gamma|)
  // Groups (by name) to prune; empty: every group (with bn importance: every group that has a
  // BatchNorm, as network slimming does).
  std::vector<std::string> layers;
};

// Channels kept of `channels` at `ratio`: round(channels (1 - ratio)), at least 1.
std::int64_t channels_kept(std::int64_t channels, double ratio);

// Per channel of a group, the sum over its producers of the filter norm (l1, l2) or over its
// BatchNorm followers of |gamma| (bn).
torch::Tensor channel_importance(models::Classifier& model, const ChannelGroup& group,
                                 const std::string& importance);

// MACs per image of the model after pruning `ratio` of the selected groups, without changing
// it: every convolution's and Linear's MACs scale with the fraction of its input and output
// channels kept.
std::int64_t macs_after_channel_pruning(models::Classifier& model,
                                        const ChannelPruningOptions& options);

// The smallest ratio (to 1e-3) whose MACs are at most target_macs; throws core::OptionError when
// even pruning all but one channel per group is not enough.
double ratio_for_macs(models::Classifier& model, std::int64_t target_macs,
                      ChannelPruningOptions options);

struct PrunedGroup {
  std::string name;
  std::int64_t before = 0, after = 0;
};

// Removes the least important channels of each selected group, in place: every tensor of the
// group shrinks and the layers' options follow. Sets model.info().widths_from_weights, so that
// a checkpoint of the result reloads. Throws core::OptionError for a ratio outside (0, 1), an
// unknown importance, a group name the model lacks, or bn importance on a group without
// BatchNorm.
std::vector<PrunedGroup> prune_channels(models::Classifier& model,
                                        const ChannelPruningOptions& options);

}  // namespace nnlab::compress
