#include "nnlab/seq2seq/evaluation/perplexity_table.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>

#include "nnlab/seq2seq/evaluation/ngram_model.h"

namespace nnlab::seq2seq {
namespace {

LanguageModelFile tiny_model() {
  torch::manual_seed(2);
  LanguageModelFile m;
  const Tokens tokens = {"a", "b", "c"};
  m.vocabulary = Vocabulary::build({&tokens});
  m.options.cell = "gru";
  m.options.embedding = 4;
  m.options.hidden = 4;
  m.options.layers = 1;
  m.options.dropout = 0;
  m.create_network();
  return m;
}

TEST(PerplexityTable, TheModelThenTheTunedBaselinesOnTheSameDocuments) {
  auto m = tiny_model();
  const std::vector<std::vector<std::int64_t>> train = {{4, 5, 4, 5}, {4, 5, 6}, {6, 6}};
  const std::vector<std::vector<std::int64_t>> dev = {{4, 5}, {6}};
  const std::vector<std::vector<std::int64_t>> evaluated = {{4, 5, 6}};
  const auto alone = perplexity_table(m, train, dev, evaluated, false);
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_EQ(alone[0].model, "rnn (gru)");
  EXPECT_EQ(alone[0].order, 0);
  EXPECT_EQ(alone[0].perplexity.tokens, 4);  // three tokens and </s>
  EXPECT_DOUBLE_EQ(alone[0].perplexity.nll, model_perplexity(m.model, evaluated).nll);

  const auto rows = perplexity_table(m, train, dev, evaluated, true);
  ASSERT_EQ(rows.size(), 3u);
  for (int order : {1, 2}) {
    const auto& row = rows[static_cast<std::size_t>(order)];
    const auto ngram = NgramModel::tuned(order, m.vocabulary.size(), train, dev);
    EXPECT_EQ(row.order, order);
    EXPECT_DOUBLE_EQ(row.k, ngram.k());
    EXPECT_DOUBLE_EQ(row.perplexity.nll, ngram.perplexity(evaluated).nll);
    EXPECT_EQ(row.perplexity.tokens, 4);
  }
  char name[64];
  std::snprintf(name, sizeof(name), "bigram, add-k, k = %.3f", rows[2].k);
  EXPECT_EQ(rows[2].model, name);
  EXPECT_EQ(rows[1].model.rfind("unigram, add-k, k = ", 0), 0u);

  const auto json = to_json(rows);
  ASSERT_EQ(json.size(), 3u);
  EXPECT_EQ(json[0].at("model"), "rnn (gru)");
  EXPECT_FALSE(json[0].contains("order"));
  EXPECT_EQ(json[2].at("order"), 2);
  EXPECT_DOUBLE_EQ(json[2].at("k").get<double>(), rows[2].k);
  EXPECT_EQ(json[1].at("tokens"), 4);
  EXPECT_TRUE(json[1].contains("nll"));
}

}  // namespace
}  // namespace nnlab::seq2seq
