// Divergence is not success: a NaN or infinite loss or gradient norm stops training with a
// DivergenceError that names the quantity, the step (epoch and batch) and the likely cause. Every
// trainer (classifier, seq2seq, language model, caption) checks the values it reads anyway (the
// loss it sums for its metrics, the gradient norm that clipping returns: clip_gradients), so the
// check costs no extra device synchronisation. Trainers write checkpoints only after a completed
// epoch, so the last good checkpoint stays untouched and none of the diverged state is written.
#pragma once

#include <torch/types.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace nnlab::train {

// Where a run is, for the message.
struct TrainingStep {
  int epoch = 0;                // 1-based
  std::int64_t batch = 0;       // 1-based within the epoch; 0: after it (a dev metric)
  double lr = 0;                // the learning rate of the step
  std::string_view checkpoint;  // the last good checkpoint on disk; empty: none written
};

class DivergenceError : public std::runtime_error {
 public:
  // quantity: what was read, e.g. "loss" or "gradient norm".
  DivergenceError(const std::string& quantity, double value, const TrainingStep& step);
  const std::string& quantity() const { return quantity_; }
  int epoch() const { return epoch_; }
  std::int64_t batch() const { return batch_; }

 private:
  std::string quantity_;
  int epoch_;
  std::int64_t batch_;
};

// Throws DivergenceError when value is NaN or infinite.
inline void check_finite(double value, const char* quantity, const TrainingStep& step) {
  if (!std::isfinite(value)) throw DivergenceError(quantity, value, step);
}

// Clips the gradients of `parameters` to a total 2-norm of max_norm (0: leaves them) and checks
// the norm that clipping computes anyway; throws DivergenceError when it is NaN or infinite,
// before an optimizer step could spread it into the weights.
void clip_gradients(const std::vector<torch::Tensor>& parameters, double max_norm,
                    const TrainingStep& step);

}  // namespace nnlab::train
