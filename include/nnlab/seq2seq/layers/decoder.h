// The decoder of the attention encoder-decoder (Luong et al. 2015): at each step the previous
// token's embedding (and, with input feeding, the previous attentional state) enters a stack of
// GRU/LSTM cells; the top state attends over the memory; the attentional state
// h~ = tanh(W_c [context; h]) gives the next token's logits. The initial state is a learned
// projection (bridge) of the encoder's final state. The memory's half of W_c is applied to the
// memory once, when the state starts (the state's "memory" holds the projected memory), rather
// than to the context at every step: the same function, 512 x 256 fewer multiply-adds per step
// and hypothesis for the G2P model.
// Its DecodingState entries: recurrent "hidden" and "cell" (LSTM only), layers x B x H, and
// "feed" B x H (the previous attentional state); per source "memory" B x S x M, "keys" B x S x K
// (the memory as the attention reads it) and "mask" B x S bool (true at real positions).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include "nnlab/seq2seq/layers/attention.h"
#include "nnlab/seq2seq/layers/encoder.h"
#include "nnlab/seq2seq/layers/model_options.h"
#include "nnlab/seq2seq/layers/step_decoder.h"

namespace nnlab::seq2seq {

class DecoderImpl : public torch::nn::Module {
 public:
  DecoderImpl(std::int64_t vocabulary, const ModelOptions& options);
  DecodingState initial_state(const EncoderOutput& encoded);
  StepOutput step(const torch::Tensor& tokens, const DecodingState& state);

 private:
  ModelOptions options_;
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::ModuleList cells_{nullptr};
  torch::nn::Linear bridge_hidden_{nullptr};
  torch::nn::Linear bridge_cell_{nullptr};
  Attention attention_{nullptr};
  torch::nn::Linear combine_{nullptr};  // W_c
  torch::nn::Linear output_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(Decoder);

}  // namespace nnlab::seq2seq
