// Rounding-aware early stopping for iterative attacks. With options.round_to_8bit, after every
// step the image that would be saved (q of the projected iterate) is evaluated; images whose
// saved image already succeeds are frozen with exactly that image and drop out of the batch, the
// others go on. At the end the unfinished get the saved image of their last iterate, which the
// last check already judged. So the returned images are the measured ones, on the grid and in the
// ball. Without rounding every image runs every step (the textbook algorithms) and the verdict
// comes from one forward pass on the final iterates.
#pragma once

#include <torch/types.h>

#include <functional>

#include "nnlab/attack/attack.h"
#include "nnlab/models/classifier.h"

namespace nnlab::attack {

class EarlyStop {
 public:
  // adv, clean -> the image that would be saved (quantize_in_ball, or quantize_8bit alone).
  using ToSaved = std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>;

  EarlyStop(torch::Tensor clean, torch::Tensor labels, bool targeted, bool round_to_8bit,
            ToSaved to_saved);

  // (K) int64 indices of the images still attacked.
  const torch::Tensor& active() const { return active_; }
  bool finished() const { return active_.numel() == 0; }

  // adv: the full batch of iterates, of which the active rows were just updated.
  void update(models::Classifier& model, const torch::Tensor& adv);

  // The images to return and their verdicts.
  // verdict false: without rounding, skip the forward pass that judges the final iterates.
  AttackResult finish(models::Classifier& model, const torch::Tensor& adv,
                      bool verdict = true) const;

 private:
  torch::Tensor clean_, labels_;
  bool targeted_;
  bool round_;
  ToSaved to_saved_;
  torch::Tensor active_;   // (K) int64
  torch::Tensor saved_;    // rounding: the last evaluated saved image per image
  torch::Tensor success_;  // rounding: (N) bool, the verdict on saved_
};

}  // namespace nnlab::attack
