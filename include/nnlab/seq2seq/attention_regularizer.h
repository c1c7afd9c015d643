// The doubly stochastic attention regularizer of Show, Attend and Tell (Xu et al. 2015):
//   sum over source positions i of (tau - sum over output steps t of alpha_t^i)^2,
// which asks every input position to receive about tau attention over the whole output (for
// G2P: every letter is read about once). Padded source positions and padded output steps do not
// count. Returned as the mean over the batch of each sequence's sum.
#pragma once

#include <torch/types.h>

namespace nnlab::seq2seq {

// attention: B x T x S; source_mask: B x S bool; target_mask: B x T bool.
torch::Tensor attention_regularizer(const torch::Tensor& attention,
                                    const torch::Tensor& source_mask,
                                    const torch::Tensor& target_mask, double tau = 1.0);

}  // namespace nnlab::seq2seq
