// Structural edits of a model, shared by the compression passes that make them and by the
// checkpoint loader that replays them (ModelInfo::edits):
//   factorize  Linear(N -> M) becomes Layers {"0": Linear(N -> k, no bias), "1": Linear(k -> M)}:
//              W (M x N) ~ U (M x k) . V (k x N), k (M + N) parameters instead of M N.
//   separate   Conv2d(I -> O, k x k, stride s, padding p) becomes Layers {"depthwise": Conv2d(I ->
//              I, k x k, s, p, groups I), ["bn": BatchNorm2d(I), "relu": ReLU,] "pointwise":
//              Conv2d(I -> O, 1 x 1)}: k k I + I O parameters instead of k k I O.
// The new layers are freshly initialized; the pass that made the edit sets their weights.
// Parameter names follow: "fc1.weight" becomes "fc1.0.weight" and "fc1.1.weight"/"fc1.1.bias".
#pragma once

#include <torch/nn/module.h>

#include <string>
#include <vector>

#include "nnlab/models/classifier.h"
#include "nnlab/models/pth_reader.h"

namespace torch::nn {
class Conv2dImpl;
}

namespace nnlab::models {

// A standard convolution: one group and a kernel larger than 1x1 (what "separate" takes).
bool is_standard_conv(const torch::nn::Conv2dImpl& conv);
// A depthwise convolution: one filter per channel (groups = in = out channels, above 1).
bool is_depthwise(const torch::nn::Conv2dImpl& conv);

// Applies one edit to the module tree (replace_layer rules: the layer's parent must be a
// Layers). Throws std::invalid_argument naming the layer when it is missing, of the wrong type
// (factorize needs a Linear, separate a Conv2d with one group and a kernel above 1x1) or when a
// rank is out of (0, min(M, N)).
void apply_edit(torch::nn::Module& root, const LayerEdit& edit);

// Applies edits in order.
void apply_edits(torch::nn::Module& root, const std::vector<LayerEdit>& edits);

// After layer shapes changed (structured pruning, or a checkpoint of a pruned model loading):
// sets every Conv2d's, Linear's and BatchNorm's options to the sizes of its tensors, so that
// printing, summaries and later edits see the real widths. A depthwise convolution stays
// depthwise.
void sync_layer_options(torch::nn::Module& root);

// Makes every parameter and buffer of `root` that `tensors` names take the shape of that tensor
// (the values are left uninitialized: a state_dict load of the same tensors follows), then syncs
// the layer options. For a pruned model's checkpoint. Ranks must agree; throws
// std::invalid_argument naming the tensor otherwise.
void resize_to_shapes(torch::nn::Module& root, const TensorList& tensors);

}  // namespace nnlab::models
