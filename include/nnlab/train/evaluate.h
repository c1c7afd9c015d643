// Evaluation of a classifier on a labelled set: loss, accuracy, per-class accuracy, confusion.
#pragma once

#include <torch/types.h>

#include <vector>

#include "nnlab/data/dataset.h"
#include "nnlab/models/classifier.h"
#include "nnlab/train/process_group.h"

namespace nnlab::train {

struct EvalOptions {
  std::int64_t batch_size = 256;
  bool progress = true;
  std::string label = "eval";
};

struct EvalResult {
  std::int64_t count = 0;
  double loss = 0;                         // mean cross-entropy
  double accuracy = 0;                     // in [0, 1]
  std::vector<double> per_class_accuracy;  // NaN-free: classes without samples get 0 and count 0
  std::vector<std::int64_t> per_class_count;
  torch::Tensor confusion;  // (K, K) int64: rows true class, columns predicted
};

// Runs in eval mode under NoGradGuard on the model's device; restores the training flag.
EvalResult evaluate(models::Classifier& model, const data::Dataset& data,
                    const EvalOptions& options = {});

// The same over the processes of a group: each rank evaluates its contiguous share and every rank
// gets the whole result (confusion matrices summed: exact; the loss up to summation order).
EvalResult evaluate(models::Classifier& model, const data::Dataset& data,
                    const EvalOptions& options, ProcessGroup& group);

// Logits for every image, in order, on the CPU.
torch::Tensor predict_logits(models::Classifier& model, const torch::Tensor& images,
                             std::int64_t batch_size = 256, bool progress = false);

}  // namespace nnlab::train
