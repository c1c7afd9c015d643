#include "nnlab/seq2seq/decoding/search.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "nnlab/core/error.h"
#include "nnlab/seq2seq/models/seq2seq_model.h"
#include "nnlab/text/vocabulary.h"
#include "seq2seq/table_decoder.h"

namespace nnlab::seq2seq {
namespace {

using test_util::garden_path;
using test_util::kA;
using test_util::kB;
using test_util::TableDecoder;

TEST(Search, BeamFindsWhatGreedyMisses) {
  auto decoder = garden_path();
  const auto source = torch::full({1, 3}, kA, torch::kInt64);
  const auto lengths = torch::full({1}, 3, torch::kInt64);
  SearchOptions greedy;
  greedy.length_penalty = 0;
  const auto g = greedy_search(decoder, source, lengths, greedy);
  ASSERT_EQ(g.size(), 1u);
  // Greedy: a, then a (0.35 ties b; argmax takes the first), never the 0.36 path.
  EXPECT_EQ(g[0][0].tokens.front(), kA);
  SearchOptions beam = greedy;
  beam.beam = 3;
  beam.n_best = 3;
  const auto b = beam_search(decoder, source, lengths, beam);
  ASSERT_EQ(b[0].size(), 3u);
  EXPECT_EQ(b[0][0].tokens, (std::vector<std::int64_t>{kB}));
  EXPECT_NEAR(b[0][0].log_prob, std::log(0.4 * 0.9), 1e-4);
  EXPECT_TRUE(b[0][0].finished);
  // n-best sorted by score: "a b" (0.6 * 0.35 * 0.9 = 0.189), then "a" (0.6 * 0.3 = 0.18).
  EXPECT_EQ(b[0][1].tokens, (std::vector<std::int64_t>{kA, kB}));
  EXPECT_NEAR(b[0][1].log_prob, std::log(0.189), 1e-4);
  EXPECT_EQ(b[0][2].tokens, (std::vector<std::int64_t>{kA}));
  EXPECT_NEAR(b[0][2].log_prob, std::log(0.18), 1e-4);
  EXPECT_GE(b[0][0].score, b[0][1].score);
  EXPECT_GE(b[0][1].score, b[0][2].score);
  EXPECT_LT(g[0][0].log_prob, b[0][0].log_prob - 0.5);
}

TEST(Search, OutputsStopAtTheMaximumLength) {
  // A decoder that never ends: every row of the table puts its mass on "a".
  auto p = torch::full({6, 6}, 1e-6);
  p.select(1, kA).fill_(1.0);
  TableDecoder decoder(p / p.sum(1, true));
  const auto source = torch::full({2, 4}, kA, torch::kInt64);
  const auto lengths = torch::tensor({4, 2}, torch::kInt64);
  SearchOptions options;
  options.max_length_a = 1.5;
  options.max_length_b = 1;
  for (const std::int64_t beam : {1, 3}) {
    options.beam = beam;
    const auto out = search(decoder, source, lengths, options);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0][0].tokens.size(), 7u) << "beam " << beam;  // 1.5 * 4 + 1
    EXPECT_EQ(out[1][0].tokens.size(), 4u) << "beam " << beam;  // 1.5 * 2 + 1
    EXPECT_FALSE(out[0][0].finished);
  }
}

Seq2Seq random_model(const std::string& cell, const std::string& attention) {
  torch::manual_seed(3);
  ModelOptions o;
  o.cell = cell;
  o.attention = attention;
  o.embedding = 8;
  o.encoder_hidden = 8;
  o.decoder_hidden = attention == "dot" ? 16 : 12;
  o.decoder_layers = 2;
  o.dropout = 0;
  Seq2Seq model(o, 9, 7);
  model->eval();
  return model;
}

TEST(Search, BeamOfOneEqualsGreedy) {
  for (const auto& [cell, attention] : std::vector<std::pair<std::string, std::string>>{
           {"lstm", "general"}, {"gru", "additive"}, {"lstm", "dot"}}) {
    auto model = random_model(cell, attention);
    const auto source = torch::randint(4, 9, {6, 5}, torch::kInt64);
    const auto lengths = torch::tensor({5, 3, 1, 4, 5, 2}, torch::kInt64);
    SearchOptions options;
    options.attention = true;
    const auto greedy = greedy_search(*model, source, lengths, options);
    const auto beam = beam_search(*model, source, lengths, options);
    ASSERT_EQ(greedy.size(), beam.size());
    for (std::size_t i = 0; i < greedy.size(); ++i) {
      EXPECT_EQ(greedy[i][0].tokens, beam[i][0].tokens) << cell << " " << attention << " " << i;
      EXPECT_NEAR(greedy[i][0].log_prob, beam[i][0].log_prob, 1e-4);
      EXPECT_EQ(greedy[i][0].finished, beam[i][0].finished);
      ASSERT_EQ(greedy[i][0].attention.size(), beam[i][0].attention.size());
      for (std::size_t t = 0; t < greedy[i][0].attention.size(); ++t) {
        ASSERT_EQ(
            greedy[i][0].attention[t].size(),
            static_cast<std::size_t>(lengths[static_cast<std::int64_t>(i)].item<std::int64_t>()));
        for (std::size_t s = 0; s < greedy[i][0].attention[t].size(); ++s)
          EXPECT_NEAR(greedy[i][0].attention[t][s], beam[i][0].attention[t][s], 1e-5);
      }
    }
  }
}

// Counts the rows every step runs, over any decoder.
class CountingDecoder : public StepDecoder {
 public:
  explicit CountingDecoder(StepDecoder& inner) : inner_(inner) {}
  DecodingState start(const torch::Tensor& source, const torch::Tensor& lengths) override {
    return inner_.start(source, lengths);
  }
  StepOutput step(const torch::Tensor& tokens, const DecodingState& state) override {
    rows += tokens.size(0);
    return inner_.step(tokens, state);
  }
  torch::Device device() const override { return inner_.device(); }
  std::int64_t rows = 0;

 private:
  StepDecoder& inner_;
};

TEST(Search, StoppingEarlyKeepsTheNBestAndSavesSteps) {
  auto model = random_model("lstm", "general");
  torch::manual_seed(8);
  const auto source = torch::randint(4, 9, {12, 6}, torch::kInt64);
  const auto lengths = torch::tensor({6, 3, 1, 4, 5, 2, 6, 6, 2, 3, 5, 4}, torch::kInt64);
  for (const double penalty : {0.0, 0.5, 1.0}) {
    for (const std::int64_t n_best : {1, 3}) {
      SearchOptions options;
      options.beam = 4;
      options.n_best = n_best;
      options.length_penalty = penalty;
      options.attention = true;
      CountingDecoder early(*model);
      const auto fast = beam_search(early, source, lengths, options);
      options.stop_early = false;
      CountingDecoder full(*model);
      const auto slow = beam_search(full, source, lengths, options);
      const auto label = "penalty " + std::to_string(penalty) + " n-best " + std::to_string(n_best);
      ASSERT_EQ(fast.size(), slow.size()) << label;
      for (std::size_t i = 0; i < fast.size(); ++i) {
        ASSERT_EQ(fast[i].size(), static_cast<std::size_t>(n_best)) << label;
        for (std::size_t j = 0; j < fast[i].size(); ++j) {
          EXPECT_EQ(fast[i][j].tokens, slow[i][j].tokens) << label << " source " << i;
          EXPECT_EQ(fast[i][j].score, slow[i][j].score) << label << " source " << i;
          EXPECT_EQ(fast[i][j].attention, slow[i][j].attention) << label << " source " << i;
        }
      }
      EXPECT_LE(early.rows, full.rows) << label;
      // Without length normalization the best hypothesis ends the search for its source at once.
      if (penalty == 0 && n_best == 1) {
        EXPECT_LT(early.rows, full.rows * 3 / 4) << label;
      }
    }
  }
}

TEST(Search, BadOptionsAreRejected) {
  SearchOptions o;
  o.beam = 0;
  EXPECT_THROW(o.validate(), core::OptionError);
  o.beam = 2;
  o.n_best = 3;
  EXPECT_THROW(o.validate(), core::OptionError);
  o.n_best = 2;
  o.max_length_a = 0;
  o.max_length_b = 0;
  EXPECT_THROW(o.validate(), core::OptionError);
}

// First-token frequencies of many sampled rows from <s> (a 0.6, b 0.4 in the garden path).
double share_of_a(const std::vector<std::vector<Hypothesis>>& out) {
  double a = 0;
  for (const auto& list : out) a += !list[0].tokens.empty() && list[0].tokens.front() == kA ? 1 : 0;
  return a / static_cast<double>(out.size());
}

TEST(Search, SamplingFollowsTheTemperatureSoftmax) {
  auto decoder = garden_path();
  const std::int64_t rows = 4000;
  const auto source = torch::full({rows, 1}, kA, torch::kInt64);
  const auto lengths = torch::ones({rows}, torch::kInt64);
  SearchOptions o;
  o.max_length_a = 0;
  o.max_length_b = 1;
  o.temperature = 1.0;
  o.seed = 11;
  EXPECT_NEAR(share_of_a(search(decoder, source, lengths, o)), 0.6, 0.03);
  // T = 0.5 squares the probabilities before normalizing: 0.36 / (0.36 + 0.16).
  o.temperature = 0.5;
  EXPECT_NEAR(share_of_a(search(decoder, source, lengths, o)), 0.36 / 0.52, 0.03);
  // T = 2: square roots, sqrt(0.6) / (sqrt(0.6) + sqrt(0.4)).
  o.temperature = 2.0;
  EXPECT_NEAR(share_of_a(search(decoder, source, lengths, o)),
              std::sqrt(0.6) / (std::sqrt(0.6) + std::sqrt(0.4)), 0.03);
  // top-k 1 keeps only the most likely token: always a.
  o.top_k = 1;
  EXPECT_EQ(share_of_a(search(decoder, source, lengths, o)), 1.0);
}

TEST(Search, SamplingIsReproducibleBySeedAndTemperatureZeroIsGreedy) {
  auto decoder = garden_path();
  const std::int64_t rows = 64;
  const auto source = torch::full({rows, 1}, kA, torch::kInt64);
  const auto lengths = torch::ones({rows}, torch::kInt64);
  SearchOptions o;
  o.max_length_b = 12;
  o.temperature = 1.0;
  const auto tokens = [&](std::uint64_t seed) {
    o.seed = seed;
    std::vector<std::vector<std::int64_t>> out;
    for (const auto& list : search(decoder, source, lengths, o)) out.push_back(list[0].tokens);
    return out;
  };
  EXPECT_EQ(tokens(5), tokens(5));
  EXPECT_NE(tokens(5), tokens(6));
  o.temperature = 0;
  const auto first = tokens(5);
  EXPECT_EQ(first, tokens(6));  // no randomness left
  SearchOptions greedy;
  greedy.max_length_b = 12;
  const auto g = greedy_search(decoder, source, lengths, greedy);
  for (std::int64_t i = 0; i < rows; ++i) EXPECT_EQ(first[i], g[i][0].tokens);
}

TEST(Search, APrefixIsForcedAndScored) {
  auto decoder = garden_path();
  const auto source = torch::full({1, 1}, kA, torch::kInt64);
  const auto lengths = torch::ones({1}, torch::kInt64);
  SearchOptions o;
  o.length_penalty = 0;
  // Greedy with the prefix b: then </s> (0.9), although greedy alone would start with a.
  o.prefix = {kB};
  const auto g = greedy_search(decoder, source, lengths, o);
  EXPECT_EQ(g[0][0].tokens, (std::vector<std::int64_t>{kB}));
  EXPECT_NEAR(g[0][0].log_prob, std::log(0.4 * 0.9), 1e-4);
  // Beam 3 with the prefix a: the best continuation is "a b" (0.6 * 0.35 * 0.9), ahead of
  // "a" alone (0.6 * 0.3); the 0.36 path through b is excluded by the prefix.
  o.prefix = {kA};
  o.beam = 3;
  o.n_best = 2;
  const auto b = beam_search(decoder, source, lengths, o);
  ASSERT_EQ(b[0].size(), 2u);
  EXPECT_EQ(b[0][0].tokens, (std::vector<std::int64_t>{kA, kB}));
  EXPECT_NEAR(b[0][0].log_prob, std::log(0.189), 1e-4);
  EXPECT_EQ(b[0][1].tokens, (std::vector<std::int64_t>{kA}));
  EXPECT_NEAR(b[0][1].log_prob, std::log(0.18), 1e-4);
  // A prefix of two tokens: a a, then beam picks among continuations of "a a".
  o.prefix = {kA, kA};
  const auto c = beam_search(decoder, source, lengths, o);
  EXPECT_EQ(c[0][0].tokens[0], kA);
  EXPECT_EQ(c[0][0].tokens[1], kA);
}

TEST(Search, UnknownCanBeForbidden) {
  // A table whose most likely token after <s> is <unk>: greedy, beam and sampling all take it
  // unless forbidden.
  auto p = torch::full({6, 6}, 1e-9);
  p[Vocabulary::kBegin][Vocabulary::kUnknown] = 0.7;
  p[Vocabulary::kBegin][kA] = 0.3;
  p[Vocabulary::kUnknown][Vocabulary::kEnd] = 1.0;
  p[kA][Vocabulary::kEnd] = 1.0;
  TableDecoder decoder(p / p.sum(1, true));
  const auto source = torch::full({8, 1}, kA, torch::kInt64);
  const auto lengths = torch::ones({8}, torch::kInt64);
  for (const auto& [beam, temperature] :
       std::vector<std::pair<int, double>>{{1, 0}, {3, 0}, {1, 1}}) {
    SearchOptions o;
    o.beam = beam;
    o.temperature = temperature;
    o.seed = 2;
    bool saw_unknown = false;
    for (const auto& list : search(decoder, source, lengths, o))
      saw_unknown =
          saw_unknown || list[0].tokens == std::vector<std::int64_t>{Vocabulary::kUnknown};
    EXPECT_TRUE(saw_unknown) << "beam " << beam << " temperature " << temperature;
    o.allow_unknown = false;
    for (const auto& list : search(decoder, source, lengths, o))
      EXPECT_EQ(list[0].tokens, (std::vector<std::int64_t>{kA}));
  }
}

TEST(Search, BadSamplingOptionsAreRejected) {
  SearchOptions o;
  o.temperature = -1;
  EXPECT_THROW(o.validate(), core::OptionError);
  o.temperature = 0.8;
  o.beam = 4;
  EXPECT_THROW(o.validate(), core::OptionError);  // sampling is one output at a time
  o.beam = 1;
  o.top_k = -2;
  EXPECT_THROW(o.validate(), core::OptionError);
  o.top_k = 0;
  o.prefix = {Vocabulary::kEnd};
  EXPECT_THROW(o.validate(), core::OptionError);
}

}  // namespace
}  // namespace nnlab::seq2seq
