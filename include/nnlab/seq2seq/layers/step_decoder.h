// The small interface between a sequence model and every search over its outputs (greedy, beam,
// sampling) — and teacher-forced training, which calls the same step. A model starts a state from
// a batch of sources and advances it one output token at a time; rows of the state can be
// selected or repeated (seq2seq/layers/decoding_state.h), which is all a beam needs.
//
// Precision: a model runs start, step and its training pass in the arithmetic set here. bf16 is
// LibTorch's mixed precision (core/autocast.h): float32 master weights, bf16 matrix products;
// logits and attention come out float32 and the recurrent state stays float32, so softmax, the
// search's scores and every loss are float32 whatever the precision.
#pragma once

#include <torch/types.h>

#include "nnlab/core/execution_context.h"
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

  // fp32 (the default) or bf16; a composite (Ensemble) sets its members.
  virtual void set_precision(core::Precision precision) { precision_ = precision; }
  core::Precision precision() const { return precision_; }

 protected:
  core::Precision precision_ = core::Precision::kFp32;
};

// The outputs a search and a loss read, in float32 (a step under bf16 autocast computes its
// logits in bfloat16); float32 tensors are returned as they are, so fp32 is unchanged bit for bit.
StepOutput float_outputs(StepOutput out);

}  // namespace nnlab::seq2seq
