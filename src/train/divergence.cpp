#include "nnlab/train/divergence.h"

#include <torch/nn/utils/clip_grad.h>

#include <cmath>
#include <sstream>

namespace nnlab::train {

namespace {

std::string describe(const std::string& quantity, double value, const TrainingStep& step) {
  std::ostringstream out;
  out << "training diverged: the " << quantity << " is " << (std::isnan(value) ? "NaN" : "infinite")
      << (step.batch > 0 ? " at epoch " : " after epoch ") << step.epoch;
  if (step.batch > 0) out << ", batch " << step.batch;
  out << "; the learning rate " << step.lr << " is probably too high; ";
  if (step.checkpoint.empty()) {
    out << "no checkpoint written";
  } else {
    out << "last good checkpoint kept: " << step.checkpoint;
  }
  return out.str();
}

}  // namespace

DivergenceError::DivergenceError(const std::string& quantity, double value,
                                 const TrainingStep& step)
    : std::runtime_error(describe(quantity, value, step)),
      quantity_(quantity),
      epoch_(step.epoch),
      batch_(step.batch) {}

void clip_gradients(const std::vector<torch::Tensor>& parameters, double max_norm,
                    const TrainingStep& step) {
  if (max_norm > 0)
    check_finite(torch::nn::utils::clip_grad_norm_(parameters, max_norm), "gradient norm", step);
}

}  // namespace nnlab::train
