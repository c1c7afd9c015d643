#include "nnlab/seq2seq/layers/attention.h"

#include <torch/torch.h>

namespace nnlab::seq2seq {

AttentionImpl::AttentionImpl(std::string kind, std::int64_t query_size, std::int64_t memory_size)
    : kind_(std::move(kind)) {
  if (kind_ == "additive") {
    memory_projection_ = register_module(
        "memory_projection",
        torch::nn::Linear(torch::nn::LinearOptions(memory_size, query_size).bias(false)));
    query_projection_ =
        register_module("query_projection", torch::nn::Linear(query_size, query_size));
    v_ = register_module("v",
                         torch::nn::Linear(torch::nn::LinearOptions(query_size, 1).bias(false)));
  } else if (kind_ == "general") {
    memory_projection_ = register_module(
        "memory_projection",
        torch::nn::Linear(torch::nn::LinearOptions(memory_size, query_size).bias(false)));
  } else {
    TORCH_CHECK(kind_ == "dot", "attention: additive, dot or general, not ", kind_);
    TORCH_CHECK(query_size == memory_size, "dot attention needs query size ", query_size,
                " to equal memory size ", memory_size);
  }
}

torch::Tensor AttentionImpl::precompute(const torch::Tensor& memory) {
  return memory_projection_ ? memory_projection_->forward(memory) : memory;
}

std::pair<torch::Tensor, torch::Tensor> AttentionImpl::forward(const torch::Tensor& query,
                                                               const torch::Tensor& keys,
                                                               const torch::Tensor& memory,
                                                               const torch::Tensor& mask) {
  torch::Tensor scores;  // B x S
  if (kind_ == "additive") {
    const auto q = query_projection_(query).unsqueeze(1);  // B x 1 x Q
    scores = v_(torch::tanh(keys + q)).squeeze(2);
  } else {
    scores = torch::bmm(keys, query.unsqueeze(2)).squeeze(2);
  }
  // The softmax in float32 (bf16 autocast computes the scores in bfloat16 and, on the CPU of
  // LibTorch 1.13, would leave the softmax in it); a no-op in fp32.
  scores = scores.to(torch::kFloat)
               .masked_fill(mask.logical_not(), -std::numeric_limits<float>::infinity());
  const auto weights = torch::softmax(scores, /*dim=*/1);
  const auto context = torch::bmm(weights.unsqueeze(1), memory).squeeze(1);
  return {context, weights};
}

}  // namespace nnlab::seq2seq
