#include "nnlab/seq2seq/layers/decoder.h"

#include <torch/torch.h>

#include "nnlab/text/vocabulary.h"

namespace nnlab::seq2seq {

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
  // The recurrent state in the weights' dtype (float32): under bf16 autocast the bridges compute
  // in bfloat16, and a bfloat16 state would keep the cells' whole recurrence in bfloat16.
  const auto dtype = bridge_hidden_->weight.scalar_type();
  const auto to_layers = [&](const torch::Tensor& x) {
    return torch::tanh(x).view({batch, layers, h}).transpose(0, 1).contiguous().to(dtype);
  };
  DecodingState state;
  state.add("hidden", to_layers(bridge_hidden_->forward(encoded.final)), /*batch_dim=*/1);
  if (bridge_cell_) state.add("cell", to_layers(bridge_cell_->forward(encoded.final)), 1);
  state.add("feed", torch::zeros({batch, h}, encoded.memory.options()), 0);
  state.add("keys", attention_->precompute(encoded.memory), 0, StateRows::kPerSource);
  // W_c [context; h] = W_m context + W_h h, and W_m context = sum_s alpha_s (W_m memory_s): the
  // memory is projected once per source here instead of its weighted mean at every step.
  state.add("memory",
            torch::nn::functional::linear(encoded.memory,
                                          combine_->weight.slice(1, 0, options_.encoder_output())),
            0, StateRows::kPerSource);
  state.add("mask", encoded.mask, 0, StateRows::kPerSource);
  return state;
}

StepOutput DecoderImpl::step(const torch::Tensor& tokens, const DecodingState& state) {
  auto input = embedding_(tokens);
  if (options_.input_feed) input = torch::cat({input, state.at("feed")}, 1);
  const auto& previous = state.at("hidden");
  std::vector<torch::Tensor> hidden, cell;
  for (std::int64_t layer = 0; layer < options_.decoder_layers; ++layer) {
    if (layer > 0) input = dropout_(input);
    const auto& module = cells_[static_cast<std::size_t>(layer)];
    if (state.contains("cell")) {
      auto [h, c] = module->as<torch::nn::LSTMCell>()->forward(
          input, std::make_tuple(previous[layer], state.at("cell")[layer]));
      hidden.push_back(h);
      cell.push_back(c);
    } else {
      hidden.push_back(module->as<torch::nn::GRUCell>()->forward(input, previous[layer]));
    }
    input = hidden.back();
  }
  // context: the attention-weighted mean of the projected memory, W_m times the usual context.
  auto [context, weights] =
      attention_(input, state.at("keys"), state.at("memory"), state.at("mask"));
  const auto attentional = torch::tanh(torch::nn::functional::linear(
      input, combine_->weight.slice(1, options_.encoder_output()), context));
  StepOutput out;
  out.logits = output_(dropout_(attentional));
  out.attention = weights;
  out.state = state;
  out.state.set("hidden", torch::stack(hidden));
  if (!cell.empty()) out.state.set("cell", torch::stack(cell));
  out.state.set("feed", attentional);
  return out;
}

}  // namespace nnlab::seq2seq
