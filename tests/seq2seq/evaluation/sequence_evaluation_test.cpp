#include "nnlab/seq2seq/evaluation/sequence_evaluation.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "seq2seq/tiny_model.h"

namespace nnlab::seq2seq {
namespace {

ModelEnsemble single(SequenceModel model) {
  ModelEnsemble e;
  e.models.push_back(model);
  e.decoder = model.model.ptr();
  return e;
}

Entry entry(const Tokens& source, const std::vector<Tokens>& targets) {
  Entry e;
  for (const auto& s : source) e.text += s;
  e.source = source;
  e.targets = targets;
  return e;
}

TEST(EvaluateSequences, ScoresTheBestOutputsAgainstEveryReference) {
  auto models = single(test_util::tiny_model("g2p"));
  const Corpus test = {entry({"A", "B"}, {{"AH", "B"}}), entry({"C"}, {{"K"}, {"B"}}),
                       entry({"B", "C", "A"}, {{"B", "K", "AH"}})};
  TranslateOptions options;
  options.search.beam = 2;
  options.batch_size = 2;
  const auto evaluation = evaluate_sequences(models, test, options);
  ASSERT_EQ(evaluation.outputs.size(), 3u);
  // What the translator and the metrics give on their own, in the test's order.
  std::vector<Tokens> sources;
  for (const auto& e : test) sources.push_back(e.source);
  const auto expected =
      best_outputs(models.first(), translate(models.models[0], sources, {options.search, 256}));
  EXPECT_EQ(evaluation.outputs, expected);
  const auto errors = score_sequences(test, expected);
  EXPECT_EQ(evaluation.errors.total.words, 3);
  EXPECT_DOUBLE_EQ(evaluation.errors.total.wer(), errors.total.wer());
  EXPECT_DOUBLE_EQ(evaluation.errors.total.per(), errors.total.per());
  EXPECT_EQ(evaluation.errors.by_source_length.size(), 3u);
  EXPECT_DOUBLE_EQ(evaluation.bleu.bleu, corpus_bleu(test, expected).bleu);
  EXPECT_GE(evaluation.seconds, 0.0);
  EXPECT_GT(evaluation.entries_per_second(), 0.0);
}

TEST(EvaluateSequences, APerfectModelScoresNoErrors) {
  // Scored against its own outputs, a model makes no errors.
  auto models = single(test_util::tiny_model("g2p"));
  const Corpus sources = {entry({"A", "B", "C", "A"}, {{"AH"}}), entry({"C", "C"}, {{"K"}})};
  const auto first = evaluate_sequences(models, sources, {});
  Corpus references = sources;
  for (std::size_t i = 0; i < references.size(); ++i) references[i].targets = {first.outputs[i]};
  const auto again = evaluate_sequences(models, references, {});
  EXPECT_EQ(again.errors.total.wer(), 0.0);
  EXPECT_EQ(again.errors.total.per(), 0.0);
}

}  // namespace
}  // namespace nnlab::seq2seq
