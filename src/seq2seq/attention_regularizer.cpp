#include "nnlab/seq2seq/attention_regularizer.h"

#include <torch/torch.h>

namespace nnlab::seq2seq {

torch::Tensor attention_regularizer(const torch::Tensor& attention,
                                    const torch::Tensor& source_mask,
                                    const torch::Tensor& target_mask, double tau) {
  TORCH_CHECK(attention.dim() == 3, "attention must be B x T x S, got ", attention.sizes());
  TORCH_CHECK(source_mask.sizes() == torch::IntArrayRef({attention.size(0), attention.size(2)}),
              "source mask ", source_mask.sizes(), " does not match attention ", attention.sizes());
  TORCH_CHECK(target_mask.sizes() == torch::IntArrayRef({attention.size(0), attention.size(1)}),
              "target mask ", target_mask.sizes(), " does not match attention ", attention.sizes());
  const auto received = (attention * target_mask.unsqueeze(2).to(attention.dtype())).sum(1);
  const auto penalty = (tau - received).pow(2) * source_mask.to(attention.dtype());
  return penalty.sum(1).mean();
}

}  // namespace nnlab::seq2seq
