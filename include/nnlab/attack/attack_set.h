// Runs an attack over a whole labelled set in batches: only the images the model classifies
// correctly are attacked (the others are returned unchanged, distance 0), with a progress bar.
#pragma once

#include <torch/types.h>

#include "nnlab/attack/attack.h"
#include "nnlab/models/classifier.h"

namespace nnlab::attack {

struct AttackSetOptions {
  std::int64_t batch_size = 64;
  bool skip_misclassified = true;
  bool progress = true;
  std::string label = "attack";
};

// images (N,C,H,W) [0,1] on the CPU; labels: true classes; targets: the target classes for a
// targeted attack (undefined otherwise). Returns the adversarial images on the CPU.
torch::Tensor attack_set(Attack& attack, models::Classifier& model, const torch::Tensor& images,
                         const torch::Tensor& labels, const torch::Tensor& targets = {},
                         const AttackSetOptions& options = {});

}  // namespace nnlab::attack
