// An RNN language model (the lecture's "床" -> "前" -> ...): embeddings, a stacked GRU or LSTM and
// a softmax over the next token. Training reads whole chunks (forward); generation advances one
// token at a time through the StepDecoder interface, so greedy, sampling and beam search drive it
// like any decoder — its prompt is the search's forced prefix. Its DecodingState: recurrent
// "hidden" and "cell" (LSTM only), layers x B x H.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/rnn.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "nnlab/seq2seq/layers/step_decoder.h"

namespace nnlab::seq2seq {

struct LanguageModelOptions {
  std::string cell = "lstm";  // lstm | gru
  std::int64_t embedding = 256;
  std::int64_t hidden = 512;
  std::int64_t layers = 2;
  double dropout = 0.4;

  void validate() const;  // throws core::OptionError naming the flag
  nlohmann::json to_json() const;
  static LanguageModelOptions from_json(const nlohmann::json& j, const std::string& source);
};

class LanguageModelImpl : public torch::nn::Module, public StepDecoder {
 public:
  LanguageModelImpl(const LanguageModelOptions& options, std::int64_t vocabulary);

  // tokens: B x T ids; state: hidden (and cell) from the previous chunk, or undefined for a
  // fresh start. Returns {logits B x T x V, the state after the chunk}.
  std::pair<torch::Tensor, DecodingState> forward(const torch::Tensor& tokens,
                                                  const DecodingState& state = {});

  // A fresh state for source.size(0) rows (the source itself is not read).
  DecodingState start(const torch::Tensor& source, const torch::Tensor& lengths) override;
  StepOutput step(const torch::Tensor& tokens, const DecodingState& state) override;
  torch::Device device() const override;

  const LanguageModelOptions& options() const { return options_; }
  std::int64_t parameter_count() const;

 private:
  LanguageModelOptions options_;
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::GRU gru_{nullptr};
  torch::nn::Linear output_{nullptr};
};
TORCH_MODULE(LanguageModel);

}  // namespace nnlab::seq2seq
