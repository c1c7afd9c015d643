#include "nnlab/seq2seq/decoder.h"

#include <torch/torch.h>

#include "nnlab/seq2seq/vocabulary.h"

namespace nnlab::seq2seq {

namespace {

// Moves the recurrent part of s (hidden, cell, feed) to `rows`.
void select_recurrent(DecodingState& s, const torch::Tensor& rows) {
  if (s.hidden.defined()) s.hidden = s.hidden.index_select(1, rows);
  if (s.cell.defined()) s.cell = s.cell.index_select(1, rows);
  if (s.feed.defined()) s.feed = s.feed.index_select(0, rows);
}

}  // namespace

DecodingState DecodingState::reorder(const torch::Tensor& rows) const {
  DecodingState s = *this;
  for (auto& member : s.members) member = member.reorder(rows);
  select_recurrent(s, rows);
  return s;
}

DecodingState DecodingState::select(const torch::Tensor& rows) const {
  DecodingState s = *this;
  for (auto& member : s.members) member = member.select(rows);
  select_recurrent(s, rows);
  if (memory.defined()) {  // a language model has no memory
    s.memory = memory.index_select(0, rows);
    s.keys = keys.index_select(0, rows);
    s.mask = mask.index_select(0, rows);
  }
  return s;
}

DecoderImpl::DecoderImpl(std::int64_t vocabulary, const ModelOptions& options) : options_(options) {
  const auto h = options.decoder_hidden;
  const auto m = options.encoder_output();
  embedding_ = register_module(
      "embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(vocabulary, options.embedding)
                                            .padding_idx(Vocabulary::kPad)));
  cells_ = register_module("cells", torch::nn::ModuleList());
  for (std::int64_t layer = 0; layer < options.decoder_layers; ++layer) {
    const auto input = layer > 0 ? h : options.embedding + (options.input_feed ? h : 0);
    if (options.cell == "lstm") {
      cells_->push_back(torch::nn::LSTMCell(input, h));
    } else {
      cells_->push_back(torch::nn::GRUCell(input, h));
    }
  }
  bridge_hidden_ =
      register_module("bridge_hidden", torch::nn::Linear(m, h * options.decoder_layers));
  if (options.cell == "lstm") {
    bridge_cell_ = register_module("bridge_cell", torch::nn::Linear(m, h * options.decoder_layers));
  }
  attention_ = register_module("attention", Attention(options.attention, h, m));
  combine_ =
      register_module("combine", torch::nn::Linear(torch::nn::LinearOptions(m + h, h).bias(false)));
  output_ = register_module("output", torch::nn::Linear(h, vocabulary));
  dropout_ = register_module("dropout", torch::nn::Dropout(options.dropout));
}

DecodingState DecoderImpl::initial_state(const EncoderOutput& encoded) {
  const auto batch = encoded.memory.size(0);
  const auto layers = options_.decoder_layers;
  const auto h = options_.decoder_hidden;
  const auto to_layers = [&](const torch::Tensor& x) {
    return torch::tanh(x).view({batch, layers, h}).transpose(0, 1).contiguous();
  };
  DecodingState state;
  state.hidden = to_layers(bridge_hidden_->forward(encoded.final));
  if (bridge_cell_) state.cell = to_layers(bridge_cell_->forward(encoded.final));
  state.feed = torch::zeros({batch, h}, encoded.memory.options());
  state.keys = attention_->precompute(encoded.memory);
  // W_c [context; h] = W_m context + W_h h, and W_m context = sum_s alpha_s (W_m memory_s): the
  // memory is projected once per source here instead of its weighted mean at every step.
  state.memory = torch::nn::functional::linear(
      encoded.memory, combine_->weight.slice(1, 0, options_.encoder_output()));
  state.mask = encoded.mask;
  return state;
}

StepOutput DecoderImpl::step(const torch::Tensor& tokens, const DecodingState& state) {
  auto input = embedding_(tokens);
  if (options_.input_feed) input = torch::cat({input, state.feed}, 1);
  std::vector<torch::Tensor> hidden, cell;
  for (std::int64_t layer = 0; layer < options_.decoder_layers; ++layer) {
    if (layer > 0) input = dropout_(input);
    const auto& module = cells_[static_cast<std::size_t>(layer)];
    if (state.cell.defined()) {
      auto [h, c] = module->as<torch::nn::LSTMCell>()->forward(
          input, std::make_tuple(state.hidden[layer], state.cell[layer]));
      hidden.push_back(h);
      cell.push_back(c);
    } else {
      hidden.push_back(module->as<torch::nn::GRUCell>()->forward(input, state.hidden[layer]));
    }
    input = hidden.back();
  }
  // context: the attention-weighted mean of the projected memory, W_m times the usual context.
  auto [context, weights] = attention_(input, state.keys, state.memory, state.mask);
  const auto attentional = torch::tanh(torch::nn::functional::linear(
      input, combine_->weight.slice(1, options_.encoder_output()), context));
  StepOutput out;
  out.logits = output_(dropout_(attentional));
  out.attention = weights;
  out.state = state;
  out.state.hidden = torch::stack(hidden);
  if (!cell.empty()) out.state.cell = torch::stack(cell);
  out.state.feed = attentional;
  return out;
}

}  // namespace nnlab::seq2seq
