#include "nnlab/train/temperature.h"

#include <ATen/ops/log_softmax.h>

namespace nnlab::train {

torch::Tensor temperature_log_softmax(const torch::Tensor& logits, double temperature,
                                      std::int64_t dim) {
  TORCH_CHECK(temperature > 0, "temperature must be > 0, got ", temperature);
  return at::log_softmax(temperature == 1.0 ? logits : logits / temperature, dim);
}

}  // namespace nnlab::train
