// The small interface between a sequence model and every search over its outputs (greedy, beam,
// sampling) — and teacher-forced training, which calls the same step. A model starts a state from
// a batch of sources and advances it one output token at a time; rows of the state can be
// selected or repeated (seq2seq/layers/decoding_state.h), which is all a beam needs.
#pragma once

#include <torch/types.h>

#include "nnlab/seq2seq/layers/decoding_state.h"

namespace nnlab::seq2seq {

struct StepOutput {
  torch::Tensor logits;     // B x V: scores of the next token
  torch::Tensor attention;  // B x S: where this step looked (zero at padding)
  DecodingState state;      // after this step
};

class StepDecoder {
 public:
  virtual ~StepDecoder() = default;
  // source: B x S ids; lengths: B int64 on the CPU.
  virtual DecodingState start(const torch::Tensor& source, const torch::Tensor& lengths) = 0;
  // tokens: B ids of the previous output (Vocabulary::kBegin at the first step).
  virtual StepOutput step(const torch::Tensor& tokens, const DecodingState& state) = 0;
  virtual torch::Device device() const = 0;
};

}  // namespace nnlab::seq2seq
