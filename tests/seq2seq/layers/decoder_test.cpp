#include "nnlab/seq2seq/layers/decoder.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nnlab/text/batching.h"

namespace nnlab::seq2seq {
namespace {

// One decoder step against Luong's formulas written out from the module's own weights:
// h = LSTMCell([E y; h~_prev], (h0, c0)), alpha = softmax over real positions of
// (W_a memory) . h, context = sum alpha memory, h~ = tanh(W_c [context; h]), logits = W_o h~ + b.
// The decoder applies the memory's half of W_c to the memory once; the result must not change.
TEST(Decoder, StepEqualsTheAttentionFormulas) {
  torch::manual_seed(4);
  ModelOptions o;
  o.embedding = 5;
  o.encoder_hidden = 6;  // memory: 12 wide (two directions)
  o.decoder_hidden = 7;
  o.dropout = 0;
  Decoder decoder(11, o);
  decoder->eval();
  const auto lengths = torch::tensor({4, 2, 3}, torch::kInt64);
  EncoderOutput encoded;
  encoded.memory = torch::randn({3, 4, 12});
  encoded.mask = length_mask(lengths, 4);
  encoded.memory.masked_fill_(encoded.mask.logical_not().unsqueeze(2), 0.0);
  encoded.final = torch::randn({3, 12});
  const auto tokens = torch::tensor({4, 7, 9}, torch::kInt64);

  const auto state = decoder->initial_state(encoded);
  // A second step too, so the fed-back attentional state is checked.
  const auto first = decoder->step(tokens, state);
  const auto second = decoder->step(tokens.flip(0), first.state);

  auto p = decoder->named_parameters();
  const auto step = [&](const torch::Tensor& y, const torch::Tensor& h0, const torch::Tensor& c0,
                        const torch::Tensor& feed) {
    const auto input = torch::cat({p["embedding.weight"].index_select(0, y), feed}, 1);
    const auto gates = torch::matmul(input, p["cells.0.weight_ih"].t()) + p["cells.0.bias_ih"] +
                       torch::matmul(h0, p["cells.0.weight_hh"].t()) + p["cells.0.bias_hh"];
    const auto g = gates.chunk(4, 1);  // input, forget, cell, output
    const auto c = torch::sigmoid(g[1]) * c0 + torch::sigmoid(g[0]) * torch::tanh(g[2]);
    const auto h = torch::sigmoid(g[3]) * torch::tanh(c);
    const auto keys = torch::matmul(encoded.memory, p["attention.memory_projection.weight"].t());
    const auto scores =
        torch::bmm(keys, h.unsqueeze(2))
            .squeeze(2)
            .masked_fill(encoded.mask.logical_not(), -std::numeric_limits<float>::infinity());
    const auto alpha = torch::softmax(scores, 1);
    const auto context = torch::bmm(alpha.unsqueeze(1), encoded.memory).squeeze(1);
    const auto attentional =
        torch::tanh(torch::matmul(torch::cat({context, h}, 1), p["combine.weight"].t()));
    const auto logits = torch::matmul(attentional, p["output.weight"].t()) + p["output.bias"];
    return std::make_tuple(logits, alpha, h, c, attentional);
  };
  torch::NoGradGuard no_grad;
  const auto [logits1, alpha1, h1, c1, feed1] =
      step(tokens, state.at("hidden")[0], state.at("cell")[0], state.at("feed"));
  EXPECT_TRUE(torch::allclose(first.logits, logits1, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(first.attention, alpha1, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(first.state.at("feed"), feed1, 1e-5, 1e-6));
  const auto [logits2, alpha2, h2, c2, feed2] = step(tokens.flip(0), h1, c1, feed1);
  EXPECT_TRUE(torch::allclose(second.logits, logits2, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(second.attention, alpha2, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(second.state.at("hidden")[0], h2, 1e-5, 1e-6));
}

}  // namespace
}  // namespace nnlab::seq2seq
