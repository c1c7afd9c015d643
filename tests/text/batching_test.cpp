#include "nnlab/text/batching.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "nnlab/core/error.h"
#include "nnlab/text/vocabulary.h"

namespace nnlab::seq2seq {
namespace {

TEST(Vocabulary, ReservedSymbolsSortedTokensAndJsonRoundTrip) {
  const Tokens a = {"K", "AE", "T"};
  const Tokens b = {"D", "AO", "G", "AE"};
  const auto v = Vocabulary::build({&a, &b});
  EXPECT_EQ(v.size(), 4 + 6);
  EXPECT_EQ(v.token(Vocabulary::kPad), "<pad>");
  EXPECT_EQ(v.token(Vocabulary::kEnd), "</s>");
  EXPECT_EQ(v.id("AE"), 4);  // sorted: AE AO D G K T
  EXPECT_EQ(v.id("T"), 9);
  EXPECT_EQ(v.id("ZH"), Vocabulary::kUnknown);
  EXPECT_EQ(v.encode({"K", "AE", "T"}), (std::vector<std::int64_t>{8, 4, 9}));
  EXPECT_EQ(v.decode({Vocabulary::kBegin, 8, 4, 9, Vocabulary::kEnd, 5}), (Tokens{"K", "AE", "T"}));
  EXPECT_EQ(v.unknown_tokens({"K", "É", "Q", "É"}), (Tokens{"É", "Q"}));
  const auto back = Vocabulary::from_json(v.to_json(), "m.pt");
  EXPECT_EQ(back.to_json(), v.to_json());
  EXPECT_THROW(Vocabulary::from_json(nlohmann::json::array({"a", "b"}), "m.pt"), core::FileError);
  EXPECT_THROW(Vocabulary::from_json(
                   nlohmann::json::array({"<pad>", "<s>", "</s>", "<unk>", "A", "A"}), "m.pt"),
               core::FileError);
}

TEST(Batching, PadsTargetsWithBeginAndEndAndKeepsLengths) {
  std::vector<Example> examples = {{{4, 5, 6}, {7, 8}, 0}, {{4}, {9, 9, 9}, 1}};
  const auto batch = make_batch(examples, {0, 1}, torch::kCPU);
  EXPECT_TRUE(torch::equal(batch.source, torch::tensor({4, 5, 6, 4, 0, 0}).view({2, 3})));
  EXPECT_TRUE(torch::equal(batch.source_lengths, torch::tensor({3, 1})));
  EXPECT_TRUE(
      torch::equal(batch.target_input, torch::tensor({1, 7, 8, 0, 1, 9, 9, 9}).view({2, 4})));
  EXPECT_TRUE(
      torch::equal(batch.target_output, torch::tensor({7, 8, 2, 0, 9, 9, 9, 2}).view({2, 4})));
  EXPECT_EQ(batch.target_tokens(), 7);
  EXPECT_TRUE(torch::equal(length_mask(batch.source_lengths, 3),
                           torch::tensor({true, true, true, true, false, false}).view({2, 3})));
  const auto source_only = make_batch(examples, {1}, torch::kCPU, /*include_target=*/false);
  EXPECT_FALSE(source_only.target_input.defined());
  EXPECT_EQ(source_only.source.sizes(), torch::IntArrayRef({1, 1}));
}

TEST(Batching, BucketsCoverEveryExampleOnceWithSimilarLengths) {
  std::vector<Example> examples;
  for (int i = 0; i < 1000; ++i) {
    const auto length = static_cast<std::size_t>(1 + (i * 7919) % 20);
    examples.push_back({std::vector<std::int64_t>(length, 4), {5}, i});
  }
  BucketOptions o;
  o.batch_size = 32;
  o.pool_batches = 100;  // one pool: batches are fully sorted
  o.seed = 11;
  const auto batches = bucket_batches(examples, o);
  std::multiset<std::int64_t> seen;
  std::size_t spread = 0;
  for (const auto& b : batches) {
    EXPECT_LE(b.size(), 32u);
    std::size_t lo = 100, hi = 0;
    for (const auto i : b) {
      seen.insert(i);
      lo = std::min(lo, examples[static_cast<std::size_t>(i)].source.size());
      hi = std::max(hi, examples[static_cast<std::size_t>(i)].source.size());
    }
    spread = std::max(spread, hi - lo);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(std::set<std::int64_t>(seen.begin(), seen.end()).size(), 1000u);
  EXPECT_LE(spread, 1u);  // 50 examples per length, 32 per batch: at most two lengths meet
  // The same seed gives the same batches, another seed another order.
  EXPECT_EQ(bucket_batches(examples, o), batches);
  o.seed = 12;
  EXPECT_NE(bucket_batches(examples, o), batches);
}

}  // namespace
}  // namespace nnlab::seq2seq
