// Attention over the encoder's memory, masked so padded positions get exactly zero weight:
//   additive (Bahdanau et al. 2015):  score(h, m) = v' tanh(W_q h + W_m m)
//   dot      (Luong et al. 2015):     score(h, m) = h' m
//   general  (Luong et al. 2015):     score(h, m) = h' W m
// The memory-side projection does not change during decoding, so it is computed once
// (precompute) and carried in the decoding state.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

#include <string>
#include <utility>

namespace nnlab::seq2seq {

class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(std::string kind, std::int64_t query_size, std::int64_t memory_size);
  // memory: B x S x M -> keys, the memory as each score function reads it.
  torch::Tensor precompute(const torch::Tensor& memory);
  // query: B x Q; keys from precompute; memory: B x S x M; mask: B x S (true: real position).
  // Returns {context B x M, weights B x S}; each row of weights sums to 1 over the real positions.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& query,
                                                  const torch::Tensor& keys,
                                                  const torch::Tensor& memory,
                                                  const torch::Tensor& mask);
  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
  torch::nn::Linear memory_projection_{nullptr};  // additive: W_m; general: W (memory side)
  torch::nn::Linear query_projection_{nullptr};   // additive: W_q
  torch::nn::Linear v_{nullptr};                  // additive: v
};
TORCH_MODULE(Attention);

}  // namespace nnlab::seq2seq
