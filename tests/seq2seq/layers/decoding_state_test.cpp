#include "nnlab/seq2seq/layers/decoding_state.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nnlab/seq2seq/decoding/ensemble.h"
#include "nnlab/seq2seq/decoding/search.h"
#include "nnlab/text/vocabulary.h"

namespace nnlab::seq2seq {
namespace {

using Tokens = std::vector<std::int64_t>;

constexpr std::int64_t kA = 4, kB = 5;

// hidden: layers (2) x B (3) x H (1), batch along dimension 1; memory B x S (2), per source.
DecodingState three_rows() {
  DecodingState s;
  s.add("hidden", torch::arange(6, torch::kFloat).view({2, 3, 1}), /*batch_dim=*/1);
  s.add("memory", torch::arange(6, torch::kFloat).view({3, 2}) * 10, 0, StateRows::kPerSource);
  return s;
}

TEST(DecodingState, SelectMovesEveryEntryAlongItsBatchDimension) {
  auto state = three_rows();
  state.members = {three_rows()};
  const auto rows = torch::tensor({2, 0, 0}, torch::kInt64);
  const auto selected = state.select(rows);
  const auto expected_hidden = torch::tensor({2.F, 0.F, 0.F, 5.F, 3.F, 3.F}).view({2, 3, 1});
  const auto expected_memory = torch::tensor({40.F, 50.F, 0.F, 10.F, 0.F, 10.F}).view({3, 2});
  for (const auto* s : {&selected, &selected.members.at(0)}) {
    EXPECT_TRUE(torch::equal(s->at("hidden"), expected_hidden));
    EXPECT_TRUE(torch::equal(s->at("memory"), expected_memory));
  }
  // Declarations travel with the values.
  EXPECT_EQ(selected.entries().at("hidden").batch_dim, 1);
  EXPECT_EQ(selected.entries().at("memory").rows, StateRows::kPerSource);
}

TEST(DecodingState, ReorderMovesOnlyTheRecurrentEntries) {
  auto state = three_rows();
  state.members = {three_rows()};
  const auto reordered = state.reorder(torch::tensor({1, 0, 2}, torch::kInt64));
  const auto expected_hidden = torch::tensor({1.F, 0.F, 2.F, 4.F, 3.F, 5.F}).view({2, 3, 1});
  const std::vector<std::pair<const DecodingState*, const DecodingState*>> pairs = {
      {&reordered, &state}, {&reordered.members.at(0), &state.members.at(0)}};
  for (const auto& [after, before] : pairs) {
    EXPECT_TRUE(torch::equal(after->at("hidden"), expected_hidden));
    // The very same tensor: no copy of the memory.
    EXPECT_TRUE(after->at("memory").is_same(before->at("memory")));
  }
}

TEST(DecodingState, SetKeepsTheDeclarationAndDetachCutsTheGraph) {
  auto state = three_rows();
  state.set("hidden", torch::ones({2, 3, 4}, torch::requires_grad()));
  EXPECT_EQ(state.entries().at("hidden").batch_dim, 1);
  EXPECT_TRUE(state.at("hidden").requires_grad());
  const auto detached = state.detach();
  EXPECT_FALSE(detached.at("hidden").requires_grad());
  EXPECT_TRUE(torch::equal(detached.at("hidden"), state.at("hidden")));
}

TEST(DecodingState, ErrorsNameTheEntry) {
  auto state = three_rows();
  EXPECT_THROW(state.add("hidden", torch::zeros({3}), 0), c10::Error);  // already there
  EXPECT_THROW(state.add("cache", torch::Tensor(), 0), c10::Error);     // undefined
  EXPECT_THROW(state.add("cache", torch::zeros({3}), 1), c10::Error);   // no dimension 1
  EXPECT_THROW(state.set("cache", torch::zeros({3})), c10::Error);      // not registered
  EXPECT_THROW(state.set("hidden", torch::zeros({3})), c10::Error);     // no batch dimension
  EXPECT_FALSE(state.contains("cache"));
  try {
    state.at("cache");
    FAIL() << "no entry \"cache\"";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"cache\""), std::string::npos) << e.what();
  }
}

// A decoder the searches have never heard of: it keeps a growing cache of every token it was fed
// (B x T x 1, as a Transformer's key/value cache grows by one position a step), a step counter,
// and, per source, the letter the source prefers. Its next-token distribution depends on the
// whole history in the cache, so a cache row that did not follow its hypothesis gives other
// outputs. With x the preferred letter and y the other (pad, <s> and <unk> never):
//   history ""          x .6  y .4
//   history "x"         x .3  y .2  </s> .5
//   history "y"         x .7  y .1  </s> .2
//   x and y both seen   x .05 y .05 </s> .9
//   "xx..." or "yy..."  x .2  y .2  </s> .6
class CacheDecoder : public StepDecoder {
 public:
  DecodingState start(const torch::Tensor& source, const torch::Tensor&) override {
    const auto b = source.size(0);
    DecodingState s;
    s.add("cache", torch::zeros({b, 0, 1}), /*batch_dim=*/0);
    s.add("steps", torch::zeros({b}, torch::kInt64), 0);
    s.add("preferred", source.select(1, 0).clone(), 0, StateRows::kPerSource);
    return s;
  }

  StepOutput step(const torch::Tensor& tokens, const DecodingState& state) override {
    const auto rows = tokens.size(0);
    const auto cache =
        torch::cat({state.at("cache"), tokens.to(torch::kFloat).view({rows, 1, 1})}, 1);
    const auto steps = state.at("steps") + 1;
    const auto& preferred = state.at("preferred");
    TORCH_CHECK(preferred.size(0) == rows, "the per-source entry has ", preferred.size(0),
                " rows for ", rows, " tokens");
    TORCH_CHECK(steps.eq(cache.size(1)).all().item<bool>(), "the step counter left its cache");
    std::vector<Tokens> histories;
    auto log_probs = torch::full({rows, 6}, -std::numeric_limits<float>::infinity());
    for (std::int64_t r = 0; r < rows; ++r) {
      Tokens history;
      for (std::int64_t t = 0; t < cache.size(1); ++t)
        history.push_back(static_cast<std::int64_t>(cache[r][t][0].item<float>()));
      const auto x = preferred[r].item<std::int64_t>();
      const auto y = x == kA ? kB : kA;
      for (const auto& [token, p] : distribution(history, x, y)) log_probs[r][token] = std::log(p);
      histories.push_back(std::move(history));
    }
    seen.push_back(std::move(histories));
    StepOutput out;
    out.logits = log_probs;
    out.state = state;
    out.state.set("cache", cache);
    out.state.set("steps", steps);
    return out;
  }

  torch::Device device() const override { return torch::kCPU; }

  // Every step's view: for each row, the tokens in its cache (<s> first).
  std::vector<std::vector<Tokens>> seen;

 private:
  static std::vector<std::pair<std::int64_t, double>> distribution(const Tokens& history,
                                                                   std::int64_t x, std::int64_t y) {
    std::int64_t xs = 0, ys = 0, others = 0;
    for (std::size_t t = 1; t < history.size(); ++t) {  // after <s>
      xs += history[t] == x;
      ys += history[t] == y;
      others += history[t] != x && history[t] != y;
    }
    const auto end = Vocabulary::kEnd;
    if (others > 0) return {{end, 1.0}};  // a padding row of a beam: it never matters
    if (xs + ys == 0) return {{x, 0.6}, {y, 0.4}};
    if (xs > 0 && ys > 0) return {{x, 0.05}, {y, 0.05}, {end, 0.9}};
    if (xs + ys >= 2) return {{x, 0.2}, {y, 0.2}, {end, 0.6}};
    if (xs == 1) return {{x, 0.3}, {y, 0.2}, {end, 0.5}};
    return {{x, 0.7}, {y, 0.1}, {end, 0.2}};
  }
};

// Source 0 prefers a, source 1 prefers b: the second is the first with a and b swapped.
torch::Tensor two_sources() {
  return torch::tensor({kA, kB}, torch::kInt64).view({2, 1});
}
torch::Tensor one_token_each() {
  return torch::ones({2}, torch::kInt64);
}

TEST(ToyDecoder, AGreedySearchDrivesADecoderWithItsOwnState) {
  CacheDecoder decoder;
  const auto result = greedy_search(decoder, two_sources(), one_token_each(), SearchOptions{});
  ASSERT_EQ(result.size(), 2U);
  // Source 0: a (.6), then </s> (.5).
  EXPECT_EQ(result[0][0].tokens, Tokens({kA}));
  EXPECT_NEAR(result[0][0].log_prob, std::log(0.3), 1e-5);
  EXPECT_EQ(result[1][0].tokens, Tokens({kB}));
  ASSERT_EQ(decoder.seen.size(), 2U);
  const auto begin = Vocabulary::kBegin;
  EXPECT_EQ(decoder.seen[1], std::vector<Tokens>({{begin, kA}, {begin, kB}}));
}

// The beam, worked by hand for source 0 (source 1 mirrors it), beam 2:
//   step 1: a .6 (row 0), b .4 (row 1).
//   step 2: a</s> .30 ends; b a .28 (from row 1), a a .18 (from row 0) go on: the rows swap.
//   step 3: b a </s> .252 ends, a second finished hypothesis: the source is done.
// Length-normalized scores: "b a" log(.252)/3 = -0.459 beats "a" log(.3)/2 = -0.602.
void expect_the_hand_worked_beam(const std::vector<std::vector<Hypothesis>>& result) {
  ASSERT_EQ(result.size(), 2U);
  ASSERT_EQ(result[0].size(), 2U);
  EXPECT_EQ(result[0][0].tokens, Tokens({kB, kA}));
  EXPECT_NEAR(result[0][0].log_prob, std::log(0.252), 1e-5);
  EXPECT_NEAR(result[0][0].score, std::log(0.252) / 3, 1e-5);
  EXPECT_EQ(result[0][1].tokens, Tokens({kA}));
  EXPECT_NEAR(result[0][1].log_prob, std::log(0.3), 1e-5);
  ASSERT_EQ(result[1].size(), 2U);
  EXPECT_EQ(result[1][0].tokens, Tokens({kA, kB}));
  EXPECT_EQ(result[1][1].tokens, Tokens({kB}));
}

void expect_the_cache_followed_its_hypotheses(const CacheDecoder& decoder) {
  const auto begin = Vocabulary::kBegin;
  ASSERT_EQ(decoder.seen.size(), 3U);
  EXPECT_EQ(decoder.seen[0], std::vector<Tokens>({{begin}, {begin}}));
  // Each source's one row became its group of two.
  EXPECT_EQ(decoder.seen[1],
            std::vector<Tokens>({{begin, kA}, {begin, kB}, {begin, kB}, {begin, kA}}));
  // After the swap, each row's cache holds its own hypothesis' history.
  EXPECT_EQ(
      decoder.seen[2],
      std::vector<Tokens>({{begin, kB, kA}, {begin, kA, kA}, {begin, kA, kB}, {begin, kB, kB}}));
}

TEST(ToyDecoder, ABeamReordersADecoderStateItHasNeverSeen) {
  CacheDecoder decoder;
  SearchOptions options;
  options.beam = 2;
  options.n_best = 2;
  const auto result = beam_search(decoder, two_sources(), one_token_each(), options);
  expect_the_hand_worked_beam(result);
  expect_the_cache_followed_its_hypotheses(decoder);
}

TEST(ToyDecoder, AnEnsembleMovesEachMembersOwnState) {
  auto first = std::make_shared<CacheDecoder>();
  auto second = std::make_shared<CacheDecoder>();
  Ensemble ensemble({first, second});
  SearchOptions options;
  options.beam = 2;
  options.n_best = 2;
  // Two equal members average to the same distribution.
  expect_the_hand_worked_beam(search(ensemble, two_sources(), one_token_each(), options));
  expect_the_cache_followed_its_hypotheses(*first);
  expect_the_cache_followed_its_hypotheses(*second);
}

}  // namespace
}  // namespace nnlab::seq2seq
