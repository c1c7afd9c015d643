#include "nnlab/seq2seq/layers/attention.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nnlab/seq2seq/attention_regularizer.h"
#include "nnlab/seq2seq/models/seq2seq_model.h"
#include "nnlab/text/batching.h"

namespace nnlab::seq2seq {
namespace {

TEST(Attention, PaddedPositionsGetZeroAndEachStepSumsToOne) {
  torch::manual_seed(0);
  const auto lengths = torch::tensor({5, 2, 3}, torch::kInt64);
  const auto mask = length_mask(lengths, 5);
  for (const std::string kind : {"additive", "dot", "general"}) {
    Attention attention(kind, 6, 6);
    const auto memory = torch::randn({3, 5, 6});
    const auto query = torch::randn({3, 6});
    const auto keys = attention->precompute(memory);
    auto [context, weights] = attention(query, keys, memory, mask);
    ASSERT_EQ(weights.sizes(), torch::IntArrayRef({3, 5})) << kind;
    EXPECT_TRUE(torch::allclose(weights.sum(1), torch::ones({3}), 1e-5, 1e-6)) << kind;
    EXPECT_EQ(weights.masked_select(mask.logical_not()).abs().max().item<float>(), 0.0f) << kind;
    EXPECT_GT(weights.masked_select(mask).min().item<float>(), 0.0f) << kind;
    // The context is the weighted mean of the memory rows.
    const auto expected = (weights.unsqueeze(2) * memory).sum(1);
    EXPECT_TRUE(torch::allclose(context, expected, 1e-5, 1e-6)) << kind;
  }
}

TEST(Attention, ModelAttentionIgnoresPaddingAndPaddingDoesNotChangeOutputs) {
  torch::manual_seed(1);
  ModelOptions o;
  o.embedding = 8;
  o.encoder_hidden = 8;
  o.decoder_hidden = 8;
  o.dropout = 0;
  Seq2Seq model(o, 10, 9);
  model->eval();
  torch::NoGradGuard no_grad;
  std::vector<Example> examples = {{{4, 5, 6}, {4, 5}, 0}, {{7, 8, 9, 4, 5, 6}, {6, 7, 8}, 1}};
  const auto batch = make_batch(examples, {0, 1}, torch::kCPU);
  const auto out = model->forward(batch);
  // B x T x S: the first source has 3 real positions out of 6.
  const auto first = out.attention[0];
  EXPECT_EQ(first.slice(1, 3).abs().max().item<float>(), 0.0f);
  EXPECT_TRUE(
      torch::allclose(out.attention.sum(2), torch::ones({2, out.attention.size(1)}), 1e-5, 1e-6));
  // The first example alone (no padding) gives the same logits at its real steps.
  const auto alone = model->forward(make_batch(examples, {0}, torch::kCPU));
  const auto steps = alone.logits.size(1);
  EXPECT_TRUE(torch::allclose(alone.logits[0], out.logits[0].slice(0, 0, steps), 1e-4, 1e-5));
}

TEST(AttentionRegularizer, EqualsAHandComputedValue) {
  // Two output steps over three source positions, one padded output step and one padded source.
  // attention[0]: t0 = (0.5, 0.5, 0), t1 = (0.2, 0.8, 0), t2 (padded) = (1, 0, 0).
  auto attention =
      torch::tensor({0.5f, 0.5f, 0.0f, 0.2f, 0.8f, 0.0f, 1.0f, 0.0f, 0.0f}).view({1, 3, 3});
  const auto source_mask = torch::tensor({true, true, false}).view({1, 3});
  const auto target_mask = torch::tensor({true, true, false}).view({1, 3});
  // Received: (0.7, 1.3); tau 1: (0.3^2 + 0.3^2) = 0.18. tau 2: 1.3^2 + 0.7^2 = 2.18.
  EXPECT_NEAR(attention_regularizer(attention, source_mask, target_mask, 1.0).item<float>(), 0.18,
              1e-6);
  EXPECT_NEAR(attention_regularizer(attention, source_mask, target_mask, 2.0).item<float>(), 2.18,
              1e-5);
  // A batch of two: the mean of the per-sequence sums (the second is perfect: 0).
  auto two = torch::cat(
      {attention,
       torch::tensor({1.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f, 0.0f, 1.0f}).view({1, 3, 3})});
  const auto all = torch::ones({1, 3}, torch::kBool);
  EXPECT_NEAR(attention_regularizer(two, torch::cat({source_mask, all}),
                                    torch::cat({target_mask, all}), 1.0)
                  .item<float>(),
              0.09, 1e-6);
  EXPECT_THROW(attention_regularizer(attention, all.view({3, 1}), target_mask), c10::Error);
}

}  // namespace
}  // namespace nnlab::seq2seq
