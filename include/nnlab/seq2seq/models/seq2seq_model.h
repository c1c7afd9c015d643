// The attention encoder-decoder: an Encoder, a Decoder, and the teacher-forced (or scheduled-
// sampling) pass that training uses. Searches drive it through StepDecoder.
#pragma once

#include <torch/nn/module.h>

#include "nnlab/seq2seq/layers/decoder.h"
#include "nnlab/seq2seq/layers/encoder.h"
#include "nnlab/seq2seq/layers/model_options.h"
#include "nnlab/seq2seq/layers/step_decoder.h"
#include "nnlab/text/batching.h"

namespace nnlab::seq2seq {

struct SequenceOutput {
  torch::Tensor logits;     // B x T x V
  torch::Tensor attention;  // B x T x S
};

// The decoder pass of training, for any StepDecoder from a started state: step t reads
// target_input[:, t] (B x T: <s> y1 .. yn), or, with probability 1 - teacher_forcing after the
// first step, the row's own previous prediction (argmax, no gradient: scheduled sampling).
SequenceOutput decode_teacher_forced(StepDecoder& decoder, DecodingState state,
                                     const torch::Tensor& target_input,
                                     double teacher_forcing = 1.0);

class Seq2SeqImpl : public torch::nn::Module, public StepDecoder {
 public:
  Seq2SeqImpl(const ModelOptions& options, std::int64_t source_vocabulary,
              std::int64_t target_vocabulary);

  // Runs the decoder over batch.target_input. At each step after the first, each row feeds the
  // model's own previous prediction (argmax, no gradient) instead of the reference token with
  // probability 1 - teacher_forcing (scheduled sampling, Bengio et al. 2015).
  SequenceOutput forward(const Batch& batch, double teacher_forcing = 1.0);

  DecodingState start(const torch::Tensor& source, const torch::Tensor& lengths) override;
  StepOutput step(const torch::Tensor& tokens, const DecodingState& state) override;
  torch::Device device() const override;

  const ModelOptions& options() const { return options_; }
  std::int64_t parameter_count() const;

 private:
  ModelOptions options_;
  Encoder encoder_{nullptr};
  Decoder decoder_{nullptr};
};
TORCH_MODULE(Seq2Seq);

}  // namespace nnlab::seq2seq
