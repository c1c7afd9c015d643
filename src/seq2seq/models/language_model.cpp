#include "nnlab/seq2seq/models/language_model.h"

#include <torch/torch.h>

#include "nnlab/core/autocast.h"
#include "nnlab/core/error.h"
#include "nnlab/models/state_dict.h"
#include "nnlab/text/vocabulary.h"

namespace nnlab::seq2seq {

void LanguageModelOptions::validate() const {
  if (cell != "lstm" && cell != "gru")
    throw core::OptionError("LanguageModelOptions.cell", "lstm or gru, not " + cell);
  if (embedding < 1)
    throw core::OptionError("LanguageModelOptions.embedding",
                            "must be >= 1, got " + std::to_string(embedding));
  if (hidden < 1)
    throw core::OptionError("LanguageModelOptions.hidden",
                            "must be >= 1, got " + std::to_string(hidden));
  if (layers < 1)
    throw core::OptionError("LanguageModelOptions.layers",
                            "must be >= 1, got " + std::to_string(layers));
  if (dropout < 0 || dropout >= 1)
    throw core::OptionError("LanguageModelOptions.dropout",
                            "must be in [0, 1), got " + core::number_text(dropout));
}

nlohmann::json LanguageModelOptions::to_json() const {
  return {{"cell", cell},
          {"embedding", embedding},
          {"hidden", hidden},
          {"layers", layers},
          {"dropout", dropout}};
}

LanguageModelOptions LanguageModelOptions::from_json(const nlohmann::json& j,
                                                     const std::string& source) {
  try {
    LanguageModelOptions o;
    o.cell = j.at("cell").get<std::string>();
    o.embedding = j.at("embedding").get<std::int64_t>();
    o.hidden = j.at("hidden").get<std::int64_t>();
    o.layers = j.at("layers").get<std::int64_t>();
    o.dropout = j.at("dropout").get<double>();
    o.validate();
    return o;
  } catch (const nlohmann::json::exception& e) {
    throw core::FileError(source, std::string("bad language model options: ") + e.what());
  } catch (const core::OptionError& e) {
    throw core::FileError(source, std::string("bad language model options: ") + e.what());
  }
}

LanguageModelImpl::LanguageModelImpl(const LanguageModelOptions& options, std::int64_t vocabulary)
    : options_(options) {
  options_.validate();
  embedding_ = register_module(
      "embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(vocabulary, options_.embedding)
                                            .padding_idx(Vocabulary::kPad)));
  dropout_ = register_module("dropout", torch::nn::Dropout(options_.dropout));
  const auto layers = options_.layers;
  const double between = layers > 1 ? options_.dropout : 0.0;
  if (options_.cell == "lstm") {
    lstm_ = register_module(
        "rnn", torch::nn::LSTM(torch::nn::LSTMOptions(options_.embedding, options_.hidden)
                                   .num_layers(layers)
                                   .dropout(between)
                                   .batch_first(true)));
  } else {
    gru_ = register_module("rnn",
                           torch::nn::GRU(torch::nn::GRUOptions(options_.embedding, options_.hidden)
                                              .num_layers(layers)
                                              .dropout(between)
                                              .batch_first(true)));
  }
  output_ = register_module("output", torch::nn::Linear(options_.hidden, vocabulary));
}

std::pair<torch::Tensor, DecodingState> LanguageModelImpl::forward(const torch::Tensor& tokens,
                                                                   const DecodingState& state) {
  // Under bf16 the LSTM's (GRU's) matrix products run in bf16 while its state stays float32 (the
  // recurrence adds float32 terms); the output layer runs in bf16 and its logits come back float32.
  const core::AutocastGuard autocast(precision_, tokens.device().type());
  const auto input = dropout_(embedding_(tokens));
  DecodingState next;
  torch::Tensor output;
  if (lstm_) {
    std::tuple<torch::Tensor, torch::Tensor> out_state;
    if (state.contains("hidden")) {
      std::tie(output, out_state) =
          lstm_(input, std::make_tuple(state.at("hidden"), state.at("cell")));
    } else {
      std::tie(output, out_state) = lstm_(input);
    }
    next.add("hidden", std::get<0>(out_state), /*batch_dim=*/1);
    next.add("cell", std::get<1>(out_state), 1);
  } else {
    torch::Tensor hidden;
    std::tie(output, hidden) =
        state.contains("hidden") ? gru_(input, state.at("hidden")) : gru_(input);
    next.add("hidden", hidden, 1);
  }
  return {output_(dropout_(output)).to(torch::kFloat), next};
}

DecodingState LanguageModelImpl::start(const torch::Tensor& source, const torch::Tensor&) {
  DecodingState state;
  const auto options = torch::TensorOptions().dtype(output_->weight.dtype()).device(device());
  const auto zeros = torch::zeros({options_.layers, source.size(0), options_.hidden}, options);
  state.add("hidden", zeros, /*batch_dim=*/1);
  if (lstm_) state.add("cell", torch::zeros_like(zeros), 1);
  return state;
}

StepOutput LanguageModelImpl::step(const torch::Tensor& tokens, const DecodingState& state) {
  auto [logits, next] = forward(tokens.unsqueeze(1), state);
  StepOutput out;
  out.logits = logits.squeeze(1);
  out.state = std::move(next);
  return out;
}

torch::Device LanguageModelImpl::device() const {
  return output_->weight.device();
}

std::int64_t LanguageModelImpl::parameter_count() const {
  return models::parameter_count(*this);
}

}  // namespace nnlab::seq2seq
