#include "nnlab/seq2seq/models/language_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <random>

#include "data/data_test_util.h"
#include "nnlab/core/error.h"
#include "nnlab/seq2seq/decoding/search.h"
#include "nnlab/seq2seq/evaluation/ngram_model.h"
#include "nnlab/seq2seq/evaluation/perplexity.h"
#include "nnlab/seq2seq/lm_trainer.h"
#include "nnlab/seq2seq/models/language_model_file.h"
#include "nnlab/seq2seq/models/model_file.h"
#include "nnlab/text/batching.h"

namespace nnlab::seq2seq {
namespace {

using data::testing_util::TempDir;

LanguageModelOptions small(const std::string& cell = "lstm") {
  LanguageModelOptions o;
  o.cell = cell;
  o.embedding = 16;
  o.hidden = 32;
  o.layers = 2;
  o.dropout = 0;
  return o;
}

// Documents of the pattern "a a b" repeated: after an "a" the next token is "a" or "b"
// depending on the token before it, which a bigram cannot see and an RNN can.
std::vector<std::vector<std::int64_t>> pattern_documents(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::int64_t>> docs;
  for (int i = 0; i < n; ++i) {
    std::vector<std::int64_t> d;
    const int repeats = 2 + static_cast<int>(rng() % 5);
    for (int r = 0; r < repeats; ++r) d.insert(d.end(), {4, 4, 5});
    docs.push_back(d);
  }
  return docs;
}

TEST(LanguageModel, StepByStepEqualsTheWholeSequence) {
  for (const std::string cell : {"lstm", "gru"}) {
    torch::manual_seed(1);
    LanguageModel model(small(cell), 9);
    model->eval();
    const auto tokens = torch::randint(3, 9, {3, 7}, torch::kInt64);
    const auto [logits, final_state] = model->forward(tokens);
    auto state = model->start(tokens, torch::ones({3}, torch::kInt64));
    for (std::int64_t t = 0; t < 7; ++t) {
      auto out = model->step(tokens.select(1, t), state);
      EXPECT_TRUE(torch::allclose(out.logits, logits.select(1, t), 1e-5, 1e-5)) << cell << t;
      state = out.state;
    }
    EXPECT_TRUE(torch::allclose(state.at("hidden"), final_state.at("hidden"), 1e-5, 1e-5));
  }
}

TEST(LanguageModel, ChunkedReadingCarriesTheState) {
  torch::manual_seed(2);
  LanguageModel model(small(), 9);
  const auto docs = pattern_documents(5, 3);
  // The same documents read in windows of 2 tokens and in one window: the same likelihood.
  const auto a = model_perplexity(model, docs, 4, 2);
  const auto b = model_perplexity(model, docs, 4, 1000);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_NEAR(a.nll, b.nll, 1e-3);
  std::int64_t expected = 0;
  for (const auto& d : docs) expected += static_cast<std::int64_t>(d.size()) + 1;  // and </s>
  EXPECT_EQ(a.tokens, expected);
}

TEST(LanguageModel, AUniformModelHasThePerplexityOfItsVocabulary) {
  LanguageModel model(small(), 11);
  torch::NoGradGuard no_grad;
  for (auto& item : model->named_parameters()) {
    // Every logit 0: all 11 tokens equally likely.
    if (item.key().rfind("output.", 0) == 0) item.value().zero_();
  }
  const auto p = model_perplexity(model, pattern_documents(4, 1));
  EXPECT_NEAR(p.per_token(), 11.0, 1e-3);
}

TEST(NgramModel, MatchesHandComputedProbabilities) {
  // Vocabulary: pad, <s>, </s>, <unk>, a (4), b (5): 4 predictable tokens.
  const std::vector<std::vector<std::int64_t>> train = {{4, 4, 5}};
  const std::vector<std::vector<std::int64_t>> test = {{4}};
  NgramModel unigram(1, 1.0, 6);
  unigram.fit(train);
  // Events: a a b </s> (N = 4). P(a) = 3/8, P(</s>) = 2/8.
  EXPECT_NEAR(unigram.probability(Vocabulary::kBegin, 4), 3.0 / 8, 1e-12);
  EXPECT_NEAR(unigram.perplexity(test).per_token(), std::sqrt(8.0 / 3 * 4), 1e-9);
  NgramModel bigram(2, 1.0, 6);
  bigram.fit(train);
  // P(a | <s>) = (1 + 1) / (1 + 4), P(</s> | a) = (0 + 1) / (2 + 4).
  EXPECT_NEAR(bigram.probability(Vocabulary::kBegin, 4), 2.0 / 5, 1e-12);
  EXPECT_NEAR(bigram.probability(4, Vocabulary::kEnd), 1.0 / 6, 1e-12);
  EXPECT_NEAR(bigram.perplexity(test).per_token(), std::sqrt(15.0), 1e-9);
  // The probabilities of every context sum to one over the predictable tokens.
  for (const std::int64_t v : {1, 4, 5}) {
    double sum = 0;
    for (const std::int64_t w : {2, 3, 4, 5}) sum += bigram.probability(v, w);
    EXPECT_NEAR(sum, 1.0, 1e-12);
  }
  // tuned() picks the k with the lowest dev perplexity: on data like its training, a small k.
  const auto docs = pattern_documents(50, 2);
  const auto tuned = NgramModel::tuned(2, 6, docs, pattern_documents(10, 3));
  EXPECT_LT(tuned.k(), 0.1);
}

TEST(LmTrainer, LearnsWhatABigramCannotAndResumesExactly) {
  TempDir dir;
  const auto train = pattern_documents(120, 4);
  const auto dev = pattern_documents(20, 5);
  const auto make = [] {
    torch::manual_seed(7);
    LanguageModelFile m;
    m.options = small();
    Tokens tokens = {"a", "b"};
    m.vocabulary = Vocabulary::build({&tokens});
    m.create_network();
    return m;
  };
  LmTrainOptions o;
  o.epochs = 6;
  o.batch_size = 8;
  o.bptt = 5;  // documents are up to 18 tokens: several windows each
  o.lr = 1e-2;
  o.progress = false;
  o.checkpoint_path = dir / "state.pt";

  auto straight = make();
  const auto result = LmTrainer(straight, o).fit(train, dev);
  ASSERT_EQ(result.history.size(), 6u);
  const auto rnn = model_perplexity(straight.model, dev).per_token();
  const auto bigram = NgramModel::tuned(2, straight.vocabulary.size(), train, dev);
  const auto bigram_perplexity = bigram.perplexity(dev).per_token();
  // After "a" the bigram hesitates between a and b (about 2/3 and 1/3); the RNN knows.
  EXPECT_GT(bigram_perplexity, 1.4);
  EXPECT_LT(rnn, 1.25);
  EXPECT_LT(rnn, bigram_perplexity);
  // Generation from the prompt "b": the pattern continues.
  SearchOptions greedy;
  greedy.prefix = {5};
  greedy.max_length_a = 0;
  greedy.max_length_b = 7;
  const auto out = search(*straight.model, torch::zeros({1, 1}, torch::kInt64),
                          torch::ones({1}, torch::kInt64), greedy);
  EXPECT_EQ(out[0][0].tokens, (std::vector<std::int64_t>{5, 4, 4, 5, 4, 4, 5}));

  // 3 epochs, then a resumed run to 6: the same weights as the uninterrupted run.
  auto first = make();
  o.epochs = 3;
  LmTrainer(first, o).fit(train, dev);
  auto resumed = make();
  o.epochs = 6;
  LmTrainer trainer(resumed, o);
  trainer.resume(models::read_archive(dir / "state.pt"), dir / "state.pt");
  const auto second = trainer.fit(train, dev);
  ASSERT_EQ(second.history.size(), 6u);
  EXPECT_DOUBLE_EQ(second.best_dev_perplexity, result.best_dev_perplexity);
  const auto a = sequence_state(*straight.model);
  const auto b = sequence_state(*resumed.model);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(torch::equal(a[i].second, b[i].second)) << a[i].first;
}

TEST(LanguageModelFile, RoundTripsAndRefusesOtherModels) {
  TempDir dir;
  torch::manual_seed(3);
  LanguageModelFile m;
  m.options = small("gru");
  Tokens tokens = {"床", "前", "明", "月", "光"};
  m.vocabulary = Vocabulary::build({&tokens});
  m.create_network();
  save_language_model(dir / "lm.pt", m);
  auto back = load_language_model(dir / "lm.pt", torch::kCPU);
  EXPECT_EQ(back.options.cell, "gru");
  EXPECT_EQ(back.vocabulary.id("月"), m.vocabulary.id("月"));
  const auto x = torch::randint(3, m.vocabulary.size(), {2, 4}, torch::kInt64);
  m.model->eval();
  EXPECT_TRUE(torch::equal(m.model->forward(x).first, back.model->forward(x).first));

  // A seq2seq (G2P) model file is refused by its format.
  SequenceModel g2p;
  g2p.task = "g2p";
  g2p.source_vocabulary = m.vocabulary;
  g2p.target_vocabulary = m.vocabulary;
  g2p.options.embedding = 4;
  g2p.options.encoder_hidden = 4;
  g2p.options.decoder_hidden = 4;
  g2p.create_network();
  save_sequence_model(dir / "g2p.pt", g2p);
  try {
    load_language_model(dir / "g2p.pt", torch::kCPU);
    FAIL() << "a G2P model loaded as a language model";
  } catch (const core::FileError& e) {
    EXPECT_NE(std::string(e.what()).find("not an nnlab language model"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace nnlab::seq2seq
