// The temperature softmax, softmax(z / T): T > 1 flattens a distribution, T < 1 sharpens it.
// One function for every user: knowledge distillation (the teacher's and student's softened
// outputs, Hinton et al. 2015) and sampling from a generator (seq2seq/search).
#pragma once

#include <torch/types.h>

namespace nnlab::train {

// log softmax(logits / temperature) along `dim`; temperature > 0 (TORCH_CHECK).
torch::Tensor temperature_log_softmax(const torch::Tensor& logits, double temperature,
                                      std::int64_t dim = -1);

}  // namespace nnlab::train
