// Test helper: a StepDecoder whose next-token distribution is a fixed table indexed by the
// previous token, so that every search's result can be worked out by hand.
#pragma once

#include <torch/torch.h>

#include "nnlab/seq2seq/layers/step_decoder.h"
#include "nnlab/text/vocabulary.h"

namespace nnlab::seq2seq::test_util {

// A decoder whose next-token distribution depends only on the previous token, given as a table of
// probabilities over the vocabulary {pad, <s>, </s>, <unk>, a, b}.
class TableDecoder : public StepDecoder {
 public:
  explicit TableDecoder(torch::Tensor probabilities) : log_probs_(probabilities.log()) {}
  DecodingState start(const torch::Tensor& source, const torch::Tensor& lengths) override {
    DecodingState s;
    const auto b = source.size(0);
    s.add("hidden", torch::zeros({1, b, 1}), /*batch_dim=*/1);
    s.add("mask", torch::ones({b, source.size(1)}, torch::kBool), 0, StateRows::kPerSource);
    return s;
  }
  StepOutput step(const torch::Tensor& tokens, const DecodingState& state) override {
    StepOutput out;
    out.logits = log_probs_.index_select(0, tokens);
    out.attention = state.at("mask").to(torch::kFloat) / state.at("mask").size(1);
    out.state = state;
    return out;
  }
  torch::Device device() const override { return torch::kCPU; }

 private:
  torch::Tensor log_probs_;
};

constexpr std::int64_t kA = 4, kB = 5;

// From <s>: a (0.6) or b (0.4). After a: </s> 0.3, a 0.35, b 0.35 (greedy: a, then </s>: 0.18).
// After b: </s> 0.9 (0.36): beam search finds "b", greedy "a ...".
inline torch::Tensor garden_path_table() {
  auto p = torch::full({6, 6}, 1e-9);
  p[Vocabulary::kBegin][kA] = 0.6;
  p[Vocabulary::kBegin][kB] = 0.4;
  p[kA][Vocabulary::kEnd] = 0.3;
  p[kA][kA] = 0.35;
  p[kA][kB] = 0.35;
  p[kB][Vocabulary::kEnd] = 0.9;
  p[kB][kA] = 0.1;
  p[Vocabulary::kEnd][Vocabulary::kEnd] = 1.0;
  return p / p.sum(1, true);
}
inline TableDecoder garden_path() {
  return TableDecoder(garden_path_table());
}

}  // namespace nnlab::seq2seq::test_util
