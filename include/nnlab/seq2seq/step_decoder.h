// The small interface between a sequence model and every search over its outputs (greedy, beam,
// sampling) — and teacher-forced training, which calls the same step. A model starts a state from
// a batch of sources and advances it one output token at a time; rows of the state can be
// selected or repeated, which is all a beam needs.
#pragma once

#include <torch/types.h>

#include <vector>

namespace nnlab::seq2seq {

// A language model (nothing to attend to) fills only hidden and cell.
struct DecodingState {
  torch::Tensor hidden;  // layers x B x H
  torch::Tensor cell;    // layers x B x H (LSTM; undefined for GRU)
  torch::Tensor feed;    // B x H: the previous attentional state (input feeding)
  torch::Tensor memory;  // B x S x M: the encoder's output, as the decoder averages it
  torch::Tensor keys;    // B x S x K: the memory as the attention reads it
  torch::Tensor mask;    // B x S bool: true at real source positions
  // An ensemble's state (seq2seq/ensemble.h): one state per model, the fields above unused.
  std::vector<DecodingState> members;

  // The state of rows `rows` (int64, any order, repeats allowed), e.g. for beam expansion.
  DecodingState select(const torch::Tensor& rows) const;
  // The same when every row keeps its source (rows[i] holds the same source as row i, as when
  // a beam reorders its own hypotheses): only the recurrent part moves; the memory, by far the
  // largest part, stays where it is.
  DecodingState reorder(const torch::Tensor& rows) const;
};

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
