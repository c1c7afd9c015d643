// Unstructured pruning state: a 0/1 mask per pruned weight tensor. Applying it zeroes the pruned
// weights; during fine-tuning their gradients are masked before the optimizer step and the
// weights re-zeroed after it (momentum and weight decay cannot revive them), so pruned weights
// stay exactly zero. Masks travel in the checkpoint (docs/FORMAT.md: mask.<name>).
#pragma once

#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

#include "nnlab/models/checkpoint.h"
#include "nnlab/models/classifier.h"
#include "nnlab/train/trainer.h"

namespace nnlab::compress {

struct SparsityStats {
  std::int64_t masked_weights = 0;  // weights in tensors that have a mask
  std::int64_t pruned = 0;          // of those, masked out
  std::int64_t parameters = 0;      // all parameters of the model
  double sparsity() const;          // pruned / masked_weights
  std::int64_t remaining_parameters() const { return parameters - pruned; }
};

class PruningMasks {
 public:
  PruningMasks() = default;
  explicit PruningMasks(models::TensorList masks) : masks_(std::move(masks)) {}

  bool empty() const { return masks_.empty(); }
  const models::TensorList& masks() const { return masks_; }
  // The mask of a parameter; undefined when it has none.
  torch::Tensor mask_of(const std::string& name) const;

  // Zeroes the pruned weights. Throws std::invalid_argument for a mask whose parameter the
  // model lacks or whose shape differs.
  void apply(models::Classifier& model) const;
  // Multiplies the gradients of masked parameters by their masks.
  void mask_gradients(models::Classifier& model) const;
  SparsityStats stats(const models::Classifier& model) const;

  // after_backward masks gradients, after_step re-applies the masks.
  train::TrainHooks hooks() const;

  static PruningMasks from_checkpoint(const models::Checkpoint& checkpoint) {
    return PruningMasks(checkpoint.masks);
  }
  void to_checkpoint(models::Checkpoint& checkpoint) const { checkpoint.masks = masks_; }

 private:
  models::TensorList masks_;  // name -> float 0/1 mask of the parameter's shape
};

}  // namespace nnlab::compress
