// The encoder of the attention encoder-decoder: embeddings, then a (bidirectional, stacked) GRU or
// LSTM over packed sequences, so padding never enters the recurrence of either direction (a batch
// without padding runs unpacked, which is faster and gives the same result).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/rnn.h>

#include "nnlab/seq2seq/layers/model_options.h"

namespace nnlab::seq2seq {

struct EncoderOutput {
  torch::Tensor memory;  // B x S x encoder_output(): one vector per source position
  torch::Tensor mask;    // B x S bool: true at real positions
  torch::Tensor final;   // B x encoder_output(): top layer's last forward and first backward state
};

class EncoderImpl : public torch::nn::Module {
 public:
  EncoderImpl(std::int64_t vocabulary, const ModelOptions& options);
  // source: B x S token ids; lengths: B (int64, on the CPU), each >= 1.
  EncoderOutput forward(const torch::Tensor& source, const torch::Tensor& lengths);

 private:
  ModelOptions options_;
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::GRU gru_{nullptr};
};
TORCH_MODULE(Encoder);

}  // namespace nnlab::seq2seq
